import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { CallHistoryPage } from '../support/operations.js';
import { success, vendorRecord } from '../support/fixtures.js';

const UPSTREAM_SECRET_TEXT = 'internal stack trace at db.query(secret-table)';

// One test per row of the README's error table: the code, and whether the upstream was called.
describe('errors carry the codes of the error table', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url, { UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.respondWith(() => success([vendorRecord()]));
  });

  const codeOf = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => result.errors?.[0]?.extensions?.code;

  describe('bad arguments: BAD_USER_INPUT, upstream not called', () => {
    it.each([
      ['first: 0', { projectId: 'p', first: 0 }],
      ['first: 1001', { projectId: 'p', first: 1001 }],
      ['first: -5', { projectId: 'p', first: -5 }],
      ['an empty projectId', { projectId: '' }],
      ['a blank projectId', { projectId: '   ' }],
      ['an over-long projectId', { projectId: 'p'.repeat(257) }],
      ['a control character in to', { projectId: 'p', filter: { to: '+1415\u0000555' } }],
      ['a newline in from', { projectId: 'p', filter: { from: 'a\nb' } }],
      ['status: UNKNOWN', { projectId: 'p', filter: { status: 'UNKNOWN' as const } }],
      ['started.before not after started.onOrAfter', { projectId: 'p', filter: { started: { onOrAfter: '2024-02-01', before: '2024-02-01' } } }],
      ['ended.before before ended.onOrAfter', { projectId: 'p', filter: { ended: { onOrAfter: '2024-02-02', before: '2024-02-01' } } }],
      [
        'startedAt.before not after startedAt.onOrAfter',
        { projectId: 'p', filter: { startedAt: { onOrAfter: '2024-02-01T10:00:00Z', before: '2024-02-01T10:00:00Z' } } },
      ],
      ['a damaged cursor', { projectId: 'p', after: 'not-a-cursor' }],
      ['a forged cursor', { projectId: 'p', after: Buffer.from('[1,"x",0,"CA1",1]').toString('base64url') }],
    ])('%s', async (_name, variables) => {
      const result = await api.execute(CallHistoryPage, variables);
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect(result.data).toBeNull();
      expect(upstream.requests).toHaveLength(0);
    });

    it('an invalid Date or DateTime literal is rejected before execution', async () => {
      for (const filter of [{ started: { on: '2024-02-30' } }, { startedAt: { before: 'yesterday' } }]) {
        const result = await api.execute(CallHistoryPage, { projectId: 'p', filter });
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
      }
      expect(upstream.requests).toHaveLength(0);
    });

    it('a cursor issued for other arguments', async () => {
      upstream.respondWith(() => success([vendorRecord({ callSid: 'CA2' }), vendorRecord({ callSid: 'CA1' })]));
      const first = await api.execute(CallHistoryPage, { projectId: 'p', first: 1, filter: { to: '+1' } });
      const cursor = first.data!.callHistory.pageInfo.endCursor!;
      upstream.requests.length = 0;
      for (const variables of [
        { projectId: 'p', first: 1, after: cursor, filter: { to: '+2' } },
        { projectId: 'q', first: 1, after: cursor, filter: { to: '+1' } },
        { projectId: 'p', first: 1, after: cursor },
      ]) {
        const result = await api.execute(CallHistoryPage, variables);
        expect(codeOf(result)).toBe('BAD_USER_INPUT');
      }
      expect(upstream.requests).toHaveLength(0);
      // The same arguments accept it (and `first` may change between pages).
      const next = await api.execute(CallHistoryPage, { projectId: 'p', first: 5, after: cursor, filter: { to: '+1' } });
      expect(next.errors).toBeUndefined();
    });
  });

  it('no credential: UNAUTHENTICATED, upstream not called', async () => {
    const result = await api.execute(CallHistoryPage, { projectId: 'p' }, {});
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    [400, 'BAD_USER_INPUT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
  ])('upstream %i: %s, asked once, upstream message not shown', async (status, code) => {
    upstream.respondWith(() => ({ status, body: { message: UPSTREAM_SECRET_TEXT, status: 'error' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe(code);
    expect(upstream.requests).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain('secret-table');
  });

  it('upstream 404: an empty connection, no error', async () => {
    upstream.respondWith(() => ({ status: 404, body: { message: 'No call history', status: 'error' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.callHistory).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    expect(upstream.requests).toHaveLength(1);
  });

  it('upstream 429 with a Retry-After past the deadline: RATE_LIMITED at once, with retryAfterSeconds', async () => {
    upstream.respondWith(() => ({ status: 429, headers: { 'retry-after': '30' }, body: { message: 'slow down' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
    expect(upstream.requests).toHaveLength(1);
  });

  it('upstream 429 with a 400-digit Retry-After: retryAfterSeconds is a day, a finite number', async () => {
    upstream.respondWith(() => ({ status: 429, headers: { 'retry-after': '9'.repeat(400) }, body: { message: 'slow down' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 86_400 });
    expect(upstream.requests).toHaveLength(1);
  });

  it('upstream 429 without Retry-After: retried, then RATE_LIMITED', async () => {
    upstream.respondWith(() => ({ status: 429, body: { message: 'slow down' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe('RATE_LIMITED');
    expect(upstream.requests).toHaveLength(3);
  });

  it('upstream 503: retried, then UPSTREAM_ERROR', async () => {
    upstream.respondWith(() => ({ status: 503, body: { message: UPSTREAM_SECRET_TEXT } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe('UPSTREAM_ERROR');
    expect(upstream.requests).toHaveLength(3);
    expect(JSON.stringify(result)).not.toContain('secret-table');
  });

  it('upstream 500: not retried (the endpoint documents it as a real failure), UPSTREAM_ERROR', async () => {
    upstream.respondWith(() => ({ status: 500, body: { message: UPSTREAM_SECRET_TEXT } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe('UPSTREAM_ERROR');
    expect(upstream.requests).toHaveLength(1);
  });

  it('a transient 503 followed by success returns the data', async () => {
    let calls = 0;
    upstream.respondWith(() => (++calls === 1 ? { status: 503, body: {} } : success([vendorRecord()])));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.callHistory.edges).toHaveLength(1);
    expect(upstream.requests).toHaveLength(2);
  });

  it('connection refused: UPSTREAM_UNAVAILABLE', async () => {
    const closedPort = await freePort();
    const unreachable = await startTestApp(`http://127.0.0.1:${closedPort}`, { UPSTREAM_MAX_RETRIES: '1' });
    try {
      const result = await unreachable.execute(CallHistoryPage, { projectId: 'p' });
      expect(codeOf(result)).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });

  it('deadline passed: UPSTREAM_TIMEOUT', async () => {
    upstream.respondWith(() => new Promise(() => undefined));
    const started = Date.now();
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500 * 1.1 + 500);
  });

  it.each([
    ['a body that is not JSON', { rawBody: '<html>Service error</html>' }],
    ['a JSON body without a list', { body: { message: 'ok', status: 'success', result: {} } }],
    ['records without callSid', { body: { data: [{ call_sid: 'CA1', state: 'completed' }] } }],
  ])('%s: UPSTREAM_BAD_RESPONSE', async (_name, reply) => {
    upstream.respondWith(() => reply);
    const result = await api.execute(CallHistoryPage, { projectId: 'p' });
    expect(codeOf(result)).toBe('UPSTREAM_BAD_RESPONSE');
    expect(JSON.stringify(result)).not.toContain('Service error');
  });

  it('no error message or extension carries the credential', async () => {
    upstream.respondWith(() => ({ status: 401, body: { message: `bad key ${API_KEY['x-api-key']}` } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' }, { 'x-api-key': 'sk_live_planted_secret' });
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(result)).not.toContain('sk_live_planted_secret');
    expect(api.logs.join('\n')).not.toContain('sk_live_planted_secret');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
