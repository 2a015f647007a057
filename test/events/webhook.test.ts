import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { liveCall, putCall, subscribeSse } from '../support/live-events.js';

const SECRET = 'a-webhook-secret-of-some-length';

describe('POST /webhooks/call-status (a hint that makes watchers poll at once)', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    // A poll interval far longer than the test: only a hint can make the watcher look again.
    stack = await startEmulatorStack({ calls: 100 }, { WEBHOOK_SECRET: SECRET, WEBHOOK_MIN_INTERVAL_MS: '2000', EVENTS_POLL_INTERVAL_MS: '600000' });
  });
  afterAll(() => stack.close());

  const hint = (headers: Record<string, string>, body = JSON.stringify({ projectId: DEMO_PROJECT_ID, CallStatus: 'ringing' })) =>
    request(`${stack.api.url}/webhooks/call-status`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(
      async (r) => ({ status: r.statusCode, body: await r.body.json() }),
    );

  it('a wrong or missing secret gets 401 and causes no upstream request; the right one makes an immediate poll; hints are rate-limited per project', async () => {
    const sub = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': DEMO_API_KEY });
    while (stack.app().events.stats().polls < 1) await sleep(20);
    await sleep(200);
    const call = putCall(stack.emulator.store, DEMO_PROJECT_ID, liveCall());
    stack.emulator.clearRequests();

    expect(await hint({ 'x-webhook-secret': 'wrong-secret-wrong-secret' })).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect((await hint({})).status).toBe(401);
    await sleep(300);
    expect(stack.emulator.requests()).toHaveLength(0);
    expect(sub.payloads).toHaveLength(0);

    const started = Date.now();
    expect(await hint({ 'x-webhook-secret': SECRET })).toMatchObject({ status: 202 });
    const [payload] = await sub.waitFor(1);
    expect(payload!.data!.callEvents).toMatchObject({ kind: 'STARTED', call: { sid: call.callSid } });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stack.emulator.requests().length).toBeGreaterThan(0);

    // Inside the interval: one poke is kept for its end; a further hint while it waits adds nothing.
    const change = putCall(stack.emulator.store, DEMO_PROJECT_ID, liveCall());
    const kept = await hint({ 'x-webhook-secret': SECRET });
    expect(kept).toMatchObject({ status: 202, body: { accepted: true } });
    expect((kept.body as { pokeInMs: number }).pokeInMs).toBeGreaterThan(0);
    const limited = await hint({ 'x-webhook-secret': SECRET });
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
    const keptAt = Date.now();
    const [, next] = await sub.waitFor(2);
    expect(next!.data!.callEvents).toMatchObject({ kind: 'STARTED', call: { sid: change.callSid } });
    // The kept poke, well before the poll interval would have found it.
    expect(Date.now() - keptAt).toBeLessThan(5_000);
    // Another project has its own allowance; the project may also be named in the registered URL.
    const other = await request(`${stack.api.url}/webhooks/call-status?projectId=busy`, { method: 'POST', headers: { 'x-webhook-secret': SECRET } });
    expect(other.statusCode).toBe(202);
    sub.close();
  }, 30_000);

  it('is off without WEBHOOK_SECRET', async () => {
    const plain = await startEmulatorStack({ calls: 10 });
    try {
      const response = await request(`${plain.api.url}/webhooks/call-status`, { method: 'POST', headers: { 'x-webhook-secret': SECRET } });
      expect(response.statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  }, 30_000);
});
