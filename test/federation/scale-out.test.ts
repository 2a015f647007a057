import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashSHA256 } from '@graphql-yoga/plugin-response-cache';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scopeOf } from '../../src/upstream/credential.js';
import { generateCalls, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { REDIS_CONNECTION_NAME, REDIS_KEY_PREFIX } from '../../src/plugins/response-cache.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from '../support/recording-upstream.js';
import { CallHistoryPage } from '../support/operations.js';
import { composeSupergraph } from './compose.js';
import { fetchSubgraphSdl, startGateway, type RunningGateway } from './gateway.js';
import { createProjectsSubgraph } from './projects-subgraph.js';
import { startRedisServer, type RunningRedis } from './redis-server.js';

const TTL_MS = 60_000;
const SHARED_CACHE = (redisUrl: string) => ({ RESPONSE_CACHE_TTL_MS: String(TTL_MS), REDIS_URL: redisUrl });
const ARGS = { projectId: 'alpha', first: 5 };
const KEY_A = 'replica-key-a';
const KEY_B = 'replica-key-b';

describe('scale-out: replicas share the Redis-backed response cache (real redis-server)', () => {
  let redis: RunningRedis;
  let emulator: RunningEmulator;
  let replicaA: TestApp;
  let replicaB: TestApp;

  const upstreamKeys = () => emulator.requests().map((entry) => entry.headers['x-api-key']);
  const allRedisKeys = async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    emulator = await startEmulator({ demo: false });
    emulator.store.insertCalls('alpha', generateCalls({ projectId: 'alpha', count: 12, seed: 7, days: 30 }));
    emulator.store.grant('api-key', KEY_A, ['alpha']);
    emulator.store.grant('api-key', KEY_B, ['alpha']);
    replicaA = await startTestApp(emulator.url, SHARED_CACHE(redis.url));
    replicaB = await startTestApp(emulator.url, SHARED_CACHE(redis.url));
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await emulator?.close();
    await redis?.close();
  });
  beforeEach(async () => {
    emulator.clearRequests();
    await redis.client.flushall();
  });

  it('serves through replica B an entry written through replica A, for the same credential', async () => {
    const written = await replicaA.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
    expect(written.errors).toBeUndefined();
    expect(written.data?.callHistory.edges).toHaveLength(5);
    expect(upstreamKeys()).toEqual([KEY_A]);

    const served = await replicaB.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
    expect(served.data).toEqual(written.data);
    expect(upstreamKeys()).toEqual([KEY_A]);
  });

  it('never serves that entry to another credential, on either replica', async () => {
    await replicaA.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });

    const other = await replicaB.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_B });
    expect(other.errors).toBeUndefined();
    expect(upstreamKeys()).toEqual([KEY_A, KEY_B]);

    const unknown = await replicaB.execute(CallHistoryPage, ARGS, { 'x-api-key': 'unknown-key' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.data ?? null).toBeNull();
    expect(upstreamKeys()).toEqual([KEY_A, KEY_B, 'unknown-key']);

    const viaA = await replicaA.execute(CallHistoryPage, ARGS, { 'x-api-key': 'unknown-key' });
    expect(viaA.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(upstreamKeys()).toHaveLength(4);
  });

  it('does not answer 304 to an If-None-Match that names a cache key, even the caller\'s own', async () => {
    const query = 'query Probe($projectId: ID!, $first: Int) { callHistory(projectId: $projectId, first: $first) { nodes { sid } } }';
    const written = await replicaA.post({ query, variables: ARGS }, { 'x-api-key': KEY_A });
    expect(written.headers.etag).toBeUndefined();
    // The key the plugin derives (its default): SHA-256 of document | operation name | variables | session.
    const scopeA = scopeOf({ apiKey: KEY_A });
    const cacheKey = await hashSHA256([query, '', JSON.stringify({ first: 5, projectId: 'alpha' }), scopeA].join('|'));
    expect(await allRedisKeys()).toEqual([`${REDIS_KEY_PREFIX}${cacheKey}`]);

    for (const key of [KEY_A, KEY_B]) {
      const probe = await replicaB.post({ query, variables: ARGS }, { 'x-api-key': key, 'if-none-match': cacheKey });
      expect(probe.status).toBe(200);
      expect(probe.json.data).toEqual(written.json.data);
    }
  });

  it('without REDIS_URL each replica keeps its own cache in memory', async () => {
    const localA = await startTestApp(emulator.url, { RESPONSE_CACHE_TTL_MS: String(TTL_MS) });
    const localB = await startTestApp(emulator.url, { RESPONSE_CACHE_TTL_MS: String(TTL_MS) });
    try {
      await localA.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
      await localA.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
      await localB.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
      expect(upstreamKeys()).toEqual([KEY_A, KEY_A]);
      expect(await allRedisKeys()).toEqual([]);
    } finally {
      await localA.close();
      await localB.close();
    }
  });

  describe('behind Hive Gateway, which sends each request to the replica the test picks', () => {
    const REPLICAS_URL = 'http://call-history.replicas/graphql';
    let projectsServer: Server;
    let gateway: RunningGateway;
    let target: TestApp;
    const QUERY = `{ projects { id name callHistory(first: 3) { nodes { sid } } } }`;

    beforeAll(async () => {
      projectsServer = createServer(createProjectsSubgraph(() => [{ id: 'alpha', name: 'Alpha' }]));
      await new Promise<void>((resolve) => projectsServer.listen(0, '127.0.0.1', resolve));
      const projectsUrl = `http://127.0.0.1:${(projectsServer.address() as AddressInfo).port}/graphql`;
      const { supergraphSdl } = composeSupergraph({
        callHistorySdl: await fetchSubgraphSdl(`${replicaA.url}/graphql`),
        callHistoryUrl: REPLICAS_URL,
        projectsSdl: await fetchSubgraphSdl(projectsUrl),
        projectsUrl,
      });
      gateway = await startGateway({
        supergraph: supergraphSdl,
        route: (url) => (url === REPLICAS_URL ? `${target.url}/graphql` : url),
      });
    });
    afterAll(async () => {
      await gateway?.close();
      await new Promise<void>((resolve) => {
        if (!projectsServer) return resolve();
        projectsServer.close(() => resolve());
        projectsServer.closeAllConnections();
      });
    });

    it('an answer cached through replica A is served by replica B, and only to the same credential', async () => {
      target = replicaA;
      const written = await gateway.query(QUERY, { 'x-api-key': KEY_A });
      expect(written.errors).toBeUndefined();
      expect(written.data.projects[0].callHistory.nodes).toHaveLength(3);
      expect(upstreamKeys()).toEqual([KEY_A]);

      target = replicaB;
      const served = await gateway.query(QUERY, { 'x-api-key': KEY_A });
      expect(served).toEqual(written);
      expect(upstreamKeys()).toEqual([KEY_A]);

      const other = await gateway.query(QUERY, { 'x-api-key': KEY_B });
      expect(other.data).toEqual(written.data);
      expect(upstreamKeys()).toEqual([KEY_A, KEY_B]);

      const unknown = await gateway.query(QUERY, { 'x-api-key': 'unknown-key' });
      expect(unknown.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
      expect(upstreamKeys()).toEqual([KEY_A, KEY_B, 'unknown-key']);
    });
  });

  describe('100 credentials interleaved over two replicas, same arguments', () => {
    let upstream: RecordingUpstream;
    let replicas: TestApp[] = [];
    let credentials: string[] = [];
    const credentialSent = (request: RecordedRequest) => String(request.headers['x-api-key'] ?? request.headers.authorization);
    const toFor = (index: number) => `+1666${String(index).padStart(7, '0')}`;

    beforeAll(async () => {
      credentials = Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? `key-${i}-${randomUUID()}` : `Bearer token-${i}-${randomUUID()}`,
      );
      // The upstream answers each credential with a call whose `to` identifies it.
      upstream = await startRecordingUpstream((request) => {
        const index = credentials.indexOf(credentialSent(request));
        if (index === -1) return { status: 401, body: { message: 'Unauthorized', status: 'error' } };
        return success([vendorRecord({ to: toFor(index) })]);
      });
      replicas = [
        await startTestApp(upstream.url, SHARED_CACHE(redis.url)),
        await startTestApp(upstream.url, SHARED_CACHE(redis.url)),
      ];
    });
    afterAll(async () => {
      await Promise.all(replicas.map((replica) => replica.close()));
      await upstream?.close();
    });

    it('serves no answer across credentials, stores one entry per credential, and never the raw token', async () => {
      const rounds = 3;
      let crossed = 0;
      let answered = 0;
      for (let round = 0; round < rounds; round++) {
        // Each round, each credential goes to the other replica than the round before.
        const order = credentials.map((_, i) => (i * (round * 2 + 7) + round) % credentials.length);
        for (let at = 0; at < order.length; at += 10) {
          await Promise.all(
            order.slice(at, at + 10).map(async (index) => {
              const credential = credentials[index]!;
              const headers = credential.startsWith('Bearer ') ? { authorization: credential } : { 'x-api-key': credential };
              const replica = replicas[(index + round) % 2]!;
              const result = await replica.execute(CallHistoryPage, ARGS, headers);
              expect(result.errors).toBeUndefined();
              answered++;
              if (result.data?.callHistory.edges[0]?.node.to !== toFor(index)) crossed++;
            }),
          );
        }
      }
      expect(answered).toBe(rounds * 100);
      expect(crossed).toBe(0);
      expect(upstream.requests).toHaveLength(100);

      const keys = await allRedisKeys();
      expect(keys).toHaveLength(100);
      const tokens = credentials.map((credential) => credential.replace(/^Bearer /, ''));
      for (const key of keys) {
        expect(key.startsWith(REDIS_KEY_PREFIX)).toBe(true);
        for (const token of tokens) expect(key).not.toContain(token);
        const ttl = await redis.client.pttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(TTL_MS);
        const stored = (await redis.client.get(key)) ?? '';
        expect(stored).toContain('"to":"+1666');
        for (const token of tokens) expect(stored).not.toContain(token);
      }
    });
  });

  it('keeps answering, uncached, when Redis goes away', async () => {
    const doomed = await startRedisServer();
    const replica = await startTestApp(emulator.url, SHARED_CACHE(doomed.url));
    try {
      await replica.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
      const cached = await replica.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
      expect(upstreamKeys()).toHaveLength(1);

      await doomed.close();
      for (let i = 0; i < 3; i++) {
        const result = await replica.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual(cached.data);
      }
      // Not served from the cache any more: every request went to the upstream.
      expect(upstreamKeys()).toHaveLength(4);
      expect(replica.logs.some((line) => line.includes('Redis is unreachable'))).toBe(true);
      expect(replica.logs.join('')).not.toContain(doomed.url);
    } finally {
      await replica.close();
      await doomed.close();
    }
  });

  it('closing a replica disconnects it from Redis', async () => {
    const connections = async () =>
      String(await redis.client.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${REDIS_CONNECTION_NAME}`)).length;
    const before = await connections();
    const replica = await startTestApp(emulator.url, SHARED_CACHE(redis.url));
    await replica.execute(CallHistoryPage, ARGS, { 'x-api-key': KEY_A });
    expect(await connections()).toBe(before + 1);
    await replica.close();
    await expect.poll(connections, { timeout: 5_000 }).toBe(before);
  });
});
