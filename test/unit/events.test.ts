import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../../src/domain/events.js';
import type { CallRecord } from '../../src/domain/record.js';
import { CALL_STATUSES, type CallStatus } from '../../src/domain/status.js';
import { type KnownState, callsToLookUp, diffCalls, knownOf, mergeReads, pruneKnown } from '../../src/events/diff.js';
import { eventSelector, matchesFilter, type EventFilter } from '../../src/events/filter.js';
import { EventQueue } from '../../src/events/queue.js';
import { pollRequests } from '../../src/events/watcher.js';
import { decodeEvent, encodeEvent, pairNames } from '../../src/events/redis-cluster.js';
import { scopeOf } from '../../src/upstream/credential.js';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

function record(sid: string, overrides: Partial<CallRecord> = {}): CallRecord {
  const startedAt = overrides.startedAt === undefined ? new Date(T0) : overrides.startedAt;
  const durationSeconds = overrides.durationSeconds ?? null;
  return {
    projectId: 'p',
    sid,
    status: 'QUEUED',
    rawStatus: 'queued',
    from: '+1',
    to: '+2',
    phoneNumber: '+2',
    startedAt,
    durationSeconds,
    endedAt: startedAt && durationSeconds !== null ? new Date(startedAt.getTime() + durationSeconds * 1000) : null,
    cost: null,
    recordingUrls: [],
    data: null,
    raw: {},
    orderMs: startedAt?.getTime() ?? T0,
    ...overrides,
  };
}

const stateOf = (since: number, records: CallRecord[]): KnownState => ({
  since,
  calls: Object.fromEntries(records.map((r) => [r.sid, knownOf(r)])),
});

const event = (kind: CallEvent['kind'], call: CallRecord): CallEvent => ({ id: call.sid, kind, call, previousStatus: null, observedAt: new Date() });

describe('diffCalls', () => {
  it('STARTED for a new call since watching began, UPDATED with the previous status, silence for an older new call', () => {
    const known = stateOf(T0, [record('a', { status: 'RINGING' }), record('b', { status: 'COMPLETED', cost: 1 })]);
    const { events, state } = diffCalls(
      known,
      [
        record('a', { status: 'IN_PROGRESS' }),
        record('b', { status: 'COMPLETED', cost: 1 }),
        record('c', { startedAt: new Date(T0 + 500) }),
        record('old', { startedAt: new Date(T0 - 5_000) }),
      ],
      new Date(T0 + 1_000),
    );
    expect(events.map((e) => [e.kind, e.call.sid, e.previousStatus])).toEqual([
      ['UPDATED', 'a', 'RINGING'],
      ['STARTED', 'c', null],
    ]);
    expect(Object.keys(state.calls).sort()).toEqual(['a', 'b', 'c', 'old']);
  });

  it('duration, cost and recordings changes are UPDATED; the same change has the same id', () => {
    const before = record('a', { status: 'COMPLETED' });
    const after = record('a', { status: 'COMPLETED', durationSeconds: 5, cost: 0.1, recordingUrls: ['https://r/1'] });
    const one = diffCalls(stateOf(T0, [before]), [after], new Date()).events;
    const two = diffCalls(stateOf(T0, [before]), [after], new Date()).events;
    expect(one).toHaveLength(1);
    expect(one[0]!.id).toBe(two[0]!.id);
    expect(diffCalls(stateOf(T0, [before]), [record('a', { status: 'COMPLETED', cost: 0.2 })], new Date()).events[0]!.id).not.toBe(one[0]!.id);
  });

  const status = fc.constantFrom(...CALL_STATUSES);
  const arbRecord = fc
    .record({
      sid: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      status,
      offset: fc.integer({ min: -10_000, max: 10_000 }),
      cost: fc.option(fc.constantFrom(0.1, 0.2), { nil: null }),
      durationSeconds: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    })
    .map(({ sid, status: s, offset, cost, durationSeconds }) =>
      record(sid, { status: s as CallStatus, startedAt: new Date(T0 + offset), cost, durationSeconds }),
    );
  const reads = fc.array(arbRecord, { maxLength: 8 }).map((records) => mergeReads([records]));

  it('properties: one event per call at most, oldest first, STARTED only for unknown calls since, UPDATED only for changes; a second look at the same records says nothing', () => {
    fc.assert(
      fc.property(reads, reads, fc.integer({ min: -10_000, max: 10_000 }), (before, now, sinceOffset) => {
        const known = stateOf(T0 + sinceOffset, before);
        const { events, state } = diffCalls(known, now, new Date());
        const sids = events.map((e) => e.call.sid);
        expect(new Set(sids).size).toBe(sids.length);
        for (let i = 1; i < events.length; i++) expect(events[i]!.call.orderMs).toBeGreaterThanOrEqual(events[i - 1]!.call.orderMs);
        for (const e of events) {
          const wasKnown = Object.hasOwn(known.calls, e.call.sid);
          if (e.kind === 'STARTED') {
            expect(wasKnown).toBe(false);
            expect(e.call.startedAt!.getTime()).toBeGreaterThanOrEqual(Math.floor(known.since / 1000) * 1000);
          } else {
            expect(wasKnown).toBe(true);
            expect(e.previousStatus).toBe(known.calls[e.call.sid]!.status);
            expect(knownOf(e.call)).not.toEqual(known.calls[e.call.sid]);
          }
        }
        expect(diffCalls(state, now, new Date()).events).toEqual([]);
      }),
    );
  });

  it('mergeReads keeps one record per call, a final status over a non-final one read later', () => {
    const merged = mergeReads([[record('a', { status: 'COMPLETED' })], [record('a', { status: 'IN_PROGRESS' }), record('b')]]);
    expect(merged.map((r) => [r.sid, r.status])).toEqual([['a', 'COMPLETED'], ['b', 'QUEUED']]);
  });

  it('pruneKnown keeps what was read and calls still under way, newest first, bounded; lookups are for the unread ones under way', () => {
    const state = stateOf(T0, [
      record('done-unread', { status: 'COMPLETED' }),
      record('live-unread', { status: 'RINGING', startedAt: new Date(T0 + 1) }),
      record('read', { status: 'COMPLETED', startedAt: new Date(T0 + 2) }),
    ]);
    const read = new Set(['read']);
    expect(Object.keys(pruneKnown(state, read, 10).calls)).toEqual(['read', 'live-unread']);
    expect(Object.keys(pruneKnown(state, read, 1).calls)).toEqual(['read']);
    expect(callsToLookUp(state, read, 5)).toEqual(['live-unread']);
  });
});

describe('the subscriber filter', () => {
  const none: EventFilter = { started: {}, ended: {}, startedAt: {} };
  const day = Math.floor(T0 / 86_400_000);

  it('matches as callHistory filters: status, from, to, started and ended days, exact start instants', () => {
    const r = record('a', { status: 'COMPLETED', durationSeconds: 60 });
    expect(matchesFilter(none, r)).toBe(true);
    expect(matchesFilter({ ...none, status: 'COMPLETED', from: '+1', to: '+2' }, r)).toBe(true);
    expect(matchesFilter({ ...none, status: 'BUSY' }, r)).toBe(false);
    expect(matchesFilter({ ...none, to: '+9' }, r)).toBe(false);
    expect(matchesFilter({ ...none, started: { on: day } }, r)).toBe(true);
    expect(matchesFilter({ ...none, started: { before: day } }, r)).toBe(false);
    expect(matchesFilter({ ...none, ended: { onOrAfter: day } }, r)).toBe(true);
    expect(matchesFilter({ ...none, ended: { on: day } }, record('b'))).toBe(false); // not ended yet
    expect(matchesFilter({ ...none, startedAt: { onOrAfter: T0, before: T0 + 1 } }, r)).toBe(true);
    expect(matchesFilter({ ...none, startedAt: { onOrAfter: T0 + 1 } }, r)).toBe(false);
  });

  it('a call that leaves the filter is not reported again; STARTED only for calls since the subscription', () => {
    const select = eventSelector({ ...none, to: '+2' }, T0);
    expect(select(event('STARTED', record('a')))).toBe(true);
    expect(select(event('UPDATED', record('a', { to: '+3' })))).toBe(false);
    expect(select(event('UPDATED', record('a', { to: '+2', status: 'COMPLETED' })))).toBe(false);
    expect(select(event('STARTED', record('old', { startedAt: new Date(T0 - 1_000) })))).toBe(false);
    // A call that was never in the filter and enters it is reported.
    expect(select(event('UPDATED', record('b', { to: '+2' })))).toBe(true);
  });
});

describe('EventQueue', () => {
  it('bounded: a full queue refuses, finish drops the pending items and leaves the reason to read last', async () => {
    let closed = 0;
    const queue = new EventQueue<string>(2, () => closed++);
    expect([queue.push('a'), queue.push('b'), queue.push('c')]).toEqual([true, true, false]);
    queue.finish('slow');
    expect(queue.size).toBe(1);
    expect(await queue.next()).toEqual({ value: 'slow', done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });

  it('return ends a pending read at once', async () => {
    let closed = 0;
    const queue = new EventQueue<string>(2, () => closed++);
    const pending = queue.next();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });
});

describe('pollRequests', () => {
  it('the newest page, then each non-final status since yesterday', () => {
    const requests = pollRequests('p', T0, 1000);
    expect(requests.map((r) => [r.pageSize, r.filters])).toEqual([
      [100, []],
      ...['queued', 'initiated', 'ringing', 'in-progress'].map((s) => [1000, [['status', s], ['startTimeAfter', '2026-12-01']]]),
    ]);
  });
});

describe('the Redis wire of live events', () => {
  it('an event survives JSON (instants included), with and without dates', () => {
    const events: CallEvent[] = [
      { id: 'CA1:x', kind: 'UPDATED', call: record('CA1', { status: 'COMPLETED', durationSeconds: 12 }), previousStatus: 'IN_PROGRESS', observedAt: new Date(T0 + 5) },
      { id: 'CA2:y', kind: 'STARTED', call: record('CA2', { startedAt: null }), previousStatus: null, observedAt: new Date(T0) },
    ];
    for (const event of events) expect(decodeEvent(JSON.parse(JSON.stringify(encodeEvent(event))))).toEqual(event);
  });

  it('pair names hold neither the credential nor its digest, differ per credential, project and namespace', () => {
    const scope = scopeOf({ apiKey: 'secret-key' });
    const names = pairNames({ scope, projectId: 'p/1' }, undefined);
    for (const name of Object.values(names)) {
      expect(name).not.toContain('secret-key');
      expect(name).not.toContain(scope);
      expect(name.endsWith(':p%2F1')).toBe(true);
    }
    expect(pairNames({ scope, projectId: 'p/1' }, undefined)).toEqual(names);
    expect(pairNames({ scope: scopeOf({ apiKey: 'other-key' }), projectId: 'p/1' }, undefined).lease).not.toBe(names.lease);
    expect(pairNames({ scope, projectId: 'p/2' }, undefined).lease).not.toBe(names.lease);
    expect(pairNames({ scope, projectId: 'p/1' }, 'a deployment secret of some length').lease).not.toBe(names.lease);
  });
});
