import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Context as SocketContext } from 'graphql-ws';
import { type Extra, useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '../domain/errors.js';

/** What Yoga's `getEnveloped` hands back: its plugins' parse, validate, context, execute and subscribe. */
interface Enveloped {
  schema: GraphQLSchema;
  parse(source: string): DocumentNode;
  validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[];
  contextFactory(): unknown;
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

export interface WebSocketOptions {
  path: string;
  /** How often each socket is pinged (a socket without a pong by the next ping is closed). */
  heartbeatMs: number;
  getEnveloped(initial: { request: Request; params: unknown }): Enveloped;
  /** The HTTP side's rules for an upgrade request (Host, Origin): an HTTP status to refuse it with, or null. */
  refusal(request: IncomingMessage): number | null;
  /** Set when documents are refused (trusted documents are on): every subscribe gets this error. */
  documentsRefused?: GraphQLError | undefined;
}

/** Request headers an operation over the socket sees: the credential and the request id, nothing else. */
const FORWARDED = ['authorization', 'x-api-key', 'x-request-id'] as const;

/**
 * The credential of an operation over the socket: `connectionParams` (`x-api-key` or `Authorization`, any
 * case), which browsers can set; else the upgrade request's headers, which other clients can set.
 */
export function socketHeaders(upgrade: IncomingMessage, connectionParams: unknown): Headers {
  const headers = new Headers();
  for (const name of FORWARDED) {
    const value = upgrade.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  if (connectionParams && typeof connectionParams === 'object') {
    const params = Object.entries(connectionParams as Record<string, unknown>);
    const given = (name: string) => params.find(([key, value]) => key.toLowerCase() === name && typeof value === 'string')?.[1] as string | undefined;
    const apiKey = given('x-api-key');
    const authorization = given('authorization');
    if (apiKey !== undefined || authorization !== undefined) {
      headers.delete('x-api-key');
      headers.delete('authorization');
      if (apiKey !== undefined) headers.set('x-api-key', apiKey);
      if (authorization !== undefined) headers.set('authorization', authorization);
    }
  }
  return headers;
}

const coded = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, { nodes: error.nodes ?? null, positions: error.positions ?? null, extensions: { ...error.extensions, code } });

/**
 * GraphQL over WebSocket (the graphql-ws protocol) on the HTTP server's port and path, through Yoga's plugins
 * (`getEnveloped`: limits, cost, error masking, context): Yoga's documented recipe. An upgrade the HTTP rules
 * refuse gets its status and no socket. `drain` lets every subscription complete, then closes each socket with
 * 1001 (going away).
 */
export function attachWebSocket(server: Server, options: WebSocketOptions) {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1_000_000 });
  const open = new Set<SocketContext<Record<string, unknown>, Extra>>();
  const ended = new WeakMap<object, AbortController>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== options.path) {
      socket.destroy();
      return;
    }
    const status = options.refusal(request);
    if (status !== null) {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  const disposable = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onConnect: (ctx) => {
        open.add(ctx);
        const controller = new AbortController();
        ended.set(ctx, controller);
        ctx.extra.socket.once('close', () => {
          controller.abort();
          open.delete(ctx);
        });
      },
      onSubscribe: async (ctx, _id, payload) => {
        if (options.documentsRefused) return [options.documentsRefused];
        const host = ctx.extra.request.headers.host ?? 'localhost';
        const request = new Request(`http://${host}${options.path}`, {
          method: 'POST',
          headers: socketHeaders(ctx.extra.request, ctx.connectionParams),
          signal: ended.get(ctx)?.signal ?? null,
        });
        const enveloped = options.getEnveloped({ request, params: payload });
        let document: DocumentNode;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [coded(error, ErrorCode.GRAPHQL_PARSE_FAILED)];
          throw error;
        }
        let errors: readonly GraphQLError[];
        try {
          errors = enveloped.validate(enveloped.schema, document);
        } catch (error) {
          // graphql-armor throws its refusals, worded as syntax errors.
          if (!(error instanceof GraphQLError)) throw error;
          errors = [new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: error.extensions })];
        }
        if (errors.length > 0) return errors.map((error) => coded(error, ErrorCode.GRAPHQL_VALIDATION_FAILED));
        return {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
      },
    },
    sockets,
    options.heartbeatMs,
  );

  return {
    /** Waits (at most `graceMs`) for each socket's subscriptions to complete, then closes it with 1001. */
    async drain(graceMs = 1_000): Promise<void> {
      server.off('upgrade', onUpgrade);
      const deadline = Date.now() + graceMs;
      await Promise.all(
        [...open].map(async (ctx) => {
          while (Object.keys(ctx.subscriptions).length > 0 && Date.now() < deadline) await sleep(20);
          ctx.extra.socket.close(1001, 'server shutting down');
        }),
      );
    },
    async close(): Promise<void> {
      server.off('upgrade', onUpgrade);
      for (const client of sockets.clients) client.terminate();
      await disposable.dispose();
    },
  };
}
