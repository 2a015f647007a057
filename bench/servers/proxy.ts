/**
 * The two physical limits of a layer in front of the stub, both reading the same GraphQL-over-HTTP request our
 * server reads (`{query, variables: {projectId, first}}`) and forwarding the caller's credential:
 *  - MODE=pipe: forwards the request and pipes the upstream bytes back untouched (no layer can do less);
 *  - MODE=json: parses the upstream JSON, maps each record to the fields the benchmark query selects (the same
 *    renames, status enum and RFC 2822 to ISO date our server does) and re-serialises a GraphQL-shaped body.
 * Both use an undici Pool of the same size our server uses by default.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const mode = process.env.MODE === 'pipe' ? 'pipe' : 'json';
const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010');
const pool = new Pool(upstream.origin, {
  connections: Number(process.env.UPSTREAM_CONNECTIONS ?? 64),
  pipelining: 1,
  keepAliveTimeout: 4_000,
});
const PATH = '/call/get-call-history';

interface UpstreamRecord {
  callSid: string;
  status: string;
  from?: string;
  to?: string;
  date?: string;
  seconds?: number | null;
  cost?: number | null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const toNode = (r: UpstreamRecord) => {
  const at = typeof r.date === 'string' ? Date.parse(r.date) : Number.NaN;
  return {
    sid: r.callSid,
    status: r.status.toUpperCase().replace('-', '_'),
    from: r.from ?? null,
    to: r.to ?? null,
    startedAt: Number.isNaN(at) ? null : new Date(at).toISOString(),
    durationSeconds: typeof r.seconds === 'number' ? Math.round(r.seconds) : null,
    cost: r.cost ?? null,
  };
};

const server = createServer((req, res) => {
  void (async () => {
    try {
      const request = JSON.parse(await readBody(req)) as { variables?: { projectId?: string; first?: number } };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const authorization = req.headers.authorization;
      const apiKey = req.headers['x-api-key'];
      if (authorization) headers.authorization = authorization;
      if (typeof apiKey === 'string') headers['x-api-key'] = apiKey;
      const upstreamResponse = await pool.request({
        method: 'POST',
        path: PATH,
        headers,
        body: JSON.stringify({ projectId: request.variables?.projectId, pageSize: request.variables?.first ?? 20 }),
      });
      if (mode === 'pipe') {
        res.writeHead(upstreamResponse.statusCode, { 'content-type': 'application/json' });
        for await (const chunk of upstreamResponse.body) res.write(chunk);
        res.end();
        return;
      }
      const text = await upstreamResponse.body.text();
      if (upstreamResponse.statusCode !== 200) {
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"errors":[{"message":"upstream error"}]}');
        return;
      }
      const body = JSON.parse(text) as { data: UpstreamRecord[] };
      const payload = JSON.stringify({ data: { callHistory: { nodes: body.data.map(toNode) } } });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(payload);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"errors":[{"message":"proxy failed"}]}');
    }
  })();
});
server.keepAliveTimeout = 65_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
