import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallStore, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { at, callHistory, makeCall, records, sid, sids } from './support.js';

const PROJECT = 'edges';
const KEY = 'edges-key';
const CUSTOMER = '+13125550142';
const OWN_NUMBER = '+16175550199';

// Calls around the UTC midnights that start and end 2024-03-10.
const calls = {
  lateOn9th: makeCall({ sid: sid('a1'), start: at('2024-03-09T23:59:59Z'), seconds: 0, status: 'busy' }),
  midnightOn10th: makeCall({ sid: sid('a2'), start: at('2024-03-10T00:00:00Z'), seconds: 30 }),
  crossesIntoThe11th: makeCall({ sid: sid('a3'), start: at('2024-03-10T23:59:30Z'), seconds: 60 }),
  noonTieLive: makeCall({ sid: sid('b1'), start: at('2024-03-10T12:00:00Z'), seconds: null, status: 'in-progress' }),
  noonTieFailed: makeCall({ sid: sid('b2'), start: at('2024-03-10T12:00:00Z'), seconds: 0, status: 'failed' }),
  noonTieCompleted: makeCall({ sid: sid('b3'), start: at('2024-03-10T12:00:00Z'), seconds: 120 }),
  midnightOn11th: makeCall({ sid: sid('c1'), start: at('2024-03-11T00:00:00Z'), seconds: 10 }),
  endsExactlyAtMidnight: makeCall({ sid: sid('c2'), start: at('2024-03-09T23:00:00Z'), seconds: 3600 }),
  queuedAtTheLastSecond: makeCall({ sid: sid('c3'), start: at('2024-03-10T23:59:59Z'), seconds: null, status: 'queued' }),
  voicemailOn8th: makeCall({
    sid: sid('d1'),
    start: at('2024-03-08T08:00:00Z'),
    seconds: 20,
    status: 'voicemail',
    to: CUSTOMER,
    from: OWN_NUMBER,
  }),
  ringingOn9th: makeCall({ sid: sid('d2'), start: at('2024-03-09T10:00:00Z'), seconds: null, status: 'ringing' }),
};
const c = Object.fromEntries(Object.entries(calls).map(([name, call]) => [name, call.callSid])) as Record<
  keyof typeof calls,
  string
>;

let emulator: RunningEmulator;
let store: CallStore;

async function page(query: Record<string, string>, pageSize = 100): Promise<string[]> {
  const response = await callHistory(emulator.url, { query, body: { projectId: PROJECT, pageSize }, apiKey: KEY });
  if (response.status === 404) return [];
  return sids(records(response));
}

beforeAll(async () => {
  store = new CallStore();
  store.insertCalls(PROJECT, Object.values(calls));
  store.grant('api-key', KEY, [PROJECT]);
  emulator = await startEmulator({ store, demo: false });
});

afterAll(async () => {
  await emulator.close();
  store.close();
});

describe('ordering', () => {
  it('returns the newest calls first, ties by callSid descending', async () => {
    expect(await page({})).toEqual([
      c.midnightOn11th,
      c.queuedAtTheLastSecond,
      c.crossesIntoThe11th,
      c.noonTieCompleted,
      c.noonTieFailed,
      c.noonTieLive,
      c.midnightOn10th,
      c.lateOn9th,
      c.endsExactlyAtMidnight,
      c.ringingOn9th,
      c.voicemailOn8th,
    ]);
  });

  it('cuts the page inside a same-second tie deterministically', async () => {
    expect(await page({ startTime: '2024-03-10' }, 4)).toEqual([
      c.queuedAtTheLastSecond,
      c.crossesIntoThe11th,
      c.noonTieCompleted,
      c.noonTieFailed,
    ]);
  });
});

describe('start filters (whole UTC days, half-open)', () => {
  it('startTime=D covers [D 00:00Z, D+1 00:00Z)', async () => {
    expect(await page({ startTime: '2024-03-10' })).toEqual([
      c.queuedAtTheLastSecond,
      c.crossesIntoThe11th,
      c.noonTieCompleted,
      c.noonTieFailed,
      c.noonTieLive,
      c.midnightOn10th,
    ]);
  });

  it('startTimeAfter=D includes day D', async () => {
    expect(await page({ startTimeAfter: '2024-03-10' })).toEqual([
      c.midnightOn11th,
      c.queuedAtTheLastSecond,
      c.crossesIntoThe11th,
      c.noonTieCompleted,
      c.noonTieFailed,
      c.noonTieLive,
      c.midnightOn10th,
    ]);
  });

  it('startTimeBefore=D excludes day D (23:59:59 the day before is in, 00:00:00 is out)', async () => {
    expect(await page({ startTimeBefore: '2024-03-10' })).toEqual([
      c.lateOn9th,
      c.endsExactlyAtMidnight,
      c.ringingOn9th,
      c.voicemailOn8th,
    ]);
  });

  it('intersects startTimeAfter and startTimeBefore', async () => {
    expect(await page({ startTimeAfter: '2024-03-09', startTimeBefore: '2024-03-10' })).toEqual([
      c.lateOn9th,
      c.endsExactlyAtMidnight,
      c.ringingOn9th,
    ]);
    expect(await page({ startTimeAfter: '2024-03-10', startTimeBefore: '2024-03-10' })).toEqual([]);
  });
});

describe('end filters (on start + seconds)', () => {
  it('endTime=D matches calls that end on D, including one ending exactly at 00:00:00', async () => {
    expect(await page({ endTime: '2024-03-10' })).toEqual([
      c.noonTieCompleted,
      c.noonTieFailed,
      c.midnightOn10th,
      c.endsExactlyAtMidnight,
    ]);
  });

  it('a call crossing midnight matches endTime of the next day, not of its start day', async () => {
    expect(await page({ endTime: '2024-03-11' })).toEqual([c.midnightOn11th, c.crossesIntoThe11th]);
    expect(await page({ endTime: '2024-03-10' })).not.toContain(c.crossesIntoThe11th);
    expect(await page({ startTime: '2024-03-10' })).toContain(c.crossesIntoThe11th);
  });

  it('endTimeAfter=D includes day D', async () => {
    expect(await page({ endTimeAfter: '2024-03-11' })).toEqual([c.midnightOn11th, c.crossesIntoThe11th]);
  });

  it('endTimeBefore=D excludes a call ending exactly at D 00:00:00', async () => {
    expect(await page({ endTimeBefore: '2024-03-10' })).toEqual([c.lateOn9th, c.voicemailOn8th]);
  });

  it('calls without seconds have no end and never match an end filter', async () => {
    const noEnd = [c.noonTieLive, c.queuedAtTheLastSecond, c.ringingOn9th];
    const everyEnd = await page({ endTimeAfter: '2000-01-01' });
    expect(everyEnd).toHaveLength(Object.keys(calls).length - noEnd.length);
    for (const call of noEnd) expect(everyEnd).not.toContain(call);
    expect(await page({ endTimeBefore: '2100-01-01' })).toEqual(everyEnd);
  });
});

describe('equality filters', () => {
  it('status', async () => {
    expect(await page({ status: 'completed' })).toEqual([
      c.midnightOn11th,
      c.crossesIntoThe11th,
      c.noonTieCompleted,
      c.midnightOn10th,
      c.endsExactlyAtMidnight,
    ]);
    expect(await page({ status: 'in-progress' })).toEqual([c.noonTieLive]);
    expect(await page({ status: 'no-answer' })).toEqual([]);
  });

  it('to and from', async () => {
    expect(await page({ to: CUSTOMER })).toEqual([c.voicemailOn8th]);
    expect(await page({ from: OWN_NUMBER })).toEqual([c.voicemailOn8th]);
    expect(await page({ to: OWN_NUMBER })).toEqual([]);
  });

  it('combines every filter with AND', async () => {
    expect(await page({ status: 'completed', startTime: '2024-03-10', endTimeBefore: '2024-03-11' })).toEqual([
      c.noonTieCompleted,
      c.midnightOn10th,
    ]);
    expect(await page({ to: CUSTOMER, from: OWN_NUMBER, startTimeBefore: '2024-03-09', endTime: '2024-03-08' })).toEqual([
      c.voicemailOn8th,
    ]);
  });

  it('ignores unknown query parameters', async () => {
    expect(await page({ page: '2', sort: 'asc', status: 'in-progress' })).toEqual([c.noonTieLive]);
  });
});

describe('filter validation', () => {
  it.each([
    ['startTime', '2024-02-30'],
    ['startTime', '2009-0-06'],
    ['startTimeAfter', '2024-13-01'],
    ['startTimeBefore', '20240310'],
    ['endTime', '2024-3-10'],
    ['endTimeAfter', '2024-03-10T00:00:00Z'],
    ['endTimeBefore', 'yesterday'],
    ['status', 'COMPLETED'],
    ['status', 'canceled'],
    ['status', 'voicemail'],
    ['to', ''],
  ])('rejects %s=%s with 400', async (name, value) => {
    const response = await callHistory(emulator.url, { query: { [name]: value }, body: { projectId: PROJECT }, apiKey: KEY });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: expect.stringContaining(name), status: 'error' });
  });

  it('accepts a real leap day', async () => {
    const response = await callHistory(emulator.url, { query: { startTime: '2024-02-29' }, body: { projectId: PROJECT }, apiKey: KEY });
    expect(response.status).toBe(404);
  });

  it('rejects a repeated parameter', async () => {
    const response = await callHistory(emulator.url, {
      query: `to=${encodeURIComponent(CUSTOMER)}&to=${encodeURIComponent(OWN_NUMBER)}`,
      body: { projectId: PROJECT },
      apiKey: KEY,
    });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: expect.stringContaining('to'), status: 'error' });
  });
});
