import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CallStore,
  FILTER_STATUSES,
  generateCalls,
  parseRfc2822,
  type CallFilters,
  type VendorRecord,
} from '../../src/emulator/index.js';
import { at, makeCall, sid, sids } from './support.js';

const SECONDS_PER_DAY = 86_400;
const temporaryDirectory = mkdtempSync(join(tmpdir(), 'emulator-store-'));

afterAll(() => {
  rmSync(temporaryDirectory, { recursive: true, force: true });
});

/** An independent statement of the endpoint's contract: whole UTC days, half-open ranges, end = start + seconds. */
function referencePage(calls: readonly VendorRecord[], filters: CallFilters, pageSize = Infinity): VendorRecord[] {
  const day = (text: string) => Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10))) / 1000;
  const inDays = (instant: number, on?: string, after?: string, before?: string) =>
    (on === undefined || (instant >= day(on) && instant < day(on) + SECONDS_PER_DAY)) &&
    (after === undefined || instant >= day(after)) &&
    (before === undefined || instant < day(before));
  const start = (call: VendorRecord) => Date.parse(call.date) / 1000;
  const hasEndFilter = filters.endTime !== undefined || filters.endTimeAfter !== undefined || filters.endTimeBefore !== undefined;
  return calls
    .filter(
      (call) =>
        (filters.to === undefined || call.to === filters.to) &&
        (filters.from === undefined || call.from === filters.from) &&
        (filters.status === undefined || call.status === filters.status) &&
        inDays(start(call), filters.startTime, filters.startTimeAfter, filters.startTimeBefore) &&
        (!hasEndFilter ||
          (call.seconds !== null &&
            inDays(start(call) + call.seconds, filters.endTime, filters.endTimeAfter, filters.endTimeBefore))),
    )
    .sort((a, b) => start(b) - start(a) || (a.callSid < b.callSid ? 1 : a.callSid > b.callSid ? -1 : 0))
    .slice(0, pageSize);
}

describe('page() against a reference filter (property)', () => {
  const firstDay = at('2024-03-09T00:00:00Z');
  const numbers = ['+14155550101', '+14155550102', '+12125550103'];
  const days = ['2024-03-07', '2024-03-08', '2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12', '2024-03-13'];

  const start = fc.oneof(
    // instants right around midnights and noon, often shared (ties)
    { weight: 2, arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, 1, 43_200, SECONDS_PER_DAY - 2, SECONDS_PER_DAY - 1))
      .map(([dayIndex, second]) => firstDay + dayIndex * SECONDS_PER_DAY + second) },
    { weight: 1, arbitrary: fc.integer({ min: firstDay, max: firstDay + 4 * SECONDS_PER_DAY - 1 }) },
  );
  const seconds = fc.oneof(
    fc.constant(null),
    fc.constantFrom(0, 1, SECONDS_PER_DAY - 1, SECONDS_PER_DAY),
    fc.integer({ min: 0, max: 3 * SECONDS_PER_DAY }),
  );
  const call = fc.record({
    sidHex: fc.stringMatching(/^[0-9a-f]{3}$/),
    start,
    seconds,
    status: fc.constantFrom(...FILTER_STATUSES, 'canceled', 'voicemail'),
    to: fc.constantFrom(...numbers),
    from: fc.constantFrom(...numbers),
  });
  const calls = fc
    .uniqueArray(call, { selector: (generated) => generated.sidHex, minLength: 1, maxLength: 60, size: 'large' })
    .map((generated) => generated.map((fields) => makeCall({ ...fields, sid: sid(fields.sidHex) })));
  const day = fc.constantFrom(...days);
  // Each filter is present about one time in four, so most runs combine a few filters and still match calls.
  const sometimes = <T>(value: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
  const filters: fc.Arbitrary<CallFilters> = fc
    .record({
      to: sometimes(fc.constantFrom(...numbers, '+19995550000')),
      from: sometimes(fc.constantFrom(...numbers)),
      status: sometimes(fc.constantFrom(...FILTER_STATUSES)),
      startTime: sometimes(day),
      startTimeAfter: sometimes(day),
      startTimeBefore: sometimes(day),
      endTime: sometimes(day),
      endTimeAfter: sometimes(day),
      endTimeBefore: sometimes(day),
    })
    .map((chosen) => Object.fromEntries(Object.entries(chosen).filter(([, value]) => value !== undefined)) as CallFilters);

  it('returns exactly the newest matching calls, in order, for any records and filters', () => {
    const store = new CallStore();
    try {
      fc.assert(
        fc.property(calls, filters, fc.integer({ min: 1, max: 30 }), (generated, chosen, pageSize) => {
          store.clear();
          store.insertCalls('p', generated);
          // the same calls in another project must never leak into p's pages
          store.insertCalls('q', generated.map((record) => ({ ...record, status: 'completed' })));
          const expected = referencePage(generated, chosen);
          expect(sids(store.page('p', chosen, pageSize))).toEqual(sids(expected.slice(0, pageSize)));
          expect(sids(store.list('p', chosen))).toEqual(sids(expected));
          expect(store.count('p', chosen)).toBe(expected.length);
        }),
        { numRuns: 300 },
      );
    } finally {
      store.close();
    }
  });
});

describe('CallStore', () => {
  it('stores and returns records exactly as given', () => {
    const store = new CallStore();
    const record = { ...makeCall({ sid: sid('a'), start: at('2024-01-30T13:39:53Z') }), partnerId: 'partner-id', extra: { nested: [1] } };
    store.insertCalls('p', [record]);
    expect(store.page('p', {}, 20)).toEqual([record]);
    expect(store.rows('p')[0]).toMatchObject({ start_ts: at('2024-01-30T13:39:53Z'), seconds: 60, end_ts: at('2024-01-30T13:40:53Z') });
    store.close();
  });

  it('replaces a call inserted again under the same callSid', () => {
    const store = new CallStore();
    store.insertCalls('p', [makeCall({ sid: sid('a'), start: 1_700_000_000, status: 'ringing', seconds: null })]);
    store.insertCalls('p', [makeCall({ sid: sid('a'), start: 1_700_000_000, status: 'completed', seconds: 30 })]);
    expect(store.count('p')).toBe(1);
    expect(store.page('p', { status: 'completed', endTimeAfter: '2023-01-01' }, 5)).toHaveLength(1);
    store.close();
  });

  it('inserts, reads and updates one call; every filter column follows an update', () => {
    const store = new CallStore();
    const ringing = makeCall({ sid: sid('a'), start: at('2024-03-09T23:59:00Z'), status: 'ringing', seconds: null });
    store.insertCall('p', ringing);
    expect(store.call('p', sid('a'))).toEqual(ringing);
    expect(store.call('q', sid('a'))).toBeUndefined();
    expect(store.page('p', { status: 'ringing' }, 5)).toEqual([ringing]);

    const updated = store.updateCall('p', sid('a'), { status: 'completed', seconds: 120, to: '+12125550199', recordingUrls: ['https://r/1.mp3'] });
    expect(updated).toEqual({ ...ringing, status: 'completed', seconds: 120, to: '+12125550199', recordingUrls: ['https://r/1.mp3'] });
    expect(store.call('p', sid('a'))).toEqual(updated);
    expect(store.count('p', { status: 'ringing' })).toBe(0);
    expect(sids(store.page('p', { status: 'completed', to: '+12125550199', endTime: '2024-03-10' }, 5))).toEqual([sid('a')]);
    expect(store.rows('p')[0]).toMatchObject({ seconds: 120, end_ts: at('2024-03-10T00:01:00Z'), status: 'completed' });
    // The SID cannot change, and an unknown call is not created.
    expect(store.updateCall('p', sid('a'), { callSid: sid('b') })?.callSid).toBe(sid('a'));
    expect(store.updateCall('p', sid('c'), { status: 'busy' })).toBeUndefined();
    expect(store.count()).toBe(1);
    store.close();
  });

  it('rolls back an update with an unreadable date', () => {
    const store = new CallStore();
    const call = makeCall({ sid: sid('a'), start: 1_700_000_000 });
    store.insertCall('p', call);
    expect(() => store.updateCall('p', sid('a'), { date: 'soon' })).toThrow(RangeError);
    expect(store.call('p', sid('a'))).toEqual(call);
    store.close();
  });

  it('finds the projects of a SID, and keeps one webhook URL per project', () => {
    const store = new CallStore();
    store.insertCall('b', makeCall({ sid: sid('a'), start: 1 }));
    store.insertCall('a', makeCall({ sid: sid('a'), start: 1 }));
    expect(store.projectsOfCall(sid('a'))).toEqual(['a', 'b']);
    expect(store.projectsOfCall(sid('f'))).toEqual([]);

    expect(store.webhook('a')).toBeUndefined();
    store.setWebhook('a', 'http://127.0.0.1:1/one');
    store.setWebhook('a', 'http://127.0.0.1:1/two');
    store.setWebhook('b', 'http://127.0.0.1:1/b');
    expect(store.webhook('a')).toBe('http://127.0.0.1:1/two');
    store.clear('a');
    expect(store.webhook('a')).toBeUndefined();
    expect(store.webhook('b')).toBe('http://127.0.0.1:1/b');
    store.clear();
    expect(store.webhook('b')).toBeUndefined();
    store.close();
  });

  it('rejects a record with an unreadable date and keeps nothing of that insert', () => {
    const store = new CallStore();
    const good = makeCall({ sid: sid('a'), start: 1_700_000_000 });
    expect(() => store.insertCalls('p', [good, { ...good, callSid: sid('b'), date: 'yesterday' }])).toThrow(RangeError);
    expect(store.count()).toBe(0);
    store.close();
  });

  it('rejects a date filter that is not a calendar day', () => {
    const store = new CallStore();
    expect(() => store.page('p', { startTime: '2024-02-30' }, 5)).toThrow(RangeError);
    expect(() => store.page('p', {}, 0)).toThrow(RangeError);
    store.close();
  });

  it('grants, merges and looks up credentials', () => {
    const store = new CallStore();
    store.grant('api-key', 'k', ['a']);
    store.grant('api-key', 'k', ['b', 'a']);
    store.grant('bearer', 't', '*');
    expect(store.credential('api-key', 'k')).toEqual({ kind: 'api-key', token: 'k', projects: ['a', 'b'] });
    expect(store.credential('bearer', 't')?.projects).toBe('*');
    expect(store.credential('bearer', 'k')).toBeUndefined();
    expect(store.credentials()).toHaveLength(2);
    store.close();
  });

  it('clears one project or everything', () => {
    const store = new CallStore();
    store.insertCalls('a', [makeCall({ sid: sid('1'), start: 1_700_000_000 })]);
    store.insertCalls('b', [makeCall({ sid: sid('1'), start: 1_700_000_000 })]);
    store.grant('api-key', 'k', ['a']);
    store.clear('a');
    expect(store.projects()).toEqual(['b']);
    store.clear();
    expect(store.count()).toBe(0);
    expect(store.credential('api-key', 'k')).toBeUndefined();
    store.close();
    expect(store.isOpen).toBe(false);
  });

  it('loads a large batch through the bulk path with the same results, and persists in a file', () => {
    const path = join(temporaryDirectory, 'calls.db');
    const store = new CallStore(path);
    const small = generateCalls({ projectId: 'small', count: 300, seed: 3 });
    store.insertCalls('small', small);
    const large = generateCalls({ projectId: 'large', count: 30_000, seed: 5, days: 60 });
    const firstAgain = { ...(large[0] as VendorRecord), status: 'completed' };
    expect(store.insertCalls('large', [...large, firstAgain])).toBe(30_001);
    expect(store.count('large')).toBe(30_000);
    store.close();

    const reopened = new CallStore(path);
    const expectedLarge = large.map((record, index) => (index === 0 ? firstAgain : record));
    const someCustomer = (large[100] as VendorRecord).to;
    const someDay = (large[15_000] as VendorRecord).date;
    const dayText = new Date((parseRfc2822(someDay) ?? 0) * 1000).toISOString().slice(0, 10);
    const cases: CallFilters[] = [
      {},
      { status: 'busy' },
      { to: someCustomer },
      { startTime: dayText },
      { endTime: dayText, status: 'completed' },
      { endTimeBefore: dayText, from: someCustomer },
    ];
    for (const filters of cases) {
      expect(sids(reopened.page('large', filters, 100))).toEqual(sids(referencePage(expectedLarge, filters, 100)));
    }
    expect(sids(reopened.page('small', {}, 50))).toEqual(sids(referencePage(small, {}, 50)));
    reopened.close();

    const raw = new DatabaseSync(path, { readOnly: true });
    const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls'").all().map((row) => row.name);
    expect(indexes).toEqual(
      expect.arrayContaining(['calls_project_start', 'calls_project_status_start', 'calls_project_to_start', 'calls_project_from_start']),
    );
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
  });
});
