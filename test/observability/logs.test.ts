import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { CallSids } from '../support/operations.js';
import { recordingStacks } from '../support/recording-stack.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type LogLine = Record<string, any>;
const parsed = (api: TestApp): LogLine[] => api.logs.map((line) => JSON.parse(line) as LogLine);
const requestLines = (api: TestApp) => parsed(api).filter((line) => line.msg === 'graphql request' || line.msg === 'graphql request failed');

describe('structured logs', () => {
  const stack = recordingStacks();

  it('take the request id from x-request-id, send it upstream, echo it, and log the operation with its upstream timings', async () => {
    const { upstream, api } = await stack();
    const { status, headers } = await api.post(
      { query: 'query LatestCalls { callHistory(projectId: "p1", first: 2) { nodes { sid } } }' },
      { 'x-api-key': 'k', 'x-request-id': 'checkout-7f3a.42' },
    );
    expect(status).toBe(200);
    expect(headers['x-request-id']).toBe('checkout-7f3a.42');
    expect(upstream.requests[0]!.headers['x-request-id']).toBe('checkout-7f3a.42');

    const [line, ...others] = requestLines(api);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 30,
      requestId: 'checkout-7f3a.42',
      operation: 'LatestCalls',
      operationType: 'query',
      upstream: { attempts: 1, outcomes: { '200': 1 } },
    });
    expect(line!.durationMs).toBeGreaterThan(0);
    expect(line!.upstream.durationMs).toBeGreaterThan(0);
    expect(line!.upstream.durationMs).toBeLessThanOrEqual(line!.durationMs);

    // Each upstream attempt is logged (at debug) with the request id and the operation name.
    const attempts = parsed(api).filter((l) => l.msg === 'upstream attempt');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ requestId: 'checkout-7f3a.42', operation: 'LatestCalls', upstream: { outcome: '200' } });
  });

  it('make up a request id when none (or an unsafe one) is given, and use it everywhere', async () => {
    const { upstream, api } = await stack();
    for (const given of [undefined, 'two words', 'x'.repeat(200), '{"json":1}', '']) {
      upstream.requests.length = 0;
      api.logs.length = 0;
      const { headers } = await api.post(
        { query: '{ callHistory(projectId: "p1") { nodes { sid } } }' },
        given === undefined ? { 'x-api-key': 'k' } : { 'x-api-key': 'k', 'x-request-id': given },
      );
      const id = headers['x-request-id'] as string;
      expect(id).toMatch(UUID);
      expect(upstream.requests[0]!.headers['x-request-id']).toBe(id);
      expect(requestLines(api)[0]).toMatchObject({ requestId: id, operation: null });
    }
  });

  it('log failures at warn with their codes, and follow LOG_LEVEL', async () => {
    const { upstream, api } = await stack({ LOG_LEVEL: 'warn', UPSTREAM_MAX_RETRIES: '1' });
    await api.execute(CallSids, { projectId: 'p1' });
    expect(api.logs).toEqual([]); // a success is logged at info, below the level

    upstream.respondWith(() => ({ status: 502, body: { message: 'bad gateway', status: 'error' } }));
    await api.execute(CallSids, { projectId: 'p1' });
    const lines = parsed(api);
    expect(lines.every((l) => l.level >= 40)).toBe(true);
    expect(requestLines(api)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'graphql request failed',
        operation: 'CallSids',
        errors: ['UPSTREAM_ERROR'],
        upstream: expect.objectContaining({ attempts: 2, outcomes: { '502': 2 } }),
      }),
    ]);
  });

  it('log a caller’s mistake or an upstream refusal once, at info: never as a server error, never with the query’s literals', async () => {
    const { upstream, api } = await stack({ LOG_LEVEL: 'info', UPSTREAM_MAX_RETRIES: '0' });
    const literal = 'PLANTED_LITERAL_5e0c';
    await api.post({ query: `{ callHistory(projectId: "${literal}", first: 5000) { nodes { sid } } }` }, { 'x-api-key': 'k' });
    upstream.respondWith(() => ({ status: 403, body: { message: 'Forbidden', status: 'error' } }));
    await api.post({ query: `{ callHistory(projectId: "${literal}") { nodes { sid } } }` }, { 'x-api-key': 'k' });

    expect(requestLines(api).map((line) => [line.level, line.errors])).toEqual([
      [30, ['BAD_USER_INPUT']],
      [30, ['FORBIDDEN']],
    ]);
    expect(parsed(api).filter((line) => line.level >= 50)).toEqual([]);
    expect(api.logs.join('\n')).not.toContain(literal);
  });

  it('log an unexpected error once at error level, with its cause and stack but not the query', async () => {
    const { api } = await stack({ LOG_LEVEL: 'warn' });
    api.app.source.fetch = async () => {
      throw new TypeError('a bug in the source');
    };
    const literal = 'PLANTED_LITERAL_91f4';
    const { json } = await api.post({ query: `{ callHistory(projectId: "${literal}") { nodes { sid } } }` }, { 'x-api-key': 'k' });
    expect(json.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');

    const errors = parsed(api).filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: expect.stringMatching(/unexpected error/), err: { type: 'TypeError', message: 'a bug in the source' } });
    expect(errors[0]!.err.stack).toMatch(/TypeError: a bug in the source/);
    expect(api.logs.join('\n')).not.toContain(literal);
  });

  it('never contain a credential, whatever happens', async () => {
    const apiKey = 'sk_live_PLANTED_KEY_8c1e';
    const bearer = 'PLANTED_BEARER_TOKEN_77d2';
    const serverKey = 'PLANTED_SERVER_KEY_31ab';
    const { upstream, api } = await stack({ UPSTREAM_API_KEY: serverKey, LOG_LEVEL: 'trace', UPSTREAM_MAX_RETRIES: '1' });
    const query = '{ callHistory(projectId: "p1") { nodes { sid } } }';

    await api.post({ query }, { 'x-api-key': apiKey, 'x-request-id': 'with-key' });
    await api.post({ query }, { authorization: `Bearer ${bearer}` });
    await api.post({ query }, {}); // the server's key is used
    upstream.respondWith(() => ({ status: 503, body: { message: `echo ${apiKey}`, status: 'error' } }));
    await api.post({ query }, { 'x-api-key': apiKey });
    upstream.respondWith(() => ({ status: 401, body: { message: 'Unauthorized', status: 'error' } }));
    await api.post({ query }, { authorization: `Bearer ${bearer}` });
    await api.post({ query: '{ callHistory(projectId: ' }, { 'x-api-key': apiKey });

    // The upstream did receive them: the test would be empty otherwise.
    const sent = JSON.stringify(upstream.requests.map((r) => r.headers));
    for (const secret of [apiKey, bearer, serverKey]) expect(sent).toContain(secret);

    expect(requestLines(api).length).toBe(6);
    const all = api.logs.join('\n');
    for (const secret of [apiKey, bearer, serverKey]) expect(all).not.toContain(secret);
  });
});
