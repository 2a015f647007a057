import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { liveCall, putCall, subscribeSse, until } from '../support/live-events.js';

const KEY = { 'x-api-key': DEMO_API_KEY };
const POLL_MS = 150;

describe('callEvents: filters, credentials, the cap', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack({ calls: 200 }, { MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '3' }, { eventsPollIntervalMs: POLL_MS });
  });
  afterAll(() => stack.close());

  const pollsAfter = async (n: number) => {
    const start = stack.api.app.events.stats().polls;
    while (stack.api.app.events.stats().polls < start + n) await new Promise((r) => setTimeout(r, 20));
  };

  it('a filtered subscriber gets only calls in its filter, and never again a call that left it', async () => {
    const store = stack.emulator.store;
    const filtered = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID, filter: { to: '+12065550199' } }, KEY);
    const everything = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY);
    await pollsAfter(1);
    const inside = putCall(store, DEMO_PROJECT_ID, liveCall({ to: '+12065550199' }));
    const outside = putCall(store, DEMO_PROJECT_ID, liveCall({ to: '+12065550100' }));
    await everything.waitFor(2);
    putCall(store, DEMO_PROJECT_ID, { ...inside, to: '+12065550100', status: 'ringing' }); // leaves the filter
    await everything.waitFor(3);
    putCall(store, DEMO_PROJECT_ID, { ...inside, to: '+12065550199', status: 'in-progress' }); // back in it: not reported
    putCall(store, DEMO_PROJECT_ID, { ...outside, status: 'ringing' });
    await everything.waitFor(5);
    await pollsAfter(2);
    filtered.close();
    everything.close();
    expect(filtered.payloads.map((p) => [p.data!.callEvents.kind, p.data!.callEvents.call.sid])).toEqual([['STARTED', inside.callSid]]);
    // Both subscribers of one credential and project share one watcher.
    expect(stack.api.app.events.stats().feeds).toBeLessThanOrEqual(1);
  }, 30_000);

  it('a status filter reports a call once it reaches the status (UPDATED), not before', async () => {
    const store = stack.emulator.store;
    const completed = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID, filter: { status: 'COMPLETED' } }, KEY);
    await pollsAfter(1);
    const call = putCall(store, DEMO_PROJECT_ID, liveCall({ status: 'in-progress' }));
    await pollsAfter(2);
    putCall(store, DEMO_PROJECT_ID, { ...call, status: 'completed', seconds: 9 });
    const [payload] = await completed.waitFor(1);
    completed.close();
    expect(payload!.data!.callEvents).toMatchObject({ kind: 'UPDATED', previousStatus: 'IN_PROGRESS', call: { sid: call.callSid, status: 'COMPLETED' } });
  }, 30_000);

  it('each credential has its own watcher; each reads with its own credential; a 403 ends only its subscription', async () => {
    const store = stack.emulator.store;
    store.grant('api-key', 'second-key', [DEMO_PROJECT_ID]);
    const first = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY);
    const second = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': 'second-key' });
    await pollsAfter(2);
    expect(stack.api.app.events.stats().feeds).toBe(2);
    const keys = new Set(stack.emulator.requests({ projectId: DEMO_PROJECT_ID }).map((r) => r.headers['x-api-key']));
    expect(keys).toEqual(new Set([DEMO_API_KEY, 'second-key']));

    // A project this key may not read: FORBIDDEN ends that subscription, the others go on.
    const refused = await subscribeSse(stack.api.url, { projectId: 'busy' }, { 'x-api-key': 'second-key' });
    await refused.waitForEnd();
    expect(refused.payloads.map((p) => p.errors?.[0]?.extensions?.code)).toEqual(['FORBIDDEN']);
    const call = putCall(store, DEMO_PROJECT_ID, liveCall());
    // Upstream start times have whole seconds: a call an earlier test added in the watcher's first second may
    // also count as started since, so look for this call's event among the others.
    const eventsFor = (sub: typeof first) => sub.payloads.filter((p) => p.data?.callEvents.call.sid === call.callSid);
    await until(() => eventsFor(first).length > 0 && eventsFor(second).length > 0, 'the call on both feeds', 10_000);
    for (const sub of [first, second]) {
      expect(eventsFor(sub).map((p) => p.data!.callEvents.kind)).toEqual(['STARTED']);
      expect(sub.payloads.every((p) => p.errors === undefined)).toBe(true);
    }
    second.close();
    first.close();
  }, 30_000);

  it('an unknown credential ends with UNAUTHENTICATED; none at all is refused before anything starts', async () => {
    const wrong = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': 'no-such-key' });
    await wrong.waitForEnd();
    expect(wrong.payloads.map((p) => p.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const none = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, {});
    await none.waitForEnd();
    expect(none.payloads[0]!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  }, 30_000);

  it('a credential holds at most MAX_SUBSCRIPTIONS_PER_CREDENTIAL subscriptions (SUBSCRIPTION_LIMIT); another credential is not counted', async () => {
    const held = await Promise.all([1, 2, 3].map(() => subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY)));
    const refused = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY);
    await refused.waitForEnd();
    expect(refused.payloads[0]!.errors![0]!.extensions).toMatchObject({ code: 'SUBSCRIPTION_LIMIT', limit: 3 });
    const other = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { authorization: 'Bearer demo-token' });
    await pollsAfter(1);
    expect(other.ended).toBe(false);
    other.close();
    held[0]!.close();
    // The freed place can be taken again.
    const deadline = Date.now() + 5_000;
    while (stack.api.app.events.stats().subscriptions > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const again = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, KEY);
    await pollsAfter(1);
    expect(again.ended).toBe(false);
    for (const sub of [...held, again]) sub.close();
  }, 30_000);
});
