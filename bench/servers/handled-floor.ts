/**
 * The handled floor: the jit floor's work (the floor schema, each distinct document compiled once by graphql-jit)
 * served as our server serves the common request: our lean transport (`src/http/graphql-post-transport.ts`) hands a
 * plain JSON POST to Yoga's `handleRequest`, so every Yoga request hook, Yoga's request parsing, parameter checks,
 * result processing and Response run, but none of our plugins, context, policy or domain. Between (j) and this is
 * the cost of keeping Yoga's request handling; between this and (c), the cost of what our server adds.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createGraphQLPostTransport } from '../../src/http/graphql-post-transport.js';
import { compiledOnce } from './floor-jit.js';
import { createFloorYoga } from './floor-schema.js';

/** graphql-jit for every document it compiles (the floor serves only queries), graphql-js for the rest. */
const compiledExecution: Plugin = {
  onExecute({ args, setExecuteFn }) {
    const compiled = compiledOnce(args.schema, args.document, args.operationName);
    if ('errors' in compiled) return;
    setExecuteFn(((run: ExecutionArgs) => compiled.query(run.rootValue, run.contextValue, run.variableValues) as ExecutionResult) as never);
  },
};

const yoga = createFloorYoga([compiledExecution]);
const server = createServer(createGraphQLPostTransport(yoga, { endpoint: '/graphql', maxRequestBodyBytes: 1_000_000 }));
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
