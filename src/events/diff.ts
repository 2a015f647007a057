import { createHash } from 'node:crypto';
import type { CallEvent } from '../domain/events.js';
import type { CallRecord } from '../domain/record.js';
import type { CallStatus } from '../domain/status.js';

/** The statuses a call can still leave: the watcher reads each as a list, and looks up a call that left it. */
export const NON_FINAL_STATUSES: readonly CallStatus[] = ['QUEUED', 'INITIATED', 'RINGING', 'IN_PROGRESS'];
const NON_FINAL = new Set<CallStatus>(NON_FINAL_STATUSES);

export const isFinal = (status: CallStatus): boolean => !NON_FINAL.has(status);

/** What a watcher remembers of a call: the fields whose change is an event, and where the call sits in time. */
export interface KnownCall {
  status: CallStatus;
  durationSeconds: number | null;
  cost: number | null;
  recordingUrls: string[];
  orderMs: number;
}

/** A watcher's memory of a project, as plain data (it travels through Redis between replicas). */
export interface KnownState {
  /** When watching began (epoch ms): calls that started before it are not STARTED. */
  since: number;
  calls: Record<string, KnownCall>;
}

export const knownOf = (record: CallRecord): KnownCall => ({
  status: record.status,
  durationSeconds: record.durationSeconds,
  cost: record.cost,
  recordingUrls: [...record.recordingUrls],
  orderMs: record.orderMs,
});

const sameCall = (a: KnownCall, b: KnownCall): boolean =>
  a.status === b.status &&
  a.durationSeconds === b.durationSeconds &&
  a.cost === b.cost &&
  a.recordingUrls.length === b.recordingUrls.length &&
  a.recordingUrls.every((url, i) => url === b.recordingUrls[i]);

/** The start instants of the upstream have whole seconds: a call of the same second counts as after. */
export const startedAtOrAfter = (record: CallRecord, sinceMs: number): boolean =>
  record.startedAt === null || record.startedAt.getTime() >= Math.floor(sinceMs / 1000) * 1000;

/** An event's id: the call and a digest of the state it reached, so the same change has the same id anywhere. */
export function eventId(sid: string, call: KnownCall): string {
  const state = JSON.stringify([call.status, call.durationSeconds, call.cost, call.recordingUrls]);
  return `${sid}:${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
}

/**
 * The records of one poll, one per call. Lists are read one after the other, so a call may appear twice in
 * different states: a final status wins over a non-final one (calls only move forward), else the later read.
 */
export function mergeReads(reads: ReadonlyArray<readonly CallRecord[]>): CallRecord[] {
  const bySid = new Map<string, CallRecord>();
  for (const records of reads) {
    for (const record of records) {
      const earlier = bySid.get(record.sid);
      if (earlier && isFinal(earlier.status) && !isFinal(record.status)) continue;
      bySid.set(record.sid, record);
    }
  }
  return [...bySid.values()];
}

/**
 * The events between what was known and what was read: STARTED for a call not known before that started at or
 * after `known.since`; UPDATED for a known call whose status, duration, cost or recordings changed. A call not
 * known that started earlier is remembered silently. Events come oldest call first. Pure.
 */
export function diffCalls(
  known: KnownState,
  records: readonly CallRecord[],
  observedAt: Date,
): { events: CallEvent[]; state: KnownState } {
  const calls: Record<string, KnownCall> = { ...known.calls };
  const events: CallEvent[] = [];
  for (const record of records) {
    const now = knownOf(record);
    const before = Object.hasOwn(known.calls, record.sid) ? known.calls[record.sid] : undefined;
    calls[record.sid] = now;
    if (before === undefined) {
      if (startedAtOrAfter(record, known.since)) {
        events.push({ id: eventId(record.sid, now), kind: 'STARTED', call: record, previousStatus: null, observedAt });
      }
    } else if (!sameCall(before, now)) {
      events.push({ id: eventId(record.sid, now), kind: 'UPDATED', call: record, previousStatus: before.status, observedAt });
    }
  }
  events.sort((a, b) => a.call.orderMs - b.call.orderMs || (a.call.sid < b.call.sid ? -1 : a.call.sid > b.call.sid ? 1 : 0));
  return { events, state: { since: known.since, calls } };
}

/**
 * What stays known after a poll: every call read in it, and calls still in a non-final status (they are looked
 * up until they end); at most `maxCalls`, newest first. A forgotten call that reappears is not STARTED again
 * unless it started after `since`, which a call read before cannot have done unnoticed.
 */
export function pruneKnown(state: KnownState, readSids: ReadonlySet<string>, maxCalls: number): KnownState {
  const kept = Object.entries(state.calls).filter(([sid, call]) => readSids.has(sid) || !isFinal(call.status));
  kept.sort(([, a], [, b]) => b.orderMs - a.orderMs);
  return { since: state.since, calls: Object.fromEntries(kept.slice(0, maxCalls)) };
}

/** Known calls in a non-final status that no list of this poll showed: each needs a lookup by SID. */
export function callsToLookUp(state: KnownState, readSids: ReadonlySet<string>, max: number): string[] {
  const missing = Object.entries(state.calls)
    .filter(([sid, call]) => !isFinal(call.status) && !readSids.has(sid))
    .sort(([, a], [, b]) => b.orderMs - a.orderMs)
    .map(([sid]) => sid);
  return missing.slice(0, max);
}
