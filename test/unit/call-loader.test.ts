import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/record.js';
import type { CallLookup } from '../../src/domain/request.js';
import { SeenCalls, createCallLoader } from '../../src/upstream/call-loader.js';
import { InFlightRequests } from '../../src/upstream/loader.js';
import { call } from '../support/reference-upstream.js';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('upstream/call-loader', () => {
  it('one load per distinct (project, sid) in a batch, each answer to every asker', async () => {
    const loads: CallLookup[] = [];
    const load = createCallLoader(async (lookup) => {
      loads.push(lookup);
      return call(1, { sid: lookup.sid, projectId: lookup.projectId });
    }, new SeenCalls());
    const answers = await Promise.all([
      load({ projectId: 'p', sid: 'CA1' }),
      load({ projectId: 'p', sid: 'CA1' }),
      load({ projectId: 'q', sid: 'CA1' }),
      load({ projectId: 'p', sid: 'CA2' }),
    ]);
    expect(loads).toEqual([
      { projectId: 'p', sid: 'CA1' },
      { projectId: 'q', sid: 'CA1' },
      { projectId: 'p', sid: 'CA2' },
    ]);
    expect(answers.map((record) => `${record?.projectId}/${record?.sid}`)).toEqual(['p/CA1', 'p/CA1', 'q/CA1', 'p/CA2']);
  });

  it('a call in a page of the same project, even one still in flight, needs no load', async () => {
    const seen = new SeenCalls();
    const page = deferred<CallRecord[]>();
    seen.track('p', page.promise);
    let loads = 0;
    const load = createCallLoader(async () => {
      loads++;
      return null;
    }, seen);
    const held = load({ projectId: 'p', sid: 'CA7' });
    const otherProject = load({ projectId: 'q', sid: 'CA7' });
    page.resolve([call(2, { sid: 'CA8' }), call(1, { sid: 'CA7' })]);
    expect((await held)?.sid).toBe('CA7');
    expect(await otherProject).toBeNull();
    expect(loads).toBe(1);
  });

  it('a failed page is no source, and the call is loaded', async () => {
    const seen = new SeenCalls();
    const page = deferred<CallRecord[]>();
    seen.track('p', page.promise);
    page.reject(new Error('upstream failed'));
    const load = createCallLoader(async (lookup) => call(1, { sid: lookup.sid }), seen);
    expect((await load({ projectId: 'p', sid: 'CA7' }))?.sid).toBe('CA7');
  });

  it('an error of one load is that lookup\'s error only', async () => {
    const load = createCallLoader(async (lookup) => {
      if (lookup.sid === 'CA1') throw new Error('refused');
      return null;
    }, new SeenCalls());
    const [failed, fine] = await Promise.allSettled([load({ projectId: 'p', sid: 'CA1' }), load({ projectId: 'p', sid: 'CA2' })]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    expect(fine).toEqual({ status: 'fulfilled', value: null });
  });
});

describe('upstream/loader InFlightRequests.runCall', () => {
  it('shares a lookup in flight within one scope only, and forgets it once settled', async () => {
    const inFlight = new InFlightRequests();
    const answers = new Map<string, ReturnType<typeof deferred<CallRecord | null>>>();
    const fetchFor = (scope: string) => () => {
      const answer = deferred<CallRecord | null>();
      answers.set(scope, answer);
      return answer.promise;
    };
    const signal = new AbortController().signal;
    const a1 = inFlight.runCall('a', 'p', 'CA1', signal, 1_000, fetchFor('a'));
    const a2 = inFlight.runCall('a', 'p', 'CA1', signal, 1_000, fetchFor('a-again'));
    const b = inFlight.runCall('b', 'p', 'CA1', signal, 1_000, fetchFor('b'));
    expect([...answers.keys()]).toEqual(['a', 'b']);
    answers.get('a')!.resolve(call(1, { sid: 'CA1' }));
    answers.get('b')!.resolve(null);
    expect((await a1)?.sid).toBe('CA1');
    expect(await a2).toBe(await a1);
    expect(await b).toBeNull();
    expect(inFlight.size).toBe(0);
  });

  it('aborts the shared lookup only when every waiter has left', async () => {
    const inFlight = new InFlightRequests();
    let shared: AbortSignal | undefined;
    const fetch = (signal: AbortSignal) => {
      shared = signal;
      return new Promise<CallRecord | null>(() => undefined);
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = inFlight.runCall('s', 'p', 'CA1', first.signal, 1_000, fetch).catch(() => 'left');
    const b = inFlight.runCall('s', 'p', 'CA1', second.signal, 1_000, fetch).catch(() => 'left');
    first.abort();
    expect(await a).toBe('left');
    expect(shared!.aborted).toBe(false);
    second.abort();
    expect(await b).toBe('left');
    expect(shared!.aborted).toBe(true);
  });
});
