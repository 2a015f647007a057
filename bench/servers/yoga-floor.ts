/**
 * The floor of any Yoga server on this request: P0-json's work (one upstream request, parse, map) done inside a
 * resolver of a minimal graphql-yoga schema with no plugin, context or policy. Between (b) and this is the cost
 * of Yoga and graphql-js execution; between this and (c), the cost of everything our server adds.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010');
const pool = new Pool(upstream.origin, { connections: 64, pipelining: 1, keepAliveTimeout: 4_000 });

interface UpstreamRecord {
  callSid: string;
  status: string;
  from?: string;
  to?: string;
  date?: string;
  seconds?: number | null;
  cost?: number | null;
}

const schema = createSchema<{ request: Request }>({
  typeDefs: /* GraphQL */ `
    type Query { callHistory(projectId: ID!, first: Int = 20): CallConnection! }
    type CallConnection { nodes: [Call!]! }
    enum CallStatus { QUEUED INITIATED RINGING IN_PROGRESS COMPLETED BUSY FAILED NO_ANSWER CANCELED VOICEMAIL SILENCE UNKNOWN }
    type Call { sid: ID! status: CallStatus! from: String to: String startedAt: String durationSeconds: Int cost: Float }
  `,
  resolvers: {
    Query: {
      callHistory: async (_root, args: { projectId: string; first: number }, { request }) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const apiKey = request.headers.get('x-api-key');
        const authorization = request.headers.get('authorization');
        if (apiKey) headers['x-api-key'] = apiKey;
        if (authorization) headers.authorization = authorization;
        const response = await pool.request({
          method: 'POST',
          path: '/call/get-call-history',
          headers,
          body: JSON.stringify({ projectId: args.projectId, pageSize: args.first }),
        });
        const body = (await response.body.json()) as { data: UpstreamRecord[] };
        return {
          nodes: body.data.map((r) => {
            const at = typeof r.date === 'string' ? Date.parse(r.date) : Number.NaN;
            const status = r.status.toUpperCase().replace('-', '_');
            return {
              sid: r.callSid,
              status: ['CANCELED', 'VOICEMAIL', 'SILENCE', 'QUEUED', 'INITIATED', 'RINGING', 'IN_PROGRESS', 'COMPLETED', 'BUSY', 'FAILED', 'NO_ANSWER'].includes(status)
                ? status
                : 'UNKNOWN',
              from: r.from ?? null,
              to: r.to ?? null,
              startedAt: Number.isNaN(at) ? null : new Date(at).toISOString(),
              durationSeconds: typeof r.seconds === 'number' ? Math.round(r.seconds) : null,
              cost: r.cost ?? null,
            };
          }),
        };
      },
    },
  },
});

const yoga = createYoga({ schema, graphiql: false, landingPage: false, logging: false });
const server = createServer(yoga);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
