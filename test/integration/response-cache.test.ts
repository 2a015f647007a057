import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from '../support/recording-upstream.js';
import { CallHistoryPage } from '../support/operations.js';

const CACHE_ON = { RESPONSE_CACHE_TTL_MS: '60000' };
const ARGS = { projectId: 'proj-shared', first: 5 };

/** The credential an upstream request carried, as the caller sent it. */
const credentialSent = (request: RecordedRequest): string =>
  String(request.headers['x-api-key'] ?? request.headers.authorization ?? '');

/**
 * Every credential gets its own answer: one call whose `to` and `callSid` are derived from the credential's
 * position in `known`, so an answer served to the wrong credential shows.
 */
function answerPerCredential(known: () => readonly string[]) {
  return (request: RecordedRequest) => {
    const index = known().indexOf(credentialSent(request));
    if (index === -1) return { status: 401, body: { message: 'Unauthorized', status: 'error' } };
    return success([vendorRecord({ to: toFor(index), callSid: `CA${index.toString(16).padStart(32, '0')}` })]);
  };
}
const toFor = (index: number) => `+1555${String(index).padStart(7, '0')}`;

const headersFor = (credential: string): Record<string, string> =>
  credential.startsWith('Bearer ') ? { authorization: credential } : { 'x-api-key': credential };

describe('response cache (RESPONSE_CACHE_TTL_MS, in memory)', () => {
  let upstream: RecordingUpstream;
  let credentials: string[] = [];
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const app = await startTestApp(upstream.url, env);
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    upstream = await startRecordingUpstream(answerPerCredential(() => credentials));
  });
  afterAll(() => upstream.close());
  beforeEach(() => {
    upstream.requests.length = 0;
    credentials = ['key-alice', 'key-bob'];
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('is off by default: two identical requests reach the upstream twice', async () => {
    const api = await start();
    const first = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    const second = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(upstream.requests).toHaveLength(2);
  });

  it('serves a repeated request with the same credential from the cache', async () => {
    const api = await start(CACHE_ON);
    const first = await api.post({ query: printed, variables: ARGS }, { 'x-api-key': 'key-alice' });
    const second = await api.post({ query: printed, variables: ARGS }, { 'x-api-key': 'key-alice' });
    expect(first.json.errors).toBeUndefined();
    expect(first.json.data.callHistory.edges[0].node.to).toBe(toFor(0));
    expect(upstream.requests).toHaveLength(1);
    // The hit is the same body, with no cache metadata and no validator headers.
    expect(second.json).toEqual(first.json);
    expect(second.json.extensions).toBeUndefined();
    expect(first.headers.etag).toBeUndefined();
    expect(second.headers.etag).toBeUndefined();
  });

  it('counts lookups in graphql_response_cache_total, requests without a credential excluded', async () => {
    const api = await start(CACHE_ON);
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-bob' });
    await api.execute(CallHistoryPage, ARGS, {});
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    const counter = (result: string) =>
      Number(new RegExp(`^graphql_response_cache_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(counter('hit')).toBe(2);
    expect(counter('miss')).toBe(2);
    expect(upstream.requests).toHaveLength(2);
  });

  it('keys by the arguments: other variables reach the upstream', async () => {
    const api = await start(CACHE_ON);
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    await api.execute(CallHistoryPage, { ...ARGS, first: 6 }, { 'x-api-key': 'key-alice' });
    expect(upstream.requests).toHaveLength(2);
  });

  it('never gives one credential the answer cached for another', async () => {
    const api = await start(CACHE_ON);
    const alice = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    const bob = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-bob' });
    expect(alice.data?.callHistory.edges[0]?.node.to).toBe(toFor(0));
    expect(bob.data?.callHistory.edges[0]?.node.to).toBe(toFor(1));
    expect(upstream.requests.map(credentialSent)).toEqual(['key-alice', 'key-bob']);
  });

  it('treats the same token as a different credential in the other header', async () => {
    credentials = ['shared-token', 'Bearer shared-token'];
    const api = await start(CACHE_ON);
    const asKey = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'shared-token' });
    const asBearer = await api.execute(CallHistoryPage, ARGS, { authorization: 'Bearer shared-token' });
    expect(asKey.data?.callHistory.edges[0]?.node.to).toBe(toFor(0));
    expect(asBearer.data?.callHistory.edges[0]?.node.to).toBe(toFor(1));
    expect(upstream.requests).toHaveLength(2);
  });

  it('interleaves 100 credentials over the same arguments and serves no answer across credentials', async () => {
    credentials = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0 ? `key-${i}-${randomUUID()}` : `Bearer token-${i}-${randomUUID()}`,
    );
    const api = await start(CACHE_ON);
    const rounds = 3;
    // Each round visits every credential in a different order, ten requests at a time.
    const visits = Array.from({ length: rounds }, (_, round) =>
      credentials.map((_, i) => (i * (round * 2 + 7) + round) % credentials.length),
    );
    let crossed = 0;
    let answered = 0;
    for (const order of visits) {
      for (let at = 0; at < order.length; at += 10) {
        await Promise.all(
          order.slice(at, at + 10).map(async (index) => {
            const result = await api.execute(CallHistoryPage, ARGS, headersFor(credentials[index]!));
            expect(result.errors).toBeUndefined();
            answered++;
            if (result.data?.callHistory.edges[0]?.node.to !== toFor(index)) crossed++;
          }),
        );
      }
    }
    expect(answered).toBe(rounds * 100);
    expect(crossed).toBe(0);
    // Only the first visit of each credential reached the upstream: the cache served the other 200.
    expect(upstream.requests).toHaveLength(100);
    expect(new Set(upstream.requests.map(credentialSent))).toEqual(new Set(credentials));
  });

  it('does not cache requests without a credential', async () => {
    const api = await start(CACHE_ON);
    const first = await api.execute(CallHistoryPage, ARGS, {});
    const second = await api.execute(CallHistoryPage, ARGS, {});
    expect(first.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(second.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(upstream.requests).toHaveLength(0);
  });

  it('does not cache credential-less requests that UPSTREAM_API_KEY serves', async () => {
    credentials = ['server-key'];
    const api = await start({ ...CACHE_ON, UPSTREAM_API_KEY: 'server-key' });
    const first = await api.execute(CallHistoryPage, ARGS, {});
    const second = await api.execute(CallHistoryPage, ARGS, {});
    expect(first.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(upstream.requests.map(credentialSent)).toEqual(['server-key', 'server-key']);
  });

  it('does not cache results with errors', async () => {
    const api = await start(CACHE_ON);
    const first = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'unknown-key' });
    credentials = ['unknown-key'];
    const second = await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'unknown-key' });
    expect(first.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(second.errors).toBeUndefined();
    expect(second.data?.callHistory.edges[0]?.node.to).toBe(toFor(0));
    expect(upstream.requests).toHaveLength(2);
  });

  it('forgets an entry after RESPONSE_CACHE_TTL_MS', async () => {
    const api = await start({ RESPONSE_CACHE_TTL_MS: '200' });
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    expect(upstream.requests).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await api.execute(CallHistoryPage, ARGS, { 'x-api-key': 'key-alice' });
    expect(upstream.requests).toHaveLength(2);
  });

  describe.each([
    ['off', {}],
    ['on', CACHE_ON],
  ])('with the cache %s, every GraphQL response', (_state, env) => {
    const expectPrivate = (headers: Record<string, unknown>) => {
      expect(headers['cache-control']).toBe('private, no-store');
      const vary = String(headers.vary).toLowerCase();
      expect(vary).toContain('authorization');
      expect(vary).toContain('x-api-key');
    };

    it('carries Cache-Control: private, no-store and Vary: Authorization, x-api-key', async () => {
      const api = await start(env);
      const body = { query: printed, variables: ARGS };
      const miss = await api.post(body, { 'x-api-key': 'key-alice' });
      const hit = await api.post(body, { 'x-api-key': 'key-alice' });
      const unauthenticated = await api.post(body);
      const invalid = await api.post({ query: '{ nope }' }, { 'x-api-key': 'key-alice' });
      expect(miss.json.errors).toBeUndefined();
      expect(unauthenticated.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(invalid.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      for (const response of [miss, hit, unauthenticated, invalid]) expectPrivate(response.headers);
    });
  });
});

const printed = `query CachedPage($projectId: ID!, $first: Int) {
  callHistory(projectId: $projectId, first: $first) { edges { node { sid to } } }
}`;
