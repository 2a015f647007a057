/**
 * callEvents figures against the embedded emulator over HTTP on 127.0.0.1:
 * - upstream requests per poll interval (1 s) for 1 subscriber, 100 subscribers of one credential and project,
 *   and 100 subscribers spread over 2 replicas that share watchers through a real redis-server;
 * - the latency from a status change (`calls.update`) to the event, at the default interval (5 s), and with a
 *   webhook hint sent right after the change.
 * Run: npx tsx bench/events.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../src/emulator/demo.js';
import { startEmulator } from '../src/emulator/index.js';
import { startRedisServer } from '../test/federation/redis-server.js';
import { startTestApp, type TestApp } from '../test/support/app.js';
import { subscribeSse, type Subscription } from '../test/support/live-events.js';

const COST_INTERVAL_MS = 1_000;
const INTERVALS = 5;
const DEFAULT_INTERVAL_MS = 5_000;
const LATENCY_SAMPLES = 8;
const HINT_SAMPLES = 5;
const WEBHOOK_SECRET = 'a-webhook-secret-of-some-length';
const KEY = { 'x-api-key': DEMO_API_KEY };

async function until(condition: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Upstream requests per interval while `subscribers` subscribe, spread evenly over `replicas` replicas. */
async function requestsPerInterval(subscribers: number, replicas: 1 | 2): Promise<number> {
  const emulator = await startEmulator({ port: 0, calls: 500 });
  const redis = replicas > 1 ? await startRedisServer() : undefined;
  const env = {
    EVENTS_POLL_INTERVAL_MS: String(COST_INTERVAL_MS),
    MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '100',
    LOG_LEVEL: 'warn',
    ...(redis ? { REDIS_URL: redis.url } : {}),
  };
  const apps: TestApp[] = [];
  try {
    for (let i = 0; i < replicas; i++) apps.push(await startTestApp(emulator.url, env));
    const subs = await Promise.all(
      Array.from({ length: subscribers }, (_, i) => subscribeSse(apps[i % replicas]!.url, { projectId: DEMO_PROJECT_ID }, KEY)),
    );
    await sleep(COST_INTERVAL_MS * 1.5);
    const stats = apps.map((app) => app.app.events.stats());
    const watchers = stats.reduce((sum, s) => sum + s.watchers, 0);
    const open = stats.reduce((sum, s) => sum + s.subscriptions, 0);
    if (open !== subscribers || watchers !== 1) throw new Error(`expected ${subscribers} subscriptions on 1 watcher: ${JSON.stringify(stats)}`);
    emulator.clearRequests();
    await sleep(COST_INTERVAL_MS * INTERVALS);
    const requests = emulator.requests().length;
    for (const sub of subs) sub.close();
    return requests / INTERVALS;
  } finally {
    for (const app of apps) await app.close();
    await emulator.close();
    await redis?.close();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const summary = (samples: number[]) => {
  const sorted = samples.toSorted((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return `median ${percentile(sorted, 0.5)} ms, mean ${Math.round(mean)} ms, max ${sorted.at(-1)} ms (${samples.length} changes)`;
};

/**
 * Milliseconds from each status change to its event at the default interval. Each change is made at a
 * different moment of the poll cycle (spread evenly over one interval after the previous event), so the
 * samples cover the whole cycle. With `hint`, a webhook hint follows each change at once.
 */
async function changeToEvent(samples: number, hint: boolean): Promise<number[]> {
  const emulator = await startEmulator({ port: 0, calls: 50 });
  const app = await startTestApp(emulator.url, { LOG_LEVEL: 'warn', WEBHOOK_SECRET, WEBHOOK_MIN_INTERVAL_MS: '0' });
  try {
    const sub: Subscription = await subscribeSse(app.url, { projectId: DEMO_PROJECT_ID }, KEY);
    await until(() => app.app.events.stats().polls >= 1, 'the first poll');
    const calls = Array.from({ length: samples }, () => emulator.calls.start(DEMO_PROJECT_ID, { status: 'queued' }));
    await sub.waitFor(samples, 3 * DEFAULT_INTERVAL_MS);
    const latencies: number[] = [];
    for (const [i, call] of calls.entries()) {
      if (!hint) await sleep(Math.round((i * DEFAULT_INTERVAL_MS) / samples));
      const seen = sub.payloads.length;
      const changedAt = performance.now();
      emulator.calls.update(call.callSid, { status: 'ringing' }, { projectId: DEMO_PROJECT_ID });
      if (hint) {
        await request(`${app.url}/webhooks/call-status?projectId=${DEMO_PROJECT_ID}`, { method: 'POST', headers: { 'x-webhook-secret': WEBHOOK_SECRET } }).then((r) =>
          r.body.dump(),
        );
      }
      await until(() => sub.payloads.length > seen, 'the event', 3 * DEFAULT_INTERVAL_MS);
      latencies.push(Math.round(performance.now() - changedAt));
      if (hint) await sleep(Math.round(DEFAULT_INTERVAL_MS / samples));
    }
    sub.close();
    return latencies;
  } finally {
    await app.close();
    await emulator.close();
  }
}

console.log(`upstream requests per interval (${COST_INTERVAL_MS} ms interval, ${INTERVALS} intervals):`);
console.log(`  1 subscriber: ${(await requestsPerInterval(1, 1)).toFixed(1)}`);
console.log(`  100 subscribers, 1 replica: ${(await requestsPerInterval(100, 1)).toFixed(1)}`);
console.log(`  100 subscribers, 2 replicas + Redis: ${(await requestsPerInterval(100, 2)).toFixed(1)}`);
console.log(`status change → event at the default interval (${DEFAULT_INTERVAL_MS} ms): ${summary(await changeToEvent(LATENCY_SAMPLES, false))}`);
console.log(`status change → event with a webhook hint: ${summary(await changeToEvent(HINT_SAMPLES, true))}`);
