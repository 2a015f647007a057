import { callCost, callData, phoneNumber, recordingUrls } from './generate.js';
import { pick, randomHex, weightedPicker, type Random } from './random.js';
import { formatRfc2822, parseRfc2822, type VendorRecord } from './record.js';

/**
 * Live calls, without timers or I/O: a schedule that, asked what is due at an instant, creates the calls that
 * arrived by then and moves calls through queued, ringing, in-progress and a final status the way the vendor
 * reports them. The caller owns the clock and writes the changes wherever they go.
 */

/** The most calls per minute and project a live emulator makes. */
export const MAX_LIVE_CALLS_PER_MINUTE = 600;

/** How live calls end: mostly completed. */
export const LIVE_FINAL_WEIGHTS = { completed: 70, 'no-answer': 12, busy: 7, failed: 5, canceled: 6 } as const;
export type LiveFinalStatus = keyof typeof LIVE_FINAL_WEIGHTS;
const pickFinalStatus = weightedPicker(LIVE_FINAL_WEIGHTS);

/** How long each stage of a live call lasts, in seconds: `[min, max]`, uniformly. */
export interface LiveTimings {
  queued: readonly [number, number];
  ringing: readonly [number, number];
  /** A `no-answer` call rings this long before it gives up. */
  unanswered: readonly [number, number];
  talking: readonly [number, number];
  /** The price arrives this long after the call ended. */
  pricing: readonly [number, number];
}

export const DEFAULT_LIVE_TIMINGS: LiveTimings = {
  queued: [1, 4],
  ringing: [3, 15],
  unanswered: [20, 30],
  talking: [15, 180],
  pricing: [3, 10],
};

/** The numbers and account a project's live calls use, so they look like the project's past calls. */
export interface LiveProfile {
  /** The project's own numbers: outbound calls come from one, inbound calls go to one. */
  ownNumbers: string[];
  /** Customers called before; a new call goes to one of them now and then. */
  customers: string[];
  /** The account in recording URLs. */
  accountSid: string;
}

const RECORDING_ACCOUNT = /\/Accounts\/(AC[0-9a-f]{32})\//;

/**
 * A profile read from a project's recent calls: its own numbers are the `from` numbers that recur (most
 * calls are outbound), its customers the numbers those called, its account the one in its recording URLs.
 * Missing parts are made up.
 */
export function liveProfile(recent: readonly VendorRecord[], random: Random): LiveProfile {
  const fromCounts = new Map<string, number>();
  for (const record of recent) {
    if (typeof record.from === 'string' && record.from !== '') fromCounts.set(record.from, (fromCounts.get(record.from) ?? 0) + 1);
  }
  const ownNumbers = [...fromCounts]
    .filter(([, count]) => count >= 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([number]) => number);
  if (ownNumbers.length === 0) ownNumbers.push(phoneNumber(random), phoneNumber(random));
  const own = new Set(ownNumbers);
  const customers = [...new Set(recent.map((record) => record.to).filter((to) => typeof to === 'string' && to !== '' && !own.has(to)))];
  const accountSid =
    recent.flatMap((record) => (Array.isArray(record.recordingUrls) ? record.recordingUrls : []))
      .map((url) => RECORDING_ACCOUNT.exec(String(url))?.[1])
      .find((sid) => sid !== undefined) ?? `AC${randomHex(random, 32)}`;
  return { ownNumbers, customers, accountSid };
}

/** One change the schedule made: a new call (`previousStatus` null) or a new state of a live call. */
export interface LiveChange {
  /** Epoch milliseconds the change happened at. */
  at: number;
  projectId: string;
  /** The whole record as it is after the change. */
  record: VendorRecord;
  previousStatus: string | null;
}

export interface LiveScheduleOptions {
  /** The projects that get live calls, each with its profile. */
  projects: ReadonlyArray<{ projectId: string; profile: LiveProfile }>;
  /** New calls per minute in each project (a Poisson process: gaps vary, the average holds). */
  callsPerMinute: number;
  random: Random;
  /** Epoch milliseconds the schedule starts at. */
  startAt: number;
  timings?: Partial<LiveTimings>;
}

type Pending =
  | { at: number; order: number; kind: 'arrival'; projectId: string }
  | { at: number; order: number; kind: 'step'; projectId: string; callSid: string; changes: Partial<VendorRecord> };

interface LiveCall {
  record: VendorRecord;
  stepsLeft: number;
}

export class LiveSchedule {
  private readonly random: Random;
  private readonly timings: LiveTimings;
  private readonly meanGapMs: number;
  private readonly profiles: Map<string, LiveProfile>;
  /** Pending arrivals and steps, ordered by instant, then by when they were planned. */
  private readonly queue: Pending[] = [];
  /** Live calls by `projectId callSid`. */
  private readonly live = new Map<string, LiveCall>();
  private order = 0;

  constructor(options: LiveScheduleOptions) {
    const { callsPerMinute } = options;
    if (!Number.isFinite(callsPerMinute) || callsPerMinute <= 0 || callsPerMinute > MAX_LIVE_CALLS_PER_MINUTE) {
      throw new RangeError(`callsPerMinute must be above 0 and at most ${MAX_LIVE_CALLS_PER_MINUTE}, got ${callsPerMinute}`);
    }
    this.random = options.random;
    this.timings = { ...DEFAULT_LIVE_TIMINGS, ...options.timings };
    for (const [stage, [min, max]] of Object.entries(this.timings)) {
      if (!(min >= 0 && max >= min && Number.isFinite(max))) throw new RangeError(`timings.${stage} must be [min, max] with 0 <= min <= max`);
    }
    this.meanGapMs = 60_000 / callsPerMinute;
    this.profiles = new Map(options.projects.map(({ projectId, profile }) => [projectId, profile]));
    for (const projectId of this.profiles.keys()) this.planArrival(projectId, options.startAt);
  }

  /** The instant of the next change, or undefined when none is planned. */
  nextAt(): number | undefined {
    return this.queue[0]?.at;
  }

  /** The calls that are live now (not yet in a final status, or not yet priced). */
  liveCalls(): Array<{ projectId: string; record: VendorRecord }> {
    return [...this.live].map(([key, call]) => ({ projectId: key.slice(0, key.lastIndexOf(' ')), record: call.record }));
  }

  /** Every change due at `now` or before, in the order they happened. */
  due(now: number): LiveChange[] {
    const changes: LiveChange[] = [];
    while (this.queue.length > 0 && (this.queue[0] as Pending).at <= now) {
      const pending = this.queue.shift() as Pending;
      const change = pending.kind === 'arrival' ? this.arrive(pending.projectId, pending.at) : this.step(pending);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** Stops moving a call on: someone changed it by hand, and it now keeps what they wrote. */
  release(projectId: string, callSid: string): boolean {
    return this.live.delete(liveKey(projectId, callSid));
  }

  private arrive(projectId: string, at: number): LiveChange {
    this.planArrival(projectId, at);
    const profile = this.profiles.get(projectId) as LiveProfile;
    const record = this.newCall(profile, at);
    const steps = this.lifecycle(profile, record, at);
    this.live.set(liveKey(projectId, record.callSid), { record, stepsLeft: steps.length });
    for (const { at: stepAt, changes } of steps) {
      this.enqueue({ at: stepAt, order: this.order++, kind: 'step', projectId, callSid: record.callSid, changes });
    }
    return { at, projectId, record, previousStatus: null };
  }

  private step(pending: Extract<Pending, { kind: 'step' }>): LiveChange | undefined {
    const key = liveKey(pending.projectId, pending.callSid);
    const call = this.live.get(key);
    if (!call) return undefined; // released
    const previousStatus = call.record.status;
    call.record = { ...call.record, ...pending.changes };
    if (--call.stepsLeft === 0) this.live.delete(key);
    return { at: pending.at, projectId: pending.projectId, record: call.record, previousStatus };
  }

  private newCall(profile: LiveProfile, at: number): VendorRecord {
    const random = this.random;
    const customer =
      profile.customers.length > 0 && random() < 0.3 ? pick(random, profile.customers) : phoneNumber(random);
    const ownNumber = pick(random, profile.ownNumbers);
    const inbound = random() < 0.15;
    return {
      callSid: `CA${randomHex(random, 32)}`,
      status: 'queued',
      from: inbound ? customer : ownNumber,
      to: inbound ? ownNumber : customer,
      phoneNumber: customer,
      date: formatRfc2822(Math.floor(at / 1000)),
      seconds: null,
      cost: null,
      recordingUrls: [],
      data: {},
    };
  }

  /** Every later change of a new call, planned at once: the stages, the final status, then the price. */
  private lifecycle(profile: LiveProfile, record: VendorRecord, start: number): Array<{ at: number; changes: Partial<VendorRecord> }> {
    const random = this.random;
    const final: LiveFinalStatus = pickFinalStatus(random);
    const steps: Array<{ at: number; changes: Partial<VendorRecord> }> = [];
    let at = start + this.stageMs('queued');
    if (final !== 'failed') {
      steps.push({ at, changes: { status: 'ringing' } });
      at += this.stageMs(final === 'no-answer' ? 'unanswered' : 'ringing');
    }
    if (final === 'completed') {
      steps.push({ at, changes: { status: 'in-progress' } });
      at += this.stageMs('talking');
    }
    // The vendor counts a call that never connected as 0 seconds; a completed one lasts from its start to its end.
    const startSeconds = parseRfc2822(record.date) as number;
    const seconds = final === 'completed' ? Math.max(1, Math.floor(at / 1000) - startSeconds) : 0;
    steps.push({
      at,
      changes: {
        status: final,
        seconds,
        recordingUrls: recordingUrls(random, profile.accountSid, final),
        data: callData(random, final),
      },
    });
    steps.push({ at: at + this.stageMs('pricing'), changes: { cost: callCost(seconds) } });
    return steps;
  }

  private stageMs(stage: keyof LiveTimings): number {
    const [min, max] = this.timings[stage];
    return Math.round((min + this.random() * (max - min)) * 1000);
  }

  private planArrival(projectId: string, after: number): void {
    // Exponential gaps make arrivals a Poisson process; at least 1 ms apart keeps the order strict.
    const gap = Math.max(1, Math.round(-Math.log(1 - this.random()) * this.meanGapMs));
    this.enqueue({ at: after + gap, order: this.order++, kind: 'arrival', projectId });
  }

  private enqueue(pending: Pending): void {
    let low = 0;
    let high = this.queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.queue[middle] as Pending;
      if (other.at < pending.at || (other.at === pending.at && other.order < pending.order)) low = middle + 1;
      else high = middle;
    }
    this.queue.splice(low, 0, pending);
  }
}

function liveKey(projectId: string, callSid: string): string {
  return `${projectId} ${callSid}`;
}
