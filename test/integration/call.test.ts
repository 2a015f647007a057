import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { API_KEY } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallBySid, CallHistoryPage } from '../support/operations.js';
import { recordingStacks, sharedRecordingStack } from '../support/recording-stack.js';
import type { RecordedRequest } from '../support/recording-upstream.js';

const SID = 'CA26e39c970fd416515799f5a165718be3';
const sidOf = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;
const UPSTREAM_SECRET_TEXT = 'internal stack trace at db.query(secret-table)';
const codeOf = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => result.errors?.[0]?.extensions?.code;

/** The vendor's `POST /call` over a map of records: the `{message, status, data}` envelope, 404 when absent. */
const callEndpoint =
  (records: ReadonlyMap<string, Record<string, unknown>>, delayMs = 0) =>
  async (request: RecordedRequest) => {
    if (delayMs) await sleep(delayMs);
    if (request.path !== '/call') return success(Array.from(records.values()));
    const record = records.get((request.body as { sid: string }).sid);
    return record
      ? { body: { message: 'Call data fetched.', status: 'success', data: record } }
      : { status: 404, body: { message: 'No call.', status: 'error' } };
  };

describe('call(projectId, sid): translation and answers', () => {
  const stack = sharedRecordingStack({ UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000' });
  beforeEach(() => {
    stack.upstream.respondWith(callEndpoint(new Map([[SID, vendorRecord()]])));
  });

  it('sends POST /call with body {sid, projectId} and the caller\'s credential header only', async () => {
    const result = await stack.api.execute(CallBySid, { projectId: 'p1', sid: SID }, {
      'x-api-key': 'k1',
      cookie: 'session=1',
      'x-forwarded-for': '10.0.0.1',
    });
    expect(result.errors).toBeUndefined();
    expect(stack.upstream.requests).toHaveLength(1);
    const [sent] = stack.upstream.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/call', rawQuery: '', body: { sid: SID, projectId: 'p1' } });
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers['x-api-key']).toBe('k1');
    expect(sent!.headers.cookie).toBeUndefined();
    expect(sent!.headers['x-forwarded-for']).toBeUndefined();
    expect(sent!.headers.authorization).toBeUndefined();
  });

  it('forwards a Bearer token the same way', async () => {
    await stack.api.execute(CallBySid, { projectId: 'p1', sid: SID }, { authorization: 'Bearer t1' });
    expect(stack.upstream.requests[0]!.headers.authorization).toBe('Bearer t1');
    expect(stack.upstream.requests[0]!.headers['x-api-key']).toBeUndefined();
  });

  it('200 in the envelope: the record normalised exactly as a history page normalises it, with its projectId', async () => {
    const byCall = await stack.api.execute(CallBySid, { projectId: 'p1', sid: SID });
    const byHistory = await stack.api.execute(CallHistoryPage, { projectId: 'p1' });
    const { projectId, ...fields } = byCall.data!.call!;
    expect(projectId).toBe('p1');
    expect(fields).toEqual(byHistory.data!.callHistory.edges[0]!.node);
    expect(fields).toMatchObject({
      sid: SID,
      status: 'COMPLETED',
      startedAt: '2024-01-30T13:39:53.000Z',
      endedAt: '2024-01-30T13:40:16.000Z',
      durationSeconds: 23,
    });
  });

  it('200 with the bare record: the same call', async () => {
    stack.upstream.respondWith(() => ({ body: vendorRecord({ status: 'no-answer' }) }));
    const result = await stack.api.execute(CallBySid, { projectId: 'p1', sid: SID });
    expect(result.data?.call).toMatchObject({ projectId: 'p1', sid: SID, status: 'NO_ANSWER', rawStatus: 'no-answer' });
  });

  it('404: null, with no error', async () => {
    const result = await stack.api.execute(CallBySid, { projectId: 'p1', sid: sidOf(7) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ call: null });
    expect(stack.upstream.requests).toHaveLength(1);
  });

  describe('bad arguments: BAD_USER_INPUT, upstream not called', () => {
    it.each([
      ['an empty sid', { projectId: 'p', sid: '' }],
      ['a blank sid', { projectId: 'p', sid: '  ' }],
      ['an over-long sid', { projectId: 'p', sid: `CA${'a'.repeat(63)}` }],
      ['a control character in sid', { projectId: 'p', sid: 'CA12\u000034' }],
      ['whitespace inside sid', { projectId: 'p', sid: 'CA12 34' }],
      ['an empty projectId', { projectId: '', sid: SID }],
      ['an over-long projectId', { projectId: 'p'.repeat(257), sid: SID }],
    ])('%s', async (_name, variables) => {
      const result = await stack.api.execute(CallBySid, variables);
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.argument).toBeDefined();
      expect(stack.upstream.requests).toHaveLength(0);
    });

    it('a SID of another shape within the bounds is left to the upstream to judge', async () => {
      stack.upstream.respondWith(() => ({ status: 400, body: { message: 'sid is invalid', status: 'error' } }));
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: 'not-a-call-sid' });
      expect(codeOf(result)).toBe('BAD_USER_INPUT');
      expect(stack.upstream.requests).toHaveLength(1);
    });
  });

  it('no credential: UNAUTHENTICATED, upstream not called', async () => {
    const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID }, {});
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
    expect(stack.upstream.requests).toHaveLength(0);
  });

  describe('upstream failures map through the error table, with the same retries as history', () => {
    it.each([
      [400, 'BAD_USER_INPUT', 1],
      [401, 'UNAUTHENTICATED', 1],
      [403, 'FORBIDDEN', 1],
      [429, 'RATE_LIMITED', 3],
      [500, 'UPSTREAM_ERROR', 1],
      [503, 'UPSTREAM_ERROR', 3],
    ])('upstream %i: %s after %i request(s), upstream message not shown', async (status, code, requests) => {
      stack.upstream.respondWith(() => ({ status, body: { message: UPSTREAM_SECRET_TEXT, status: 'error' } }));
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID });
      expect(codeOf(result)).toBe(code);
      expect(result.data).toEqual({ call: null });
      expect(stack.upstream.requests).toHaveLength(requests);
      expect(JSON.stringify(result)).not.toContain('secret-table');
    });

    it('429 with a Retry-After past the deadline: RATE_LIMITED at once, with retryAfterSeconds', async () => {
      stack.upstream.respondWith(() => ({ status: 429, headers: { 'retry-after': '30' }, body: { message: 'slow down' } }));
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 30 });
      expect(stack.upstream.requests).toHaveLength(1);
    });

    it('a transient 503 followed by success returns the call', async () => {
      let calls = 0;
      stack.upstream.respondWith(() => (++calls === 1 ? { status: 503, body: {} } : { body: vendorRecord() }));
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID });
      expect(result.data?.call?.sid).toBe(SID);
      expect(stack.upstream.requests).toHaveLength(2);
    });

    it('deadline passed: UPSTREAM_TIMEOUT within the deadline', async () => {
      stack.upstream.respondWith(() => new Promise(() => undefined));
      const started = Date.now();
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID });
      expect(codeOf(result)).toBe('UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(1500 * 1.1 + 500);
    });

    it.each([
      ['a body that is not JSON', { rawBody: '<html>Service error</html>' }],
      ['an envelope without a record', { body: { message: 'ok', status: 'success' } }],
      ['a list', { body: [vendorRecord()] }],
      ['the record of another call', { body: { data: vendorRecord({ callSid: sidOf(9) }) } }],
    ])('%s: UPSTREAM_BAD_RESPONSE', async (_name, reply) => {
      stack.upstream.respondWith(() => reply);
      const result = await stack.api.execute(CallBySid, { projectId: 'p', sid: SID });
      expect(codeOf(result)).toBe('UPSTREAM_BAD_RESPONSE');
      expect(JSON.stringify(result)).not.toContain('Service error');
    });
  });
});

describe('call: the circuit breaker is the one history uses', () => {
  const stacks = recordingStacks();

  it('history failures open the circuit, and a call lookup is then refused without a request', async () => {
    const { upstream, api } = await stacks({
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_THRESHOLD: '0.5',
      UPSTREAM_BREAKER_WINDOW_MS: '5000',
      UPSTREAM_BREAKER_MIN_RPS: '1',
      UPSTREAM_BREAKER_HALF_OPEN_MS: '60000',
    });
    upstream.respondWith(() => ({ status: 500, body: {} }));
    for (let i = 0; i < 8; i++) await api.execute(CallHistoryPage, { projectId: 'p' });
    const before = upstream.requests.length;
    const result = await api.execute(CallBySid, { projectId: 'p', sid: SID });
    expect(codeOf(result)).toBe('UPSTREAM_UNAVAILABLE');
    expect(result.errors![0]!.message).toMatch(/circuit open/);
    expect(upstream.requests).toHaveLength(before);
  });
});

describe('call: one upstream request per distinct need', () => {
  const stack = sharedRecordingStack({ MAX_ALIASES: '40', MAX_TOKENS: '5000', MAX_COST: '100000' });
  const records = new Map(Array.from({ length: 10 }, (_, i) => [sidOf(i + 1), vendorRecord({ callSid: sidOf(i + 1) })]));
  const callRequests = () => stack.upstream.requests.filter((request) => request.path === '/call');
  beforeEach(() => {
    stack.upstream.respondWith(callEndpoint(records, 50));
  });

  const run = (query: string, headers: Record<string, string> = API_KEY, variables?: Record<string, unknown>) =>
    stack.api.post({ query, variables }, headers).then((r) => r.json as { data?: any; errors?: Array<{ extensions?: Record<string, unknown> }> });

  it('5 aliases of the same call: 1 request', async () => {
    const fields = [1, 2, 3, 4, 5].map((i) => `a${i}: call(projectId: "p", sid: "${sidOf(1)}") { sid }`).join('\n');
    const result = await run(`{ ${fields} }`);
    expect(result.errors).toBeUndefined();
    expect(Object.values(result.data).map((call: any) => call.sid)).toEqual(Array(5).fill(sidOf(1)));
    expect(callRequests()).toHaveLength(1);
  });

  it('the same SID in two projects: 2 requests, each call under its own project', async () => {
    const result = await run(`{ a: call(projectId: "p", sid: "${sidOf(1)}") { projectId } b: call(projectId: "q", sid: "${sidOf(1)}") { projectId } }`);
    expect(result.data).toEqual({ a: { projectId: 'p' }, b: { projectId: 'q' } });
    expect(callRequests().map((request) => request.body)).toEqual(
      expect.arrayContaining([{ sid: sidOf(1), projectId: 'p' }, { sid: sidOf(1), projectId: 'q' }]),
    );
    expect(callRequests()).toHaveLength(2);
  });

  it('_entities: 20 Call representations of 5 distinct calls → 20 entities in order, 5 requests', async () => {
    const representations = Array.from({ length: 20 }, (_, i) => ({ __typename: 'Call', projectId: 'p', sid: sidOf((i % 5) + 1) }));
    const result = await run(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Call { projectId sid status } } }',
      API_KEY,
      { r: representations },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toEqual(representations.map(({ sid }) => ({ projectId: 'p', sid, status: 'COMPLETED' })));
    expect(callRequests()).toHaveLength(5);
  });

  it('_entities: an unknown call is null with no error; a bad representation errs alone', async () => {
    const result = await run(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Call { sid } } }',
      API_KEY,
      {
        r: [
          { __typename: 'Call', projectId: 'p', sid: sidOf(1) },
          { __typename: 'Call', projectId: 'p', sid: sidOf(99) },
          { __typename: 'Call', projectId: 'p', sid: { not: 'a string' } },
        ],
      },
    );
    expect(result.data._entities).toEqual([{ sid: sidOf(1) }, null, null]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(callRequests()).toHaveLength(2);
  });

  it('a call held by a history page of the same project in the same operation: no /call request', async () => {
    const result = await run(`{
      callHistory(projectId: "p", first: 10) { nodes { sid } }
      call(projectId: "p", sid: "${sidOf(3)}") { projectId sid status }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data.call).toEqual({ projectId: 'p', sid: sidOf(3), status: 'COMPLETED' });
    expect(stack.upstream.requests.map((request) => request.path)).toEqual(['/call/get-call-history']);
  });

  it('a page of another project, or a call the page does not hold: the call is asked for', async () => {
    const result = await run(`{
      callHistory(projectId: "q", first: 10) { nodes { sid } }
      a: call(projectId: "p", sid: "${sidOf(3)}") { sid }
    }`);
    expect(result.data.a).toEqual({ sid: sidOf(3) });
    expect(callRequests()).toHaveLength(1);
    stack.upstream.requests.length = 0;
    const missing = await run(`{
      callHistory(projectId: "p", first: 10) { nodes { sid } }
      call(projectId: "p", sid: "${sidOf(77)}") { sid }
    }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data.call).toBeNull();
    expect(callRequests()).toHaveLength(1);
  });

  it('concurrent operations of one credential share the lookup in flight: 1 request', async () => {
    // Slow enough that all three arrive while the first is in flight, even on a loaded machine.
    stack.upstream.respondWith(callEndpoint(records, 300));
    const query = `{ call(projectId: "p", sid: "${sidOf(2)}") { sid } }`;
    const results = await Promise.all([run(query), run(query), run(query)]);
    expect(results.map((result) => result.data.call.sid)).toEqual(Array(3).fill(sidOf(2)));
    expect(callRequests()).toHaveLength(1);
    expect(stack.api.app.inFlight.size).toBe(0);
  });

  it('credential isolation: concurrent lookups of two credentials are two requests, each answered by its own', async () => {
    stack.upstream.respondWith(async (request) => {
      await sleep(300);
      if (request.headers['x-api-key'] !== 'allowed') return { status: 403, body: { message: 'Forbidden', status: 'error' } };
      return { body: { data: records.get(sidOf(4)) } };
    });
    const query = `{ call(projectId: "p", sid: "${sidOf(4)}") { sid } }`;
    const [allowed, refused] = await Promise.all([run(query, { 'x-api-key': 'allowed' }), run(query, { 'x-api-key': 'refused' })]);
    expect(allowed.data.call).toEqual({ sid: sidOf(4) });
    expect(refused.data.call).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(callRequests().map((request) => request.headers['x-api-key']).sort()).toEqual(['allowed', 'refused']);
  });

  it('credential isolation: a page read with one credential never answers another\'s lookup', async () => {
    const history = run('{ callHistory(projectId: "p", first: 10) { nodes { sid } } }', { 'x-api-key': 'one' });
    const lookup = run(`{ call(projectId: "p", sid: "${sidOf(5)}") { sid } }`, { 'x-api-key': 'two' });
    await Promise.all([history, lookup]);
    expect(callRequests()).toHaveLength(1);
    expect(callRequests()[0]!.headers['x-api-key']).toBe('two');
  });
});
