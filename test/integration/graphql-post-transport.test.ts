import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type YogaEntryPoints, createGraphQLPostTransport, isCommonPost } from '../../src/http/graphql-post-transport.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { type RecordingUpstream, startRecordingUpstream } from '../support/recording-upstream.js';

const LIMIT = 4_096;

const incoming = (method: string, url: string, headers: Record<string, string>) => ({ method, url, headers }) as unknown as IncomingMessage;
const jsonPost = (headers: Record<string, string> = {}, url = '/graphql') =>
  incoming('POST', url, { 'content-type': 'application/json', 'content-length': '30', ...headers });

describe('the lean transport: which requests it serves itself', () => {
  const common = (req: IncomingMessage) => isCommonPost(req, '/graphql', '/graphql?', LIMIT);

  it('takes POST /graphql with a JSON body of declared length within the limit', () => {
    expect(common(jsonPost())).toBe(true);
    expect(common(jsonPost({ 'content-type': 'application/json; charset=utf-8' }))).toBe(true);
    expect(common(jsonPost({}, '/graphql?trace=1'))).toBe(true);
    expect(common(jsonPost({ accept: 'application/graphql-response+json, application/json' }))).toBe(true);
  });

  it('hands everything else to Yoga', () => {
    expect(common(incoming('GET', '/graphql?query={__typename}', {}))).toBe(false);
    expect(common(jsonPost({}, '/readiness'))).toBe(false);
    expect(common(jsonPost({}, '/graphqlx'))).toBe(false);
    expect(common(jsonPost({ 'content-type': 'text/plain' }))).toBe(false);
    expect(common(jsonPost({ 'content-type': 'multipart/form-data; boundary=x' }))).toBe(false);
    expect(common(jsonPost({ 'content-type': 'application/jsonx' }))).toBe(false);
    expect(common(jsonPost({ accept: 'text/event-stream' }))).toBe(false);
    expect(common(jsonPost({ accept: 'multipart/mixed' }))).toBe(false);
    expect(common(incoming('POST', '/graphql', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }))).toBe(false);
    expect(common(jsonPost({ 'content-length': String(LIMIT + 1) }))).toBe(false);
    expect(common(jsonPost({ 'content-length': '1e3' }))).toBe(false);
    expect(common(jsonPost({ 'content-encoding': 'gzip' }))).toBe(false);
  });
});

describe('the lean transport over HTTP, in front of a recording Yoga', () => {
  const calls: Array<{ via: 'lean' | 'yoga'; url: string; headers?: Record<string, string>; body?: unknown; signal?: boolean }> = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const yoga: YogaEntryPoints = {
      fetchAPI: { Headers },
      async handleRequest(req) {
        const body = await req.json();
        calls.push({ via: 'lean', url: req.url, headers: Object.fromEntries(req.headers), body, signal: req.signal instanceof AbortSignal });
        return new Response(JSON.stringify({ data: { echo: body } }), {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8', 'x-from': 'lean' },
        });
      },
      handle(req, res) {
        const taken = (req as IncomingMessage & { body?: Buffer }).body;
        calls.push({ via: 'yoga', url: req.url ?? '', body: taken?.toString('utf8') });
        res.writeHead(200, { 'x-from': 'yoga' }).end('yoga');
      },
    };
    server = createServer(createGraphQLPostTransport(yoga, { endpoint: '/graphql', maxRequestBodyBytes: LIMIT }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    calls.length = 0;
    const response = await request(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    return { status: response.statusCode, from: response.headers['x-from'], text: await response.body.text() };
  };

  it('serves a JSON POST itself: Yoga sees the URL, the headers and the parsed body', async () => {
    const answer = await send('POST', '/graphql', { 'content-type': 'application/json', 'x-api-key': 'k' }, '{"query":"{ a }"}');
    expect(answer).toEqual({ status: 200, from: 'lean', text: '{"data":{"echo":{"query":"{ a }"}}}' });
    expect(calls).toEqual([
      expect.objectContaining({ via: 'lean', url: `${url}/graphql`, body: { query: '{ a }' }, signal: true, headers: expect.objectContaining({ 'x-api-key': 'k' }) }),
    ]);
  });

  it('hands a GET, a stream request and a non-JSON body to Yoga without reading them', async () => {
    expect((await send('GET', '/graphql?query=%7Ba%7D', {})).from).toBe('yoga');
    expect((await send('POST', '/graphql', { 'content-type': 'application/json', accept: 'text/event-stream' }, '{"query":"{ a }"}')).from).toBe('yoga');
    expect((await send('POST', '/graphql', { 'content-type': 'text/plain' }, '{"query":"{ a }"}')).from).toBe('yoga');
    expect(calls).toEqual([{ via: 'yoga', url: '/graphql', body: undefined }]);
  });

  it('hands a subscription, or a body with a byte order mark, to Yoga with the bytes it already read', async () => {
    const subscription = '{"query":"subscription { ticks }"}';
    expect(await send('POST', '/graphql', { 'content-type': 'application/json' }, subscription)).toMatchObject({ from: 'yoga' });
    expect(calls).toEqual([{ via: 'yoga', url: '/graphql', body: subscription }]);
    const withBom = '\uFEFF{"query":"{ a }"}';
    expect(await send('POST', '/graphql', { 'content-type': 'application/json' }, withBom)).toMatchObject({ from: 'yoga' });
    expect(calls).toEqual([{ via: 'yoga', url: '/graphql', body: withBom }]);
  });
});

/**
 * The same requests to two servers that differ only in LEAN_TRANSPORT: every answer must be the same, status,
 * headers and body (the date and connection headers aside), for good requests and for every kind of refusal.
 */
describe('one behaviour whatever the path: the lean transport and Yoga answer alike', () => {
  let upstream: RecordingUpstream;
  let lean: TestApp;
  let yoga: TestApp;
  const env = {
    UPSTREAM_API_KEY: 'server-key',
    CURSOR_SECRET: 'a-cursor-secret-of-at-least-32-characters',
    MAX_REQUEST_BODY_BYTES: String(LIMIT),
    CORS_ORIGINS: 'https://app.example.com',
  };

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord(), vendorRecord({ callSid: 'CA2', status: 'busy' })]));
    lean = await startTestApp(upstream.url, { ...env, LEAN_TRANSPORT: 'true' });
    yoga = await startTestApp(upstream.url, { ...env, LEAN_TRANSPORT: 'false' });
  });
  afterAll(async () => {
    await lean.close();
    await yoga.close();
    await upstream.close();
  });

  const QUERY = 'query H($p: ID!, $n: Int) { callHistory(projectId: $p, first: $n) { edges { cursor node { sid status startedAt } } pageInfo { hasNextPage endCursor } } }';
  const JSON_TYPE = { 'content-type': 'application/json' };
  const cases: Array<[name: string, body: string, headers?: Record<string, string>]> = [
    ['a query with variables', JSON.stringify({ query: QUERY, variables: { p: 'p1', n: 2 } })],
    ['the same with a caller credential and a request id', JSON.stringify({ query: QUERY, variables: { p: 'p1', n: 2 } }), { 'x-api-key': 'caller', 'x-request-id': 'req-1' }],
    ['__typename', '{"query":"{ __typename }"}'],
    ['a charset parameter', '{"query":"{ __typename }"}', { 'content-type': 'application/json; charset=utf-8' }],
    ['a syntax error', '{"query":"{ callHistory( "}'],
    ['a validation error', '{"query":"{ nope }"}'],
    ['a validation error, graphql-response+json', '{"query":"{ nope }"}', { accept: 'application/graphql-response+json' }],
    ['variables that do not coerce', JSON.stringify({ query: QUERY, variables: { p: 'p1', n: 'many-secret-token' } })],
    ['a field error', JSON.stringify({ query: QUERY, variables: { p: 'p1', n: -5 } })],
    ['invalid JSON', '{"query":'],
    ['an empty body', ''],
    ['a batch', '[{"query":"{ __typename }"}]'],
    ['a JSON string', '"{ __typename }"'],
    ['null', 'null'],
    ['no query', '{}'],
    ['a query that is not a string', '{"query":42}'],
    ['an unexpected parameter', '{"query":"{ __typename }","extra":1}'],
    ['a documentId without a manifest', '{"documentId":"sha256:abc"}'],
    ['a mutation', '{"query":"mutation { x }"}'],
    ['a subscription', '{"query":"subscription { x }"}'],
    ['an unknown operation name', '{"query":"query A { __typename }","operationName":"B"}'],
    ['a body with a byte order mark', '\uFEFF{"query":"{ __typename }"}'],
    ['too many aliases', JSON.stringify({ query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: __typename`).join(' ')} }` })],
    ['a body over MAX_REQUEST_BODY_BYTES', JSON.stringify({ query: `{ __typename }${' '.repeat(LIMIT)}` })],
    ['a host that is not allowed', '{"query":"{ __typename }"}', { host: 'evil.example' }],
    ['a CORS request from an allowed origin', '{"query":"{ __typename }"}', { origin: 'https://app.example.com' }],
    ['a CORS request from another origin', '{"query":"{ __typename }"}', { origin: 'https://evil.example' }],
    ['text/plain (no CSRF header)', '{"query":"{ __typename }"}', { 'content-type': 'text/plain' }],
    ['an unacceptable accept', '{"query":"{ __typename }"}', { accept: 'text/html' }],
    ['an event stream', '{"query":"{ __typename }"}', { accept: 'text/event-stream' }],
  ];

  const IGNORED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  const answer = async (app: TestApp, body: string, headers: Record<string, string>) => {
    const response = await request(`${app.url}/graphql`, { method: 'POST', headers: { ...JSON_TYPE, 'x-request-id': 'fixed', ...headers }, body });
    const text = await response.body.text();
    const kept = Object.entries(response.headers).filter(([name]) => !IGNORED.has(name));
    return { status: response.statusCode, headers: Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b))), text };
  };

  it('the servers run the transports they were asked for', () => {
    expect([lean.app.transport, yoga.app.transport]).toEqual(['lean', 'yoga']);
  });

  it.each(cases)('%s', async (_name, body, headers = {}) => {
    const viaLean = await answer(lean, body, headers);
    const viaYoga = await answer(yoga, body, headers);
    expect(viaLean).toEqual(viaYoga);
  });

  it('the answers differ between cases: the comparison is not vacuous', async () => {
    const statuses = new Set<number>();
    for (const [, body, headers = {}] of cases) statuses.add((await answer(lean, body, headers)).status);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 403, 406, 413, 421]));
  });
});
