import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { openSession, RequestDeadline } from '../../src/upstream/session.js';
import { abortFailure } from '../../src/upstream/errors.js';
import { InFlightRequests } from '../../src/upstream/loader.js';
import { UpstreamPolicy } from '../../src/upstream/policy.js';
import { RecordSource } from '../../src/upstream/source.js';

/** A policy without retries whose attempts wait up to a minute: what a test's upstream decides is what happens. */
const testPolicy = (bulkheadLimit: number) =>
  new UpstreamPolicy({
    maxRetries: 0,
    attemptTimeoutMs: 60_000,
    retryBaseMs: 10,
    retryMaxMs: 10,
    breakerThreshold: 0.5,
    breakerWindowMs: 5_000,
    breakerMinimumRps: 1,
    breakerHalfOpenAfterMs: 1_000,
    bulkheadLimit,
    bulkheadQueue: bulkheadLimit,
  });

describe('RequestDeadline: one request’s upstream signal', () => {
  it('aborts with a TimeoutError (read as the request’s deadline) while a call is pending', async () => {
    const deadline = new RequestDeadline(new AbortController().signal, Date.now() + 20);
    const signal = deadline.hold();
    expect(signal.aborted).toBe(false);
    await sleep(60);
    expect(signal.aborted).toBe(true);
    expect(abortFailure(signal.reason).failure).toEqual({ kind: 'timeout', attempt: false });
    deadline.release();
  });

  it('aborts with the caller’s reason when the caller leaves, and at once when it has already left', () => {
    const caller = new AbortController();
    const deadline = new RequestDeadline(caller.signal, Date.now() + 60_000);
    const signal = deadline.hold();
    caller.abort(new Error('client went away'));
    expect(signal.aborted).toBe(true);
    expect(abortFailure(signal.reason).failure).toEqual({ kind: 'cancelled' });
    deadline.release();

    const gone = new AbortController();
    gone.abort('gone');
    expect(new RequestDeadline(gone.signal, Date.now() + 60_000).hold().aborted).toBe(true);
  });

  it('arms nothing once the last pending call has ended: neither the timer nor the caller’s listener', async () => {
    const caller = new AbortController();
    const deadline = new RequestDeadline(caller.signal, Date.now() + 20);
    const signal = deadline.hold();
    expect(deadline.hold()).toBe(signal); // two calls share the signal
    deadline.release();
    deadline.release();
    await sleep(60);
    caller.abort('late');
    expect(signal.aborted).toBe(false);
  });

  it('keeps the timer while any call is pending, and re-arms it for a later call', async () => {
    const deadline = new RequestDeadline(new AbortController().signal, Date.now() + 40);
    const signal = deadline.hold();
    deadline.hold();
    deadline.release(); // one still pending
    await sleep(80);
    expect(signal.aborted).toBe(true);
    deadline.release();

    const later = new RequestDeadline(new AbortController().signal, Date.now() + 30);
    later.hold();
    later.release();
    const again = later.hold();
    await sleep(70);
    expect(again.aborted).toBe(true);
    later.release();
  });
});

describe('a session’s upstream call cut short', () => {
  /** An upstream that never answers: each attempt waits for its signal. */
  const hanging = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  const session = (caller: AbortSignal, deadlineMs: number) => {
    const policy = testPolicy(4);
    const source = new RecordSource({ history: (_r, _c, signal) => hanging(signal), call: (_l, _c, signal) => hanging(signal) }, policy, pino({ level: 'silent' }));
    const settings = { source, inFlight: new InFlightRequests(), timeoutMs: deadlineMs, maxInFlight: 4, maxRequests: 10, maxPageSize: 1000 };
    return openSession(settings, { credential: { apiKey: 'k' }, requestId: 'r', signal: caller, deadlineAt: Date.now() + deadlineMs });
  };
  const page = { projectId: 'p', pageSize: 20, filters: [] as Array<[string, string]> };

  it('by its deadline: UPSTREAM_TIMEOUT, the deadline passed', async () => {
    await expect(session(new AbortController().signal, 30).fetch(page)).rejects.toMatchObject({
      code: 'UPSTREAM_TIMEOUT',
      message: 'The upstream did not answer within the deadline.',
    });
  });

  it('by the caller leaving: the same code, saying the request ended (not that the deadline passed)', async () => {
    const caller = new AbortController();
    const pending = session(caller.signal, 60_000).fetch(page);
    await sleep(10);
    caller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'The request ended before the upstream answered.' });
  });
});

describe('a session’s bulkhead: at most maxInFlight upstream calls at once', () => {
  /** An upstream whose answers the test releases one by one; it records the project of every attempt. */
  const gatedUpstream = () => {
    const started: string[] = [];
    const gates: Array<() => void> = [];
    const history = (request: { projectId: string }, _c: unknown, signal: AbortSignal) => {
      started.push(request.projectId);
      return new Promise<unknown>((resolve, reject) => {
        gates.push(() => resolve({ data: [] }));
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    };
    return { started, gates, history };
  };
  const open = (upstream: ReturnType<typeof gatedUpstream>, caller: AbortSignal, maxInFlight: number) => {
    const source = new RecordSource({ history: upstream.history as never, call: () => Promise.resolve(null) }, testPolicy(64), pino({ level: 'silent' }));
    const settings = { source, inFlight: new InFlightRequests(), timeoutMs: 60_000, maxInFlight, maxRequests: 100, maxPageSize: 1000 };
    return openSession(settings, { credential: { apiKey: 'k' }, requestId: 'r', signal: caller, deadlineAt: Date.now() + 60_000 });
  };
  const page = (projectId: string) => ({ projectId, pageSize: 20, filters: [] as Array<[string, string]> });

  it('the others wait, first come first served, each taking the slot of a call that ended', async () => {
    const upstream = gatedUpstream();
    const records = open(upstream, new AbortController().signal, 2);
    const pages = ['a', 'b', 'c', 'd', 'e'].map((p) => records.fetch(page(p)));
    await sleep(10);
    expect(upstream.started).toEqual(['a', 'b']);
    upstream.gates[1]!();
    await sleep(10);
    expect(upstream.started).toEqual(['a', 'b', 'c']);
    upstream.gates[0]!();
    await sleep(10);
    expect(upstream.started).toEqual(['a', 'b', 'c', 'd']);
    upstream.gates[2]!();
    upstream.gates[3]!();
    await sleep(10);
    expect(upstream.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    upstream.gates[4]!();
    await expect(Promise.all(pages)).resolves.toEqual([[], [], [], [], []]);
  });

  it('a waiting call whose caller leaves fails with the others, and never reaches the upstream', async () => {
    const upstream = gatedUpstream();
    const caller = new AbortController();
    const records = open(upstream, caller.signal, 1);
    const first = records.fetch(page('a'));
    const waiting = records.fetch(page('b'));
    await sleep(10);
    caller.abort();
    await expect(first).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'The request ended before the upstream answered.' });
    await expect(waiting).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', message: 'The request ended before the upstream answered.' });
    await sleep(10);
    expect(upstream.started).toEqual(['a']);
  });
});
