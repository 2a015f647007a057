import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { EVENTS_KEY_PREFIX } from '../../src/events/redis-cluster.js';
import { scopeOf } from '../../src/upstream/credential.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success } from '../support/fixtures.js';
import { type EventPayload, liveCall, putCall, subscribeSse, type Subscription } from '../support/live-events.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { startRedisServer, type RunningRedis } from '../federation/redis-server.js';

const INTERVAL_MS = 1_000;
const WEBHOOK_SECRET = 'a-webhook-secret-of-some-length';

async function until(condition: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const replica = (upstreamUrl: string, redisUrl: string, intervalMs = INTERVAL_MS) =>
  startTestApp(
    upstreamUrl,
    { REDIS_URL: redisUrl, MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '100', WEBHOOK_SECRET, WEBHOOK_MIN_INTERVAL_MS: '0' },
    { eventsPollIntervalMs: intervalMs },
  );

/** Both replicas' hubs added up. */
const totals = (...replicas: TestApp[]) =>
  replicas.map((r) => r.app.events.stats()).reduce((a, b) => ({
    feeds: a.feeds + b.feeds,
    watchers: a.watchers + b.watchers,
    following: a.following + b.following,
    subscriptions: a.subscriptions + b.subscriptions,
    polls: a.polls + b.polls,
    waiting: a.waiting + b.waiting,
  }));

/** A killed process: its Redis connections drop without releasing anything, then its server stops. */
async function kill(victim: TestApp) {
  victim.app.eventsCluster!.abandon();
  await victim.close();
}

const seen = (sub: Subscription) => sub.payloads.map((p: EventPayload) => `${p.data!.callEvents.kind} ${p.data!.callEvents.call.sid} ${p.data!.callEvents.call.status}`);

async function redisKeys(redis: RunningRedis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.client.scan(cursor, 'MATCH', `${EVENTS_KEY_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

describe('callEvents across replicas: one watcher per (credential, project) through a Redis lease (real redis-server)', () => {
  let redis: RunningRedis;
  let emulator: RunningEmulator;
  const open: TestApp[] = [];
  const start = async (upstreamUrl = emulator.url, intervalMs = INTERVAL_MS) => {
    const app = await replica(upstreamUrl, redis.url, intervalMs);
    open.push(app);
    return app;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    emulator = await startEmulator({ port: 0, calls: 50 });
  });
  afterAll(async () => {
    await Promise.all(open.map((app) => app.close().catch(() => undefined)));
    await emulator?.close();
    await redis?.close();
  });

  it('100 subscribers on 2 replicas cost one watcher\'s upstream requests per interval, and get each event once', async () => {
    const [a, b] = [await start(), await start()];
    const key = { 'x-api-key': DEMO_API_KEY };
    const subs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => subscribeSse((i % 2 ? b : a).url, { projectId: DEMO_PROJECT_ID }, key)),
    );
    await until(() => totals(a, b).watchers === 1 && totals(a, b).following === 1, 'one leader and one follower');
    expect(totals(a, b).subscriptions).toBe(100);
    await sleep(INTERVAL_MS);

    emulator.clearRequests();
    const pollsBefore = totals(a, b).polls;
    await sleep(4 * INTERVAL_MS);
    const polls = totals(a, b).polls - pollsBefore;
    const requests = emulator.requests({ projectId: DEMO_PROJECT_ID }).length;
    // One watcher polls about 4 times in 4 intervals; a watcher on each replica would poll about 8 times.
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(polls).toBeLessThanOrEqual(5);
    expect(requests).toBe(polls * 5);

    const call = putCall(emulator.store, DEMO_PROJECT_ID, liveCall());
    await until(() => subs.every((sub) => sub.payloads.length >= 1), 'STARTED on every subscriber');
    emulator.calls.update(call.callSid, { status: 'ringing' }, { projectId: DEMO_PROJECT_ID });
    await until(() => subs.every((sub) => sub.payloads.length >= 2), 'UPDATED on every subscriber');
    await sleep(2 * INTERVAL_MS);
    for (const sub of subs) expect(seen(sub)).toEqual([`STARTED ${call.callSid} QUEUED`, `UPDATED ${call.callSid} RINGING`]);
    for (const sub of subs) sub.close();
  }, 60_000);

  it('a killed leader is replaced within two intervals by a replica with subscribers: nothing twice, nothing missed', async () => {
    emulator.store.grant('api-key', 'failover-key', [DEMO_PROJECT_ID]);
    const key = { 'x-api-key': 'failover-key' };
    const leader = await start();
    const onLeader = await subscribeSse(leader.url, { projectId: DEMO_PROJECT_ID }, key);
    await until(() => leader.app.events.stats().watchers === 1, 'the first replica to lead');
    const survivor = await start();
    const followers = [await subscribeSse(survivor.url, { projectId: DEMO_PROJECT_ID }, key), await subscribeSse(survivor.url, { projectId: DEMO_PROJECT_ID }, key)];
    await until(() => survivor.app.events.stats().following === 1, 'the second replica to follow');

    const first = putCall(emulator.store, DEMO_PROJECT_ID, liveCall());
    await until(() => [onLeader, ...followers].every((sub) => sub.payloads.length >= 1), 'the first call everywhere');

    // Changes the dying leader may or may not have read and published: either way each arrives once.
    emulator.calls.update(first.callSid, { status: 'ringing' }, { projectId: DEMO_PROJECT_ID });
    const second = putCall(emulator.store, DEMO_PROJECT_ID, liveCall());
    await sleep(INTERVAL_MS / 2);
    const killedAt = Date.now();
    await kill(leader);
    await until(() => survivor.app.events.stats().watchers === 1, 'the survivor to take over', 4 * INTERVAL_MS);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2 * INTERVAL_MS);

    // Changes after the takeover are read by the survivor's own watcher.
    const pollsAtTakeover = survivor.app.events.stats().polls;
    await until(() => survivor.app.events.stats().polls >= pollsAtTakeover + 1, 'a poll of the new leader');
    emulator.calls.update(first.callSid, { status: 'completed', seconds: 30 }, { projectId: DEMO_PROJECT_ID });
    emulator.calls.update(second.callSid, { status: 'in-progress' }, { projectId: DEMO_PROJECT_ID });
    const expected = [
      `STARTED ${first.callSid} QUEUED`,
      `UPDATED ${first.callSid} RINGING`,
      `STARTED ${second.callSid} QUEUED`,
      `UPDATED ${first.callSid} COMPLETED`,
      `UPDATED ${second.callSid} IN_PROGRESS`,
    ];
    for (const sub of followers) await sub.waitFor(expected.length);
    await sleep(2 * INTERVAL_MS);
    for (const sub of followers) {
      expect(seen(sub).toSorted()).toEqual(expected.toSorted());
      expect(seen(sub)[0]).toBe(expected[0]);
      sub.close();
    }
  }, 60_000);

  describe('two credentials on one project (their own upstream)', () => {
    let upstream: RecordingUpstream;
    const records: Record<string, Array<Record<string, unknown>>> = { 'iso-key-a': [], 'iso-key-b': [] };
    const refused = new Set<string>();
    beforeAll(async () => {
      upstream = await startRecordingUpstream((req) => {
        const apiKey = String(req.headers['x-api-key']);
        if (refused.has(apiKey)) return { status: 403, body: { message: 'Forbidden', status: 'error' } };
        const status = req.query.status;
        return success((records[apiKey] ?? []).filter((record) => status === undefined || record.status === status));
      });
    });
    afterAll(() => upstream.close());

    it('each credential has its own lease, named without the credential; events and refusals never cross', async () => {
      const [a, b] = [await start(upstream.url), await start(upstream.url)];
      const subs = {
        a: [await subscribeSse(a.url, { projectId: 'shared' }, { 'x-api-key': 'iso-key-a' }), await subscribeSse(b.url, { projectId: 'shared' }, { 'x-api-key': 'iso-key-a' })],
        b: [await subscribeSse(a.url, { projectId: 'shared' }, { 'x-api-key': 'iso-key-b' }), await subscribeSse(b.url, { projectId: 'shared' }, { 'x-api-key': 'iso-key-b' })],
      };
      await until(() => totals(a, b).watchers === 2 && totals(a, b).following === 2, 'a leader and a follower per credential');

      const keys = await redisKeys(redis);
      expect(keys.filter((key) => key.startsWith(`${EVENTS_KEY_PREFIX}lease:`) && key.endsWith(':shared'))).toHaveLength(2);
      const channels = (await redis.client.pubsub('CHANNELS', `${EVENTS_KEY_PREFIX}*`)) as string[];
      for (const name of [...keys, ...channels]) {
        for (const secret of ['iso-key-a', 'iso-key-b', scopeOf({ apiKey: 'iso-key-a' }), scopeOf({ apiKey: 'iso-key-b' })]) {
          expect(name).not.toContain(secret);
        }
      }

      const startedAtMs = Date.now() + 1_000;
      records['iso-key-a'] = [{ ...liveCall({ callSid: 'CAseenbya', startedAtMs }) }];
      records['iso-key-b'] = [{ ...liveCall({ callSid: 'CAseenbyb', startedAtMs }) }];
      await until(() => [...subs.a, ...subs.b].every((sub) => sub.payloads.length >= 1), 'each credential\'s call');
      await sleep(2 * INTERVAL_MS);
      for (const sub of subs.a) expect(seen(sub)).toEqual(['STARTED CAseenbya QUEUED']);
      for (const sub of subs.b) expect(seen(sub)).toEqual(['STARTED CAseenbyb QUEUED']);

      // The leader of credential B reads a 403: it ends B's subscriptions on both replicas; the follower does
      // not ask the upstream itself. A's go on.
      const before = upstream.requests.length;
      refused.add('iso-key-b');
      for (const sub of subs.b) await sub.waitForEnd();
      for (const sub of subs.b) expect(sub.payloads.at(-1)!.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      const refusedReads = upstream.requests.slice(before).filter((req) => req.headers['x-api-key'] === 'iso-key-b');
      expect(refusedReads.length).toBeGreaterThan(0);
      expect(refusedReads.length).toBeLessThanOrEqual(5);
      await until(() => totals(a, b).feeds === 2, 'the refused feeds to close');
      expect((await redisKeys(redis)).filter((key) => key.startsWith(`${EVENTS_KEY_PREFIX}lease:`) && key.endsWith(':shared'))).toHaveLength(1);

      records['iso-key-a'] = [{ ...records['iso-key-a'][0]!, status: 'ringing' }];
      for (const sub of subs.a) expect((await sub.waitFor(2)).map((p) => p.data?.callEvents.kind)).toEqual(['STARTED', 'UPDATED']);
      for (const sub of subs.a) sub.close();
    }, 60_000);
  });

  it('a webhook hint received by any replica makes the lease holder poll at once', async () => {
    emulator.store.grant('api-key', 'hint-key', [DEMO_PROJECT_ID]);
    const key = { 'x-api-key': 'hint-key' };
    // An interval far longer than the test: only the hint can make the leader look again.
    const leader = await start(emulator.url, 600_000);
    const onLeader = await subscribeSse(leader.url, { projectId: DEMO_PROJECT_ID }, key);
    await until(() => leader.app.events.stats().polls >= 1, 'the first poll');
    const follower = await start(emulator.url, 600_000);
    const onFollower = await subscribeSse(follower.url, { projectId: DEMO_PROJECT_ID }, key);
    await until(() => follower.app.events.stats().following === 1, 'the follower');
    await sleep(300);

    const call = putCall(emulator.store, DEMO_PROJECT_ID, liveCall());
    const hinted = Date.now();
    const response = await request(`${follower.url}/webhooks/call-status?projectId=${DEMO_PROJECT_ID}`, {
      method: 'POST',
      headers: { 'x-webhook-secret': WEBHOOK_SECRET },
    });
    expect(response.statusCode).toBe(202);
    for (const sub of [onLeader, onFollower]) expect(seen({ ...sub, payloads: await sub.waitFor(1, 5_000) })).toEqual([`STARTED ${call.callSid} QUEUED`]);
    expect(Date.now() - hinted).toBeLessThan(5_000);
    expect(follower.app.events.stats().watchers).toBe(0);
    onLeader.close();
    onFollower.close();
  }, 30_000);
});

describe('callEvents when Redis goes away (real redis-server, stopped and restarted)', () => {
  let redis: RunningRedis;
  let emulator: RunningEmulator;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    redis = await startRedisServer();
    emulator = await startEmulator({ port: 0, calls: 20 });
    a = await replica(emulator.url, redis.url);
    b = await replica(emulator.url, redis.url);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await redis?.close();
  });

  it('each replica polls for its own subscribers meanwhile, with a log line; sharing resumes when Redis is back', async () => {
    const key = { 'x-api-key': DEMO_API_KEY };
    const subs = [await subscribeSse(a.url, { projectId: DEMO_PROJECT_ID }, key), await subscribeSse(b.url, { projectId: DEMO_PROJECT_ID }, key)];
    await until(() => totals(a, b).watchers === 1 && totals(a, b).following === 1, 'one leader and one follower');

    const port = redis.port;
    await redis.close();
    await until(() => totals(a, b).watchers === 2, 'a watcher on each replica');
    const logged = (text: string) => () => [a, b].every((app) => app.logs.some((line) => line.includes(text)));
    await until(logged('Redis is unreachable'), 'the outage in both logs');
    await until(logged('polling for this replica'), 'the fallback in both logs');
    const during = putCall(emulator.store, DEMO_PROJECT_ID, liveCall());
    for (const sub of subs) await sub.waitFor(1);

    redis = await startRedisServer({ port });
    await until(() => totals(a, b).watchers === 1 && totals(a, b).following === 1, 'one leader and one follower again', 20_000);
    await until(logged('Redis is reachable again'), 'the recovery in both logs');
    emulator.calls.update(during.callSid, { status: 'ringing' }, { projectId: DEMO_PROJECT_ID });
    for (const sub of subs) await sub.waitFor(2);
    await sleep(2 * INTERVAL_MS);
    for (const sub of subs) {
      expect(seen(sub)).toEqual([`STARTED ${during.callSid} QUEUED`, `UPDATED ${during.callSid} RINGING`]);
      sub.close();
    }
  }, 60_000);
});
