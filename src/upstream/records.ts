import { type CallRecord, LATEST_INSTANT_MS, MAX_INT, isNameableInstant } from '../domain/record.js';
import { fromWireStatus } from '../domain/status.js';
import { UpstreamFailure } from './errors.js';

export type RecordWarning = { sid: string; field: 'date' | 'recordingUrls' | 'seconds' | 'cost'; value: unknown };

/**
 * Accepts the envelopes the upstream has been seen to use: `{data: [...]}`, a bare array, `{calls: [...]}`.
 * Anything else is not a call list. The upstream lists at most the `pageSize` asked: a longer list is not an
 * answer to the request, and is refused before any of it is normalised.
 */
export function recordsFromBody(body: unknown, pageSize: number): unknown[] {
  const list = callList(body);
  if (list.length > pageSize) {
    throw new UpstreamFailure({
      kind: 'bad-response',
      reason: `it lists ${list.length} records for a pageSize of ${pageSize}`,
    });
  }
  return list;
}

function callList(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === 'object') {
    const envelope = body as { data?: unknown; calls?: unknown };
    if (Array.isArray(envelope.data)) return envelope.data;
    if (Array.isArray(envelope.calls)) return envelope.calls;
  }
  throw new UpstreamFailure({ kind: 'bad-response', reason: 'the body holds no call list' });
}

/**
 * The record of a `POST /call` answer: the bare record, or `{data: record}` (the vendor's envelope). A body
 * with neither, or a record for another SID than the one asked for, is not this call.
 */
export function recordFromCallBody(body: unknown, sid: string): unknown {
  if (!isPlainObject(body)) throw new UpstreamFailure({ kind: 'bad-response', reason: 'the body is not a call record' });
  // A record has a `data` object of its own: a body with a callSid is the bare record.
  const record = typeof body.callSid === 'string' ? body : body.data;
  if (!isPlainObject(record) || typeof record.callSid !== 'string') {
    throw new UpstreamFailure({ kind: 'bad-response', reason: 'no call record in the body' });
  }
  if (record.callSid !== sid) throw new UpstreamFailure({ kind: 'bad-response', reason: 'the record is of another call' });
  return record;
}

/**
 * Normalises one response's records, in upstream order, for the project they were read under. A record
 * without a call SID makes the page unusable (nothing could identify or position it); a bad date, duration,
 * cost or URL only nulls or drops that value and is reported through `warn`. Every value kept can be served:
 * a start between years 0000 and 9999 (what RFC 3339 can write), a duration from 0 to GraphQL's Int maximum,
 * a finite cost, http(s) recording URLs, and an end that is never before the start.
 */
export function normaliseRecords(items: unknown[], projectId: string, warn: (w: RecordWarning) => void): CallRecord[] {
  const out: CallRecord[] = new Array(items.length);
  // A first record without a date sorts as "newest possible": it stays first, and no day bound is derived from it.
  let previousOrderMs = LATEST_INSTANT_MS;
  for (let i = 0; i < items.length; i++) {
    const record = normaliseRecord(items[i], projectId, previousOrderMs, warn);
    previousOrderMs = record.orderMs;
    out[i] = record;
  }
  return out;
}

function normaliseRecord(
  item: unknown,
  projectId: string,
  previousOrderMs: number,
  warn: (w: RecordWarning) => void,
): CallRecord {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new UpstreamFailure({ kind: 'bad-response', reason: 'a record is not an object' });
  }
  const raw = item as Record<string, unknown>;
  const sid = raw.callSid;
  if (typeof sid !== 'string' || sid === '') {
    throw new UpstreamFailure({ kind: 'bad-response', reason: 'a record has no callSid' });
  }

  const parsedMs = typeof raw.date === 'string' ? Date.parse(raw.date) : Number.NaN;
  const startMs = isNameableInstant(parsedMs) ? parsedMs : Number.NaN;
  const startedAt = Number.isNaN(startMs) ? null : new Date(startMs);
  if (!startedAt && raw.date != null) warn({ sid, field: 'date', value: raw.date });

  const durationSeconds = duration(raw.seconds, sid, warn);
  const cost = finiteNumber(raw.cost, sid, 'cost', warn);
  // A duration is never negative, so the end is never before the start; an end past 9999 is not shown.
  const endMs = startedAt && durationSeconds !== null ? startMs + durationSeconds * 1000 : Number.NaN;
  const endedAt = isNameableInstant(endMs) ? new Date(endMs) : null;

  return {
    projectId,
    sid,
    status: fromWireStatus(raw.status),
    rawStatus: typeof raw.status === 'string' ? raw.status : '',
    from: stringOrNull(raw.from),
    to: stringOrNull(raw.to),
    phoneNumber: stringOrNull(raw.phoneNumber),
    startedAt,
    durationSeconds,
    endedAt,
    cost,
    recordingUrls: urls(raw.recordingUrls, sid, warn),
    data: isPlainObject(raw.data) ? raw.data : null,
    raw,
    orderMs: startedAt ? startMs : previousOrderMs,
  };
}

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function finiteNumber(
  value: unknown,
  sid: string,
  field: 'seconds' | 'cost',
  warn: (w: RecordWarning) => void,
): number | null {
  if (value == null) return null;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n)) return n;
  warn({ sid, field, value });
  return null;
}

/** Whole seconds from 0 to GraphQL's Int maximum; a negative or larger duration is not one, and is null. */
function duration(value: unknown, sid: string, warn: (w: RecordWarning) => void): number | null {
  const n = finiteNumber(value, sid, 'seconds', warn);
  if (n === null) return null;
  const seconds = Math.round(n);
  if (seconds >= 0 && seconds <= MAX_INT) return seconds;
  warn({ sid, field: 'seconds', value });
  return null;
}

/** Only web addresses are recordings: `javascript:`, `data:`, `file:` and the like are dropped. */
const WEB_URL = /^https?:\/\//i;

function urls(value: unknown, sid: string, warn: (w: RecordWarning) => void): string[] {
  if (value == null) return [];
  if (!Array.isArray(value)) {
    warn({ sid, field: 'recordingUrls', value });
    return [];
  }
  const out: string[] = [];
  for (const entry of value) {
    if (typeof entry === 'string' && WEB_URL.test(entry) && URL.canParse(entry)) out.push(entry);
    else warn({ sid, field: 'recordingUrls', value: entry });
  }
  return out;
}
