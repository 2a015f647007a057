/**
 * The floors' shared work: P0-json's upstream call and record mapping (one request, parse, map) as the resolver
 * of a minimal graphql-yoga schema with no plugin, context or policy. `yoga-floor.ts` serves it through bare
 * Yoga, `envelop-floor.ts` through Yoga's envelop pipeline driven from node:http, `handled-floor.ts` through our
 * lean transport into Yoga's whole request handling, with compiled execution.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Plugin, createSchema, createYoga } from 'graphql-yoga';
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

/** Bare Yoga's context carries the Fetch request; the envelop floor's carries node's request headers. */
export interface FloorContext {
  request?: Request;
  nodeHeaders?: IncomingHttpHeaders;
}

const header = (context: FloorContext, name: string): string | null => {
  if (context.nodeHeaders) {
    const value = context.nodeHeaders[name];
    return typeof value === 'string' ? value : null;
  }
  return context.request?.headers.get(name) ?? null;
};

const schema = createSchema<FloorContext>({
  typeDefs: /* GraphQL */ `
    type Query { callHistory(projectId: ID!, first: Int = 20): CallConnection! }
    type CallConnection { nodes: [Call!]! }
    enum CallStatus { QUEUED INITIATED RINGING IN_PROGRESS COMPLETED BUSY FAILED NO_ANSWER CANCELED VOICEMAIL SILENCE UNKNOWN }
    type Call { sid: ID! status: CallStatus! from: String to: String startedAt: String durationSeconds: Int cost: Float }
  `,
  resolvers: {
    Query: {
      callHistory: async (_root, args: { projectId: string; first: number }, context) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const apiKey = header(context, 'x-api-key');
        const authorization = header(context, 'authorization');
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

/** A Yoga server over the floor schema, with no plugin but those given (the handled floor's compiled execution). */
export const createFloorYoga = (plugins: Plugin[] = []) => createYoga({ schema, graphiql: false, landingPage: false, logging: false, plugins });
