import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { liveCall, putCall, subscribeSse } from '../support/live-events.js';

const KEY = { 'x-api-key': DEMO_API_KEY };
const POLL_MS = 150;

describe('callEvents over SSE', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack({ calls: 200 }, { EVENTS_HEARTBEAT_MS: '1000' }, { eventsPollIntervalMs: POLL_MS });
  });
  afterAll(() => stack.close());

  const pollsAfter = async (n: number) => {
    const start = stack.api.app.events.stats().polls;
    while (stack.api.app.events.stats().polls < start + n) await new Promise((r) => setTimeout(r, 20));
  };

  it('STARTED for a new call, then UPDATED with the previous status, in order; an earlier call is never STARTED', async () => {
    const store = stack.emulator.store;
    // Under way before the subscription: its end is an UPDATED, it is never STARTED.
    const earlier = putCall(store, DEMO_PROJECT_ID, liveCall({ status: 'in-progress', startedAtMs: Date.now() - 60_000 }));
    const sub = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY);
    expect(sub.status).toBe(200);
    await pollsAfter(1);

    const call = putCall(store, DEMO_PROJECT_ID, liveCall());
    await sub.waitFor(1);
    putCall(store, DEMO_PROJECT_ID, { ...call, status: 'ringing' });
    await sub.waitFor(2);
    putCall(store, DEMO_PROJECT_ID, { ...call, status: 'completed', seconds: 42, cost: 0.12, recordingUrls: ['https://example.com/r.mp3'] });
    putCall(store, DEMO_PROJECT_ID, { ...earlier, status: 'completed', seconds: 61 });
    const payloads = await sub.waitFor(4);
    sub.close();

    const events = payloads.map((p) => p.data!.callEvents);
    expect(events.map((e) => [e.kind, e.call.sid, e.call.status, e.previousStatus])).toEqual([
      ['STARTED', call.callSid, 'QUEUED', null],
      ['UPDATED', call.callSid, 'RINGING', 'QUEUED'],
      // One poll saw both: oldest call first.
      ['UPDATED', earlier.callSid, 'COMPLETED', 'IN_PROGRESS'],
      ['UPDATED', call.callSid, 'COMPLETED', 'RINGING'],
    ]);
    expect(payloads[3]!.data!.callEvents.call).toMatchObject({ durationSeconds: 42, cost: 0.12, recordingUrls: ['https://example.com/r.mp3'] });
  }, 30_000);

  it('an idle stream gets heartbeat comments; a departed subscriber stops the watcher', async () => {
    // Yoga pings every 300 ms under NODE_ENV=test and every 12 s otherwise: out of test mode, only ours are fast.
    const mode = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    const sub = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY).finally(() => (process.env.NODE_ENV = mode));
    const first = sub.comments;
    await new Promise((r) => setTimeout(r, 2_500));
    expect(sub.comments).toBeGreaterThan(first + 1);
    expect(stack.api.app.events.stats().watchers).toBe(1);
    sub.close();
    const deadline = Date.now() + 5_000;
    while (stack.api.app.events.stats().watchers > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stack.api.app.events.stats()).toMatchObject({ watchers: 0, subscriptions: 0 });
  }, 30_000);
});
