import { describe, expect, it } from 'vitest';
import {
  LIVE_FINAL_WEIGHTS,
  LiveSchedule,
  liveProfile,
  mulberry32,
  parseRfc2822,
  type LiveChange,
  type LiveProfile,
  type LiveScheduleOptions,
} from '../../src/emulator/index.js';
import { makeCall, sid } from './support.js';

const START = Date.parse('2026-12-01T12:00:00Z');
const MINUTE = 60_000;
const PROFILE: LiveProfile = {
  ownNumbers: ['+14155550100'],
  customers: ['+12065550123'],
  accountSid: `AC${'a'.repeat(32)}`,
};

function schedule(options: Partial<LiveScheduleOptions> = {}): LiveSchedule {
  return new LiveSchedule({
    projects: [{ projectId: 'p', profile: PROFILE }],
    callsPerMinute: 6,
    random: mulberry32(7),
    startAt: START,
    ...options,
  });
}

/** Every change of `minutes` simulated minutes, asked for in steps of `stepMs` as a timer would. */
function run(live: LiveSchedule, minutes: number, stepMs = 1_000): LiveChange[] {
  const changes: LiveChange[] = [];
  for (let now = START; now <= START + minutes * MINUTE; now += stepMs) changes.push(...live.due(now));
  return changes;
}

function byCall(changes: readonly LiveChange[]): Map<string, LiveChange[]> {
  const calls = new Map<string, LiveChange[]>();
  for (const change of changes) {
    const list = calls.get(change.record.callSid) ?? [];
    list.push(change);
    calls.set(change.record.callSid, list);
  }
  return calls;
}

const ALLOWED_PATHS = [
  'queued ringing in-progress completed completed',
  'queued ringing no-answer no-answer',
  'queued ringing busy busy',
  'queued ringing canceled canceled',
  'queued failed failed',
];

describe('LiveSchedule (pure, with a fake clock)', () => {
  it('is deterministic: the same seed and clock give the same changes', () => {
    const first = run(schedule(), 30);
    const second = run(schedule(), 30);
    expect(first.length).toBeGreaterThan(100);
    expect(second).toEqual(first);
    expect(run(schedule({ random: mulberry32(8) }), 30)).not.toEqual(first);
  });

  it('reports changes in time order, each no later than the instant asked for', () => {
    const live = schedule();
    let previous = START;
    for (let now = START; now <= START + 20 * MINUTE; now += 7_000) {
      for (const change of live.due(now)) {
        expect(change.at).toBeGreaterThanOrEqual(previous);
        expect(change.at).toBeLessThanOrEqual(now);
        previous = change.at;
      }
    }
  });

  it('moves every call through queued, ringing, in-progress and a final status, then prices it', () => {
    const live = schedule();
    const calls = byCall(run(live, 60));
    const finished = [...calls.values()].filter((changes) => changes.at(-1)?.record.cost !== null);
    expect(finished.length).toBeGreaterThan(300);
    for (const changes of finished) {
      const path = [changes[0]!.record.status, ...changes.slice(1).map((change) => change.record.status)].join(' ');
      expect(ALLOWED_PATHS).toContain(path);
      expect(changes[0]!.previousStatus).toBeNull();
      for (let index = 1; index < changes.length; index++) {
        expect(changes[index]!.previousStatus).toBe(changes[index - 1]!.record.status);
      }

      const created = changes[0]!;
      expect(created.record).toMatchObject({ status: 'queued', seconds: null, cost: null, recordingUrls: [] });
      expect(parseRfc2822(created.record.date)).toBe(Math.floor(created.at / 1000));
      // Duration and recordings arrive with the final status; the price a little later.
      const final = changes.at(-2)!;
      const priced = changes.at(-1)!;
      const start = parseRfc2822(created.record.date)!;
      if (final.record.status === 'completed') {
        expect(start + final.record.seconds!).toBe(Math.floor(final.at / 1000));
        expect(final.record.cost).toBeNull();
      } else {
        expect(final.record.seconds).toBe(0);
        expect(final.record.recordingUrls).toEqual([]);
      }
      for (const url of final.record.recordingUrls) expect(url).toContain(`/Accounts/${PROFILE.accountSid}/Recordings/RE`);
      for (const change of changes.slice(0, -2)) expect(change.record.seconds).toBeNull();
      expect(priced.at).toBeGreaterThan(final.at);
      expect(priced.record.cost).toBe(Math.round(Math.ceil(final.record.seconds! / 60) * 0.013 * 10_000) / 10_000);
      expect(priced.record.status).toBe(final.record.status);
    }
    // Finished calls are no longer live; the ones still moving are.
    const stillLive = new Set(live.liveCalls().map(({ record }) => record.callSid));
    for (const changes of finished) expect(stillLive.has(changes[0]!.record.callSid)).toBe(false);
    expect(stillLive.size).toBe(calls.size - finished.length);
  });

  it('mostly completes calls, and ends some as no-answer, busy, failed and canceled', () => {
    const finals = [...byCall(run(schedule({ callsPerMinute: 60 }), 60, 5_000)).values()]
      .filter((changes) => changes.length >= 3)
      .map((changes) => changes.at(-1)!.record.status);
    const count = (status: string) => finals.filter((final) => final === status).length;
    expect(count('completed') / finals.length).toBeGreaterThan(0.6);
    for (const status of Object.keys(LIVE_FINAL_WEIGHTS)) expect(count(status)).toBeGreaterThan(0);
  });

  it('makes new calls at the rate asked for, in each project', () => {
    const live = schedule({
      callsPerMinute: 12,
      projects: [
        { projectId: 'a', profile: PROFILE },
        { projectId: 'b', profile: PROFILE },
      ],
    });
    const created = run(live, 600, 10_000).filter((change) => change.previousStatus === null);
    for (const projectId of ['a', 'b']) {
      const arrivals = created.filter((change) => change.projectId === projectId).length;
      expect(arrivals).toBeGreaterThan(12 * 600 * 0.9);
      expect(arrivals).toBeLessThan(12 * 600 * 1.1);
    }
    expect(new Set(created.map((change) => change.record.callSid)).size).toBe(created.length);
  });

  it('uses the profile: calls come from an own number (or go to one, inbound), sometimes to a known customer', () => {
    const created = run(schedule({ callsPerMinute: 60 }), 60, 10_000).filter((change) => change.previousStatus === null);
    for (const { record } of created) {
      expect([record.from, record.to]).toContain(PROFILE.ownNumbers[0]);
      expect(record.phoneNumber).toBe(record.from === PROFILE.ownNumbers[0] ? record.to : record.from);
      expect(record.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    }
    expect(created.some(({ record }) => record.to === PROFILE.customers[0])).toBe(true);
    expect(created.some(({ record }) => record.from !== PROFILE.ownNumbers[0])).toBe(true); // inbound
  });

  it('lets go of a released call: it keeps its state and gets no more changes', () => {
    const live = schedule();
    const [first] = run(live, 1, 100).filter((change) => change.previousStatus === null);
    expect(first).toBeDefined();
    expect(live.release('p', first!.record.callSid)).toBe(true);
    expect(live.release('p', first!.record.callSid)).toBe(false);
    const later = live.due(START + 60 * MINUTE);
    expect(later.some((change) => change.record.callSid === first!.record.callSid)).toBe(false);
  });

  it('plans nothing when asked before the first arrival, and says when the next change is', () => {
    const live = schedule();
    const next = live.nextAt()!;
    expect(next).toBeGreaterThan(START);
    expect(live.due(next - 1)).toEqual([]);
    expect(live.due(next)).toHaveLength(1);
    expect(live.nextAt()).toBeGreaterThan(next);
  });

  it.each([0, -1, 601, Number.NaN])('rejects a rate of %s calls per minute', (callsPerMinute) => {
    expect(() => schedule({ callsPerMinute })).toThrow(RangeError);
  });

  it('rejects timings that are not [min, max] with 0 <= min <= max', () => {
    expect(() => schedule({ timings: { ringing: [5, 1] } })).toThrow('timings.ringing');
    expect(() => schedule({ timings: { queued: [-1, 1] } })).toThrow('timings.queued');
  });
});

describe('liveProfile', () => {
  const own = '+14155550100';
  const recording = `https://api.twilio.com/2010-04-01/Accounts/AC${'b'.repeat(32)}/Recordings/RE${'c'.repeat(32)}.mp3`;

  it('takes the recurring from numbers as own numbers, the numbers they called as customers, the account of recordings', () => {
    const recent = [
      makeCall({ sid: sid('1'), start: 1, from: own, to: '+12065550001' }),
      makeCall({ sid: sid('2'), start: 2, from: own, to: '+12065550002' }),
      { ...makeCall({ sid: sid('3'), start: 3, from: '+13125550003', to: own }), recordingUrls: [recording] },
    ];
    expect(liveProfile(recent, mulberry32(1))).toEqual({
      ownNumbers: [own],
      customers: ['+12065550001', '+12065550002'],
      accountSid: `AC${'b'.repeat(32)}`,
    });
  });

  it('makes up own numbers and an account for a project without calls', () => {
    const profile = liveProfile([], mulberry32(1));
    expect(profile.ownNumbers).toHaveLength(2);
    for (const number of profile.ownNumbers) expect(number).toMatch(/^\+1\d{10}$/);
    expect(profile.customers).toEqual([]);
    expect(profile.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
  });
});
