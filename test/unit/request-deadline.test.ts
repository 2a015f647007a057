import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RequestDeadline } from '../../src/upstream/session.js';
import { abortFailure } from '../../src/upstream/errors.js';

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
