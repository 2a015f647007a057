/**
 * The handled floor: the jit floor's work (the floor schema, each distinct document compiled once by graphql-jit)
 * served as our server serves the common request: our lean transport (`src/http/graphql-post-transport.ts`) hands a
 * plain JSON POST to Yoga's `handleRequest`, so every Yoga request hook, Yoga's request parsing, parameter checks,
 * result processing and Response run, but none of our plugins, context, policy or domain. Between (j) and this is
 * the cost of keeping Yoga's request handling; between this and (c), the cost of what our server adds.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DocumentNode, ExecutionArgs, ExecutionResult } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { createGraphQLPostTransport } from '../../src/http/graphql-post-transport.js';
import { createFloorYoga } from './floor-schema.js';

const compiledByDocument = new WeakMap<DocumentNode, CompiledQuery>();

/** graphql-jit for every document it compiles (the floor serves only queries), graphql-js for the rest. */
const compiledExecution: Plugin = {
  onExecute({ args, setExecuteFn }) {
    let compiled = compiledByDocument.get(args.document);
    if (!compiled) {
      const made = compileQuery(args.schema, args.document, args.operationName ?? undefined);
      if (!isCompiledQuery(made)) return;
      compiledByDocument.set(args.document, (compiled = made));
    }
    const query = compiled;
    setExecuteFn(((run: ExecutionArgs) => query.query(run.rootValue, run.contextValue, run.variableValues) as ExecutionResult) as never);
  },
};

const yoga = createFloorYoga([compiledExecution]);
const server = createServer(createGraphQLPostTransport(yoga, { endpoint: '/graphql', maxRequestBodyBytes: 1_000_000 }));
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
