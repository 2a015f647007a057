import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_HISTORY_PATH } from '../../src/emulator/index.js';
import { pollRequests } from '../../src/events/watcher.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { liveCall, putCall, subscribeSse, until } from '../support/live-events.js';
import { FAULT_TEST_KEY, clearChaos, newProject, setChaos } from '../resilience/chaos.js';

const INTERVAL_MS = 1_000;
const KEY = { 'x-api-key': FAULT_TEST_KEY };
/** Failed polls in a row before the outage ends: the watcher waits 2, 4 then 8 intervals. */
const FAILED_POLLS = 3;

describe('callEvents: upstream faults back off and recover without losing the known state', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack(
      { chaos: true, demo: false },
      {
        EVENTS_POLL_INTERVAL_MS: String(INTERVAL_MS),
        // Hanging attempts are cut quickly; a breaker that never opens (it has its own tests), so that the
        // watcher's own backoff is what spaces the polls.
        UPSTREAM_TIMEOUT_MS: '900',
        UPSTREAM_ATTEMPT_TIMEOUT_MS: '300',
        UPSTREAM_MAX_RETRIES: '0',
        UPSTREAM_BREAKER_MIN_RPS: '10000',
      },
    );
  });
  afterAll(() => stack.close());

  /** When each poll began (the hub counts a poll as it starts), sampled until `stop` is called. */
  function pollStarts() {
    const starts: number[] = [];
    let seen = stack.app().events.stats().polls;
    let running = true;
    const done = (async () => {
      while (running) {
        const polls = stack.app().events.stats().polls;
        for (; seen < polls; seen++) starts.push(Date.now());
        await sleep(5);
      }
    })();
    return {
      starts,
      async stop() {
        running = false;
        await done;
      },
    };
  }

  const historyRequests = (projectId: string) => stack.emulator.requests({ projectId }).filter((r) => r.path === CALL_HISTORY_PATH).length;
  const failureLogs = () =>
    stack.api.logs.map((line) => JSON.parse(line) as { msg: string; retryInMs?: number }).filter((line) => line.msg.startsWith('call events: a poll failed'));

  it('one UPDATED and one STARTED after the outage, nothing twice, the subscription kept, polls spaced out then back to the interval', async () => {
    const projectId = newProject(stack.emulator, 20);
    const store = stack.emulator.store;
    const earlier = putCall(store, projectId, liveCall({ status: 'in-progress', startedAtMs: Date.now() - 60_000 }));
    const sub = await subscribeSse(stack.api.url, { projectId }, KEY);
    expect(sub.status).toBe(200);
    const polls = pollStarts();
    await until(() => polls.starts.length >= 1, 'the first poll', 10_000);

    const known = putCall(store, projectId, liveCall({ status: 'in-progress' }));
    await sub.waitFor(1);
    // Two healthy polls with the call known before the outage begins.
    const healthyFrom = polls.starts.length;
    await until(() => polls.starts.length >= healthyFrom + 2, 'two healthy polls', 10_000);
    const beforeOutage = historyRequests(projectId);

    // The outage: every request for the project fails (server errors, hangs past the attempt deadline, resets).
    const failuresBefore = failureLogs().length;
    await setChaos(stack.emulator, { projectId, rate: 1, rateFaults: ['500', '503', 'hang', 'reset'], seed: 7 });
    const outageFrom = Date.now();
    putCall(store, projectId, { ...known, status: 'completed', seconds: 30, cost: 0.05 });
    const fresh = putCall(store, projectId, liveCall({ status: 'ringing' }));
    await until(() => failureLogs().length >= failuresBefore + FAILED_POLLS, `${FAILED_POLLS} failed polls`, 30_000);
    const pollsInOutage = polls.starts.filter((at) => at >= outageFrom).length;
    await clearChaos(stack.emulator);
    const outageMs = Date.now() - outageFrom;
    const duringOutage = historyRequests(projectId) - beforeOutage;
    expect(sub.payloads).toHaveLength(1);

    // The next poll (at most 8 intervals later) reads both changes; two more show the interval is back.
    const recoveredFrom = polls.starts.length;
    await until(() => polls.starts.length >= recoveredFrom + 3, 'three polls after the outage', 20_000);
    await polls.stop();
    sub.close();

    expect(sub.payloads.every((p) => p.errors === undefined)).toBe(true);
    expect(sub.payloads.map((p) => [p.data!.callEvents.kind, p.data!.callEvents.call.sid, p.data!.callEvents.call.status, p.data!.callEvents.previousStatus])).toEqual([
      ['STARTED', known.callSid, 'IN_PROGRESS', null],
      ['UPDATED', known.callSid, 'COMPLETED', 'IN_PROGRESS'],
      ['STARTED', fresh.callSid, 'RINGING', null],
    ]);
    expect(sub.payloads.some((p) => p.data!.callEvents.call.sid === earlier.callSid)).toBe(false);
    // The subscription lived through the outage: ended only by the test's close.
    expect(sub.raw()).not.toContain('event: complete');

    // Backoff: each failed poll doubled the wait (2, 4, 8 intervals); the outage saw far fewer polls, and far
    // fewer upstream requests, than one poll per interval would have made.
    const waits = failureLogs().slice(failuresBefore, failuresBefore + FAILED_POLLS).map((line) => line.retryInMs);
    expect(waits).toEqual([2 * INTERVAL_MS, 4 * INTERVAL_MS, 8 * INTERVAL_MS]);
    const perHealthyPoll = pollRequests(projectId, Date.now(), 1_000).length;
    expect(pollsInOutage).toBeLessThanOrEqual(FAILED_POLLS);
    expect(pollsInOutage).toBeLessThan(outageMs / INTERVAL_MS / 2);
    expect(duringOutage).toBeLessThan((outageMs / INTERVAL_MS) * perHealthyPoll);
    // Poll spacing: each gap during the outage is at least its doubled wait; after it, back to about one interval.
    const gaps = polls.starts.slice(1).map((at, i) => at - polls.starts[i]!);
    const outageGaps = gaps.slice(-(FAILED_POLLS + 2), -2);
    expect(outageGaps).toHaveLength(FAILED_POLLS);
    outageGaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(2 ** (i + 1) * INTERVAL_MS - 50));
    for (const gap of gaps.slice(-2)) {
      expect(gap).toBeGreaterThanOrEqual(INTERVAL_MS - 50);
      expect(gap).toBeLessThan(2 * INTERVAL_MS);
    }
  }, 60_000);
});
