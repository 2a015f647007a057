/**
 * The upstream stub: `POST /call/get-call-history` answering from pre-serialised bodies, so that the stub costs
 * next to nothing and every contender sees the same bytes. It honours the endpoint's filters (our server pages with
 * `startTimeBefore`), building each distinct answer once. Records come from the emulator's generator (realistic
 * statuses, dates, URLs and `data`), newest first as the real endpoint lists them.
 *
 * Control endpoints (loopback only, for the harness): GET /__stub/stats, POST /__stub/reset,
 * POST /__stub/delay?ms=N (a fixed delay before each answer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { filterBounds, generateCalls, parseFilterQuery, type VendorRecord } from '../../src/emulator/index.js';

export const STUB_PROJECT = 'bench';
export const STUB_MAX_PAGE_SIZE = 1000;
const RECORD_COUNT = 1200;
/** Bodies built at start; any other list is built on first use and kept (the benchmark asks for a handful). */
const PREBUILT_SIZES = [20, 21, 100, 101, 1000];
const MAX_CACHED_BODIES = 1000;

interface Row {
  json: string;
  record: VendorRecord;
  start: number;
  end: number | null;
}

const rows: Row[] = generateCalls({ projectId: STUB_PROJECT, count: RECORD_COUNT, seed: 8 })
  .map((record) => {
    const start = Date.parse(record.date) / 1000;
    return { json: JSON.stringify(record), record, start, end: record.seconds === null ? null : start + record.seconds };
  })
  .sort((a, b) => b.start - a.start || (a.record.callSid < b.record.callSid ? 1 : -1));

/** The filters the real endpoint has, applied as the emulator applies them (our server pages by startTimeBefore). */
function matching(query: URLSearchParams): Row[] | string {
  const parsed = parseFilterQuery(query);
  if (!parsed.ok) return parsed.message;
  const b = filterBounds(parsed.filters);
  return rows.filter(
    ({ record, start, end }) =>
      (b.to === undefined || record.to === b.to) &&
      (b.from === undefined || record.from === b.from) &&
      (b.status === undefined || record.status === b.status) &&
      (b.startFrom === undefined || start >= b.startFrom) &&
      (b.startBefore === undefined || start < b.startBefore) &&
      (b.endFrom === undefined || (end !== null && end >= b.endFrom)) &&
      (b.endBefore === undefined || (end !== null && end < b.endBefore)),
  );
}

const bodies = new Map<string, Buffer | null>();
/** The pre-serialised 200 body for a query string and page size; null when nothing matches (a 404). */
function bodyFor(search: string, pageSize: number): Buffer | null | string {
  const key = `${search}|${pageSize}`;
  let body = bodies.get(key);
  if (body === undefined) {
    const list = search === '' ? rows : matching(new URLSearchParams(search));
    if (typeof list === 'string') return list;
    const page = list.slice(0, pageSize);
    body =
      page.length === 0
        ? null
        : Buffer.from(`{"message":"Call history fetched successfully.","status":"success","data":[${page.map((row) => row.json).join(',')}]}`);
    if (bodies.size >= MAX_CACHED_BODIES) bodies.clear();
    bodies.set(key, body);
  }
  return body;
}
for (const size of PREBUILT_SIZES) bodyFor('', size);

const stats = { requests: 0, unauthorized: 0, badRequests: 0 };
let delayMs = 0;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function answer(res: ServerResponse, status: number, body: Buffer | string): void {
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function error(res: ServerResponse, status: number, message: string): void {
  answer(res, status, JSON.stringify({ message, status: 'error' }));
}

function readBody(req: IncomingMessage, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
}

function control(req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (url.pathname === '/__stub/stats') return answer(res, 200, JSON.stringify(stats));
  if (url.pathname === '/__stub/reset' && req.method === 'POST') {
    stats.requests = 0;
    stats.unauthorized = 0;
    stats.badRequests = 0;
    return answer(res, 200, JSON.stringify(stats));
  }
  if (url.pathname === '/__stub/delay' && req.method === 'POST') {
    delayMs = Math.max(0, Number(url.searchParams.get('ms') ?? 0) || 0);
    return answer(res, 200, JSON.stringify({ delayMs }));
  }
  error(res, 404, 'no such control endpoint');
}

const server = createServer((req, res) => {
  readBody(req, (text) => {
    const url = req.url ?? '/';
    if (url.startsWith('/__stub/')) return control(req, res, new URL(url, 'http://stub.local'));
    if (req.method !== 'POST' || !url.startsWith('/call/get-call-history')) return error(res, 404, `Cannot ${req.method} ${url}`);
    stats.requests++;
    const authorization = req.headers.authorization;
    const apiKey = req.headers['x-api-key'];
    if (!authorization && !apiKey) {
      stats.unauthorized++;
      return error(res, 401, 'Unauthorized: send an x-api-key header or an Authorization: Bearer token.');
    }
    let pageSize = 20;
    try {
      const body = JSON.parse(text) as { projectId?: unknown; pageSize?: unknown };
      if (typeof body.projectId !== 'string' || body.projectId === '') throw new Error('projectId');
      if (body.pageSize !== undefined) pageSize = body.pageSize as number;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > STUB_MAX_PAGE_SIZE) throw new Error('pageSize');
    } catch {
      stats.badRequests++;
      return error(res, 400, 'projectId is required; pageSize must be an integer between 1 and 1000.');
    }
    const queryAt = url.indexOf('?');
    const body = bodyFor(queryAt === -1 ? '' : url.slice(queryAt + 1), pageSize);
    if (typeof body === 'string') {
      stats.badRequests++;
      return error(res, 400, body);
    }
    const send = () => (body === null ? error(res, 404, 'No call history found for this project.') : answer(res, 200, body));
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  });
});
server.keepAliveTimeout = 5_000;

const port = Number(process.env.PORT ?? 0);
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as AddressInfo;
  // The harness reads this line to learn the port.
  process.stdout.write(`LISTENING ${address.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
