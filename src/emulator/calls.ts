import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LiveSchedule, liveProfile, type LiveChange, type LiveTimings } from './live.js';
import type { Random } from './random.js';
import { CALL_SID_PATTERN, formatRfc2822, parseRfc2822, type VendorRecord } from './record.js';
import type { CallStore } from './store.js';
import type { WebhookSender } from './webhooks.js';

/** A call change that could not be made; `status` is the HTTP status the admin route answers. */
export class CallChangeError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'CallChangeError';
  }
}

const recordFields = {
  status: z.string().min(1),
  from: z.string(),
  to: z.string(),
  phoneNumber: z.string(),
  date: z.string().refine((value) => parseRfc2822(value) !== undefined, {
    error: 'date must be RFC 2822, as the vendor writes it: Tue, 30 Jan 2024 13:39:53 +0000',
  }),
  seconds: z.number().nonnegative().nullable(),
  cost: z.number().nullable(),
  recordingUrls: z.array(z.string()),
  partnerId: z.string(),
  shiftId: z.string(),
  assignmentId: z.string(),
  data: z.record(z.string(), z.string()),
};

/** The fields of a new call: any record field, and unknown extra fields as the vendor may send them. */
const newCallSchema = z.looseObject({
  callSid: z.string().regex(CALL_SID_PATTERN, { error: 'callSid must be CA followed by 32 hex digits.' }),
  ...recordFields,
}).partial();

/** A change to a call: any record field but its SID. */
const callChangesSchema = z
  .looseObject(recordFields)
  .partial()
  .refine((changes) => !('callSid' in changes), { error: 'a call keeps its callSid; it cannot be changed.' });

export type NewCallFields = Partial<VendorRecord>;
export type CallChanges = Partial<Omit<VendorRecord, 'callSid'>>;

/** A change of a call, as webhooks report it. */
export interface CallChange {
  projectId: string;
  record: VendorRecord;
  /** null for a new call. */
  previousStatus: string | null;
  /** Epoch milliseconds. */
  at: number;
}

export interface EmulatorCallsOptions {
  store: CallStore;
  webhooks?: WebhookSender;
  clock?: () => number;
  /** Told when a call is changed by hand, so live progression lets go of it. */
  onManualChange?: (projectId: string, callSid: string) => void;
}

/**
 * The one way calls change while the emulator runs (by hand, or live): each change is written to the store,
 * so both endpoints show it at once, and a status change is posted to the project's webhook.
 */
export class EmulatorCalls {
  private readonly store: CallStore;
  private readonly webhooks: WebhookSender | undefined;
  private readonly clock: () => number;
  onManualChange: ((projectId: string, callSid: string) => void) | undefined;

  constructor(options: EmulatorCallsOptions) {
    this.store = options.store;
    this.webhooks = options.webhooks;
    this.clock = options.clock ?? Date.now;
    this.onManualChange = options.onManualChange;
  }

  /**
   * Creates a call in a project: `queued`, started now, with made-up numbers and a random SID unless the
   * fields say otherwise. Replaces a call of the project with the same SID.
   */
  start(projectId: string, fields: NewCallFields = {}): VendorRecord {
    if (typeof projectId !== 'string' || projectId === '') throw new CallChangeError(400, 'projectId is required and must be a non-empty string.');
    const given = parse(newCallSchema, fields);
    const now = this.clock();
    const record: VendorRecord = {
      callSid: `CA${randomBytes(16).toString('hex')}`,
      status: 'queued',
      from: '+14155550100',
      to: '+14155550101',
      phoneNumber: '+14155550101',
      date: formatRfc2822(Math.floor(now / 1000)),
      seconds: null,
      cost: null,
      recordingUrls: [],
      data: {},
      ...(given as Partial<VendorRecord>),
    };
    const previous = this.store.call(projectId, record.callSid);
    this.store.insertCall(projectId, record);
    this.onManualChange?.(projectId, record.callSid);
    this.notify({ projectId, record, previousStatus: previous?.status ?? null, at: now });
    return record;
  }

  /**
   * Changes fields of a call. Without `projectId` the SID must name a call of exactly one project.
   * Throws CallChangeError (404 unknown, 409 ambiguous, 400 invalid).
   */
  update(callSid: string, changes: CallChanges, options: { projectId?: string } = {}): VendorRecord {
    const valid = parse(callChangesSchema, changes) as CallChanges;
    const projectId = options.projectId ?? this.projectOf(callSid);
    const previous = this.store.call(projectId, callSid);
    if (previous === undefined) throw new CallChangeError(404, `No call ${callSid} in project ${projectId}.`);
    const record = this.store.updateCall(projectId, callSid, valid) as VendorRecord;
    this.onManualChange?.(projectId, callSid);
    this.notify({ projectId, record, previousStatus: previous.status, at: this.clock() });
    return record;
  }

  /** Writes a change live progression made. */
  applyLive(change: LiveChange): void {
    this.store.insertCall(change.projectId, change.record);
    this.notify(change);
  }

  private projectOf(callSid: string): string {
    const projects = this.store.projectsOfCall(callSid);
    if (projects.length === 0) throw new CallChangeError(404, `No call ${callSid}.`);
    if (projects.length > 1) {
      throw new CallChangeError(409, `Call ${callSid} is in several projects (${projects.join(', ')}); name one with projectId.`);
    }
    return projects[0] as string;
  }

  private notify(change: CallChange): void {
    if (!this.webhooks || change.record.status === change.previousStatus) return;
    const url = this.store.webhook(change.projectId);
    if (url === undefined) return;
    this.webhooks.send(url, {
      event: 'call.status',
      projectId: change.projectId,
      sid: change.record.callSid,
      status: change.record.status,
      previousStatus: change.previousStatus,
      timestamp: new Date(change.at).toISOString(),
    });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CallChangeError(400, 'The call fields must be a JSON object.');
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new CallChangeError(400, `${path}${issue?.message ?? 'invalid call fields'}`);
  }
  return result.data;
}

export interface LiveOptions {
  /** New calls per minute in each live project; 0 turns live mode off. */
  callsPerMinute: number;
  /** The projects that get live calls (default: every project in the store at start). */
  projects?: string[];
  /** Epoch milliseconds now (default Date.now). */
  clock?: () => number;
  /**
   * Epoch milliseconds the arrivals start at (default: now). An earlier instant starts mid-stream: the calls that
   * would have arrived since then are written at once, backdated, in the state they would have reached.
   */
  startAt?: number;
  /** Default: Math.random, so restarts over a kept database make new SIDs. */
  random?: Random;
  timings?: Partial<LiveTimings>;
}

/** The newest calls a live project's profile is read from. */
const PROFILE_CALLS = 200;
/** The longest a timer waits before it looks at the clock again (an injected clock may jump). */
const MAX_TIMER_MS = 60_000;

/** Live mode: the schedule on a timer, each due change written through EmulatorCalls. */
export class LiveCalls {
  readonly callsPerMinute: number;
  private readonly schedule: LiveSchedule;
  private readonly calls: EmulatorCalls;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(store: CallStore, calls: EmulatorCalls, options: LiveOptions) {
    this.callsPerMinute = options.callsPerMinute;
    this.calls = calls;
    this.clock = options.clock ?? Date.now;
    const random = options.random ?? Math.random;
    const projects = (options.projects ?? store.projects()).map((projectId) => ({
      projectId,
      profile: liveProfile(store.page(projectId, {}, PROFILE_CALLS), random),
    }));
    this.schedule = new LiveSchedule({
      projects,
      callsPerMinute: options.callsPerMinute,
      random,
      startAt: Math.min(options.startAt ?? Infinity, this.clock()),
      ...(options.timings === undefined ? {} : { timings: options.timings }),
    });
    calls.onManualChange = (projectId, callSid) => this.schedule.release(projectId, callSid);
    this.arm();
  }

  /** Writes every change due by now (the timer does this on its own) and returns them. */
  runDue(): LiveChange[] {
    if (this.stopped) return [];
    const changes = this.schedule.due(this.clock());
    for (const change of changes) this.calls.applyLive(change);
    this.arm();
    return changes;
  }

  /** The calls live progression is still moving on. */
  liveCalls(): Array<{ projectId: string; record: VendorRecord }> {
    return this.schedule.liveCalls();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    const next = this.schedule.nextAt();
    if (this.stopped || next === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock()));
    this.timer = setTimeout(() => {
      try {
        this.runDue();
      } catch {
        this.stop(); // the store closed under us
      }
    }, delay);
    this.timer.unref();
  }
}
