import { describe, expect, it } from 'vitest';
import {
  BUSY_CALLS,
  BUSY_DAY,
  BUSY_DAY_CALLS,
  BUSY_DAYS,
  BUSY_PROJECT_ID,
  CALL_SID_PATTERN,
  DEFAULT_GENERATE_UNTIL,
  DEMO_CALLS,
  DEMO_DAYS,
  DEMO_PROJECT_ID,
  DEMO_SEED,
  DEMO_UNTIL,
  FILTER_STATUSES,
  formatDay,
  generateCalls,
  iterateCalls,
  parseDay,
  parseRfc2822,
  type VendorRecord,
} from '../../src/emulator/index.js';

const SECONDS_PER_DAY = 86_400;
const demoCalls = generateCalls({ projectId: DEMO_PROJECT_ID, count: DEMO_CALLS, seed: DEMO_SEED, until: DEMO_UNTIL, days: DEMO_DAYS });
const start = (call: VendorRecord) => parseRfc2822(call.date) ?? NaN;

function callsPerDay(calls: readonly VendorRecord[]): Map<string, number> {
  const perDay = new Map<string, number>();
  for (const call of calls) {
    const day = formatDay(Math.floor(start(call) / SECONDS_PER_DAY) * SECONDS_PER_DAY);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
  }
  return perDay;
}

describe('determinism', () => {
  const options = { projectId: 'p', count: 1500, seed: 9 };

  it('produces identical records for the same seed and options', () => {
    expect(generateCalls(options)).toEqual(generateCalls(options));
    expect([...iterateCalls(options)]).toEqual(generateCalls(options));
  });

  it('produces different records for another seed or another project', () => {
    const base = generateCalls(options).map((call) => call.callSid);
    expect(generateCalls({ ...options, seed: 10 }).map((call) => call.callSid)).not.toEqual(base);
    expect(generateCalls({ ...options, projectId: 'q' }).map((call) => call.callSid)).not.toEqual(base);
  });

  it('does not depend on today: calls end before the fixed default until', () => {
    const until = parseDay(DEFAULT_GENERATE_UNTIL) ?? 0;
    const calls = generateCalls({ projectId: 'p', count: 300 });
    expect(calls).toHaveLength(300);
    for (const call of calls) expect(start(call)).toBeLessThan(until);
  });

  it('rejects impossible options', () => {
    expect(() => generateCalls({ projectId: 'p', count: -1 })).toThrow(RangeError);
    expect(() => generateCalls({ projectId: 'p', count: 10, until: '2026-02-30' })).toThrow(RangeError);
    expect(() => generateCalls({ projectId: 'p', count: 10, denseDay: { date: '2020-01-01', calls: 5 } })).toThrow(RangeError);
    expect(() => generateCalls({ projectId: 'p', count: 10, until: '2026-11-01', denseDay: { date: '2026-10-30', calls: 11 } })).toThrow(
      RangeError,
    );
  });
});

describe('realism of the demo project', () => {
  it('has the requested number of calls, unique SIDs, oldest first, inside the span', () => {
    expect(demoCalls).toHaveLength(DEMO_CALLS);
    expect(new Set(demoCalls.map((call) => call.callSid)).size).toBe(DEMO_CALLS);
    const starts = demoCalls.map(start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    const until = parseDay(DEMO_UNTIL) ?? 0;
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(until - DEMO_DAYS * SECONDS_PER_DAY);
    expect(Math.max(...starts)).toBeLessThan(until);
  });

  it('has every filter status, plus canceled, voicemail, silence and an unknown one', () => {
    const statuses = new Set(demoCalls.map((call) => call.status));
    for (const status of [...FILTER_STATUSES, 'canceled', 'voicemail', 'silence']) expect(statuses).toContain(status);
    const known = new Set<string>([...FILTER_STATUSES, 'canceled', 'voicemail', 'silence']);
    expect([...statuses].some((status) => !known.has(status))).toBe(true);
    const completed = demoCalls.filter((call) => call.status === 'completed').length;
    expect(completed / demoCalls.length).toBeGreaterThan(0.4);
  });

  it('writes vendor-shaped records', () => {
    for (const call of demoCalls) {
      expect(call.callSid).toMatch(CALL_SID_PATTERN);
      expect(call.date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
      expect(call.from).toMatch(/^\+1[2-9]\d{2}[2-9]\d{6}$/);
      expect(call.to).toMatch(/^\+1[2-9]\d{2}[2-9]\d{6}$/);
      expect([call.to, call.from]).toContain(call.phoneNumber);
      for (const url of call.recordingUrls) {
        expect(url).toMatch(/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Recordings\/RE[0-9a-f]{32}\.mp3$/);
      }
      for (const value of Object.values(call.data)) expect(typeof value).toBe('string');
      const live = ['queued', 'initiated', 'ringing', 'in-progress'].includes(call.status);
      expect(call.seconds === null).toBe(live);
      if (call.seconds === null) expect(call.cost).toBeNull();
      if (call.cost !== null) expect(call.cost).toBeGreaterThanOrEqual(0);
      if (call.partnerId !== undefined) {
        expect(call.shiftId).toEqual(expect.any(String));
        expect(call.assignmentId).toEqual(expect.any(String));
      }
    }
    expect(demoCalls.some((call) => call.recordingUrls.length === 2)).toBe(true);
    expect(demoCalls.some((call) => call.partnerId !== undefined)).toBe(true);
    expect(demoCalls.some((call) => call.partnerId === undefined)).toBe(true);
    expect(demoCalls.some((call) => call.seconds !== null && call.cost === null)).toBe(true);
  });

  it('repeats customers, so a to filter finds several calls', () => {
    const perCustomer = new Map<string, number>();
    for (const call of demoCalls) perCustomer.set(call.phoneNumber, (perCustomer.get(call.phoneNumber) ?? 0) + 1);
    expect(Math.max(...perCustomer.values())).toBeGreaterThan(3);
  });

  it('has uneven days: empty days, busy and quiet days, quieter weekends', () => {
    const perDay = callsPerDay(demoCalls);
    const until = parseDay(DEMO_UNTIL) ?? 0;
    const allDays = Array.from({ length: DEMO_DAYS }, (_, index) => formatDay(until - (DEMO_DAYS - index) * SECONDS_PER_DAY));
    const volumes = allDays.map((day) => perDay.get(day) ?? 0);
    expect(volumes.filter((volume) => volume === 0).length).toBeGreaterThan(0);
    expect(Math.max(...volumes)).toBeGreaterThan(3 * (DEMO_CALLS / DEMO_DAYS));
    const weekday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay();
    const average = (days: string[]) => days.reduce((sum, day) => sum + (perDay.get(day) ?? 0), 0) / days.length;
    expect(average(allDays.filter((day) => weekday(day) >= 1 && weekday(day) <= 5))).toBeGreaterThan(
      2 * average(allDays.filter((day) => weekday(day) === 0 || weekday(day) === 6)),
    );
  });

  it('has same-second ties, calls near midnight UTC and calls that cross midnight', () => {
    const starts = demoCalls.map(start);
    expect(starts.some((instant, index) => index > 0 && instant === starts[index - 1])).toBe(true);
    const secondOfDay = (instant: number) => ((instant % SECONDS_PER_DAY) + SECONDS_PER_DAY) % SECONDS_PER_DAY;
    expect(starts.some((instant) => secondOfDay(instant) >= SECONDS_PER_DAY - 10)).toBe(true);
    expect(starts.some((instant) => secondOfDay(instant) < 10)).toBe(true);
    const crossing = demoCalls.filter((call) => {
      if (call.seconds === null) return false;
      const begin = start(call);
      return Math.floor(begin / SECONDS_PER_DAY) !== Math.floor((begin + call.seconds) / SECONDS_PER_DAY);
    });
    expect(crossing.length).toBeGreaterThan(0);
  });
});

describe('dense day', () => {
  it('puts exactly the requested calls on the dense day of the busy project', () => {
    const calls = generateCalls({
      projectId: BUSY_PROJECT_ID,
      count: BUSY_CALLS,
      seed: DEMO_SEED,
      until: DEMO_UNTIL,
      days: BUSY_DAYS,
      denseDay: { date: BUSY_DAY, calls: BUSY_DAY_CALLS },
    });
    expect(calls).toHaveLength(BUSY_CALLS);
    const perDay = callsPerDay(calls);
    expect(perDay.get(BUSY_DAY)).toBe(BUSY_DAY_CALLS);
    expect(BUSY_DAY_CALLS).toBeGreaterThan(1000);
    for (const [day, volume] of perDay) if (day !== BUSY_DAY) expect(volume).toBeLessThan(BUSY_DAY_CALLS);
  });
});
