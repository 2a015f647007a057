/**
 * The lean floor: the same schema and resolver as the Yoga floor (`floor-schema.ts`: P0-json's upstream call and
 * mapping), run through Yoga's own envelop pipeline (`yoga.getEnveloped()`: parse and validate behind Yoga's
 * parse/validate cache, contextFactory, execute) driven straight from node:http, without Yoga's Fetch-API
 * adapter. Plain `POST application/json` only: what a lean path in front of Yoga could cost at best.
 *
 * With `FLOOR_EXECUTION=jit` (the jit floor) each distinct document is compiled once by graphql-jit and run
 * compiled, as our server runs queries: the floor for a server built on Yoga's pipeline with compiled execution.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOperationAST, type ExecutionResult } from 'graphql';
import { compiledOnce } from './floor-jit.js';
import { createFloorYoga } from './floor-schema.js';

const yoga = createFloorYoga();
const compiledExecution = process.env.FLOOR_EXECUTION === 'jit';

interface Params {
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

function send(res: ServerResponse, status: number, result: ExecutionResult | { errors: ReadonlyArray<{ message: string }> }): void {
  const body = JSON.stringify(result);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
  let params: Params;
  try {
    params = JSON.parse(text) as Params;
  } catch {
    return send(res, 400, { errors: [{ message: 'POST body sent invalid JSON.' }] });
  }
  if (typeof params.query !== 'string') return send(res, 400, { errors: [{ message: 'Must provide query string.' }] });
  const enveloped = yoga.getEnveloped({ nodeHeaders: req.headers, params } as unknown as Parameters<typeof yoga.getEnveloped>[0]);
  let document;
  try {
    document = enveloped.parse(params.query);
  } catch (error) {
    return send(res, 400, { errors: [{ message: (error as Error).message }] });
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return send(res, 400, { errors });
  const operation = getOperationAST(document, params.operationName);
  if (!operation || operation.operation !== 'query') return send(res, 400, { errors: [{ message: 'Only queries are served here.' }] });
  const contextValue = await enveloped.contextFactory();
  if (compiledExecution) {
    const compiled = compiledOnce(enveloped.schema, document, params.operationName);
    if ('errors' in compiled) return send(res, 400, compiled);
    return send(res, 200, (await compiled.query(undefined, contextValue, params.variables ?? {})) as ExecutionResult);
  }
  const result = (await enveloped.execute({
    schema: enveloped.schema,
    document,
    contextValue,
    variableValues: params.variables ?? null,
    operationName: params.operationName ?? null,
  })) as ExecutionResult;
  send(res, 200, result);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: [{ message: error instanceof Error ? error.message : String(error) }] });
      else res.destroy();
    });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
