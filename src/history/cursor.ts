import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { badInput } from '../domain/errors.js';
import { LATEST_INSTANT_MS, isNameableInstant } from '../domain/record.js';
import type { ListIdentity } from './query.js';

/**
 * Where a walk stands: the last call returned (its start instant and SID) and how many calls of that call's
 * UTC start day the upstream lists up to and including it. The count lets the next page ask for exactly the
 * rows it needs; the instant and SID find the position again even when newer calls have arrived.
 */
export interface Position {
  orderMs: number;
  sid: string;
  dayRank: number;
}

/** The key cursors are signed with (HMAC-SHA-256). */
export type CursorKey = KeyObject;

/**
 * The key from CURSOR_SECRET, shared by replicas so that a cursor from one is taken by another; without it, a
 * random key of this process, so cursors do not survive a restart and do not cross replicas.
 */
export function cursorKey(secret: string | undefined): CursorKey {
  return createSecretKey(secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8'));
}

const VERSION = 2;
/** 128 bits of HMAC-SHA-256: enough that a cursor cannot be forged by guessing. */
const SIGNATURE_BYTES = 16;
/** Far longer than any cursor this API issues (about 140 characters); longer ones are not even verified. */
const MAX_CURSOR_LENGTH = 1_024;

/** An instant a cursor may hold: one the upstream's day filters can name, or "before the first record dated". */
const isPositionInstant = (ms: number): boolean =>
  Number.isInteger(ms) && (isNameableInstant(ms) || ms === LATEST_INSTANT_MS);

/** A short digest of the list a cursor belongs to, so a cursor cannot be replayed against other arguments. */
export function listFingerprint(list: ListIdentity): string {
  const canonical = JSON.stringify([
    list.projectId,
    list.to ?? null,
    list.from ?? null,
    list.status ?? null,
    [list.started.on ?? null, list.started.onOrAfter ?? null, list.started.before ?? null],
    [list.ended.on ?? null, list.ended.onOrAfter ?? null, list.ended.before ?? null],
    [list.startedAt.onOrAfter ?? null, list.startedAt.before ?? null],
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** The signature as written in the cursor: it is compared as text, since base64url decoding ignores stray bits. */
const sign = (key: CursorKey, payload: string): Buffer =>
  Buffer.from(createHmac('sha256', key).update(payload).digest().subarray(0, SIGNATURE_BYTES).toString('base64url'));

/** `payload.signature`, both base64url: the position and its list's fingerprint, signed with the key. */
export function encodeCursor(key: CursorKey, fingerprint: string, position: Position): string {
  const payload = Buffer.from(
    JSON.stringify([VERSION, fingerprint, position.orderMs, position.sid, position.dayRank]),
  ).toString('base64url');
  return `${payload}.${sign(key, payload).toString()}`;
}

const INVALID = 'after is not a cursor this API issued.';
const UNSIGNED =
  'after is not a cursor this server signed: it was altered, or signed with another key (cursors are signed ' +
  'with CURSOR_SECRET; without it each server process has its own key, so cursors do not survive a restart or ' +
  'cross replicas). Start again without after.';

export function decodeCursor(key: CursorKey, cursor: string, fingerprint: string, maxDayRank: number): Position {
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw badInput(`after is longer than ${MAX_CURSOR_LENGTH} characters: not a cursor this API issued.`, { argument: 'after' });
  }
  const dot = cursor.lastIndexOf('.');
  if (dot === -1) throw badInput(INVALID, { argument: 'after' });
  const payload = cursor.slice(0, dot);
  const signature = Buffer.from(cursor.slice(dot + 1));
  const expected = sign(key, payload);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw badInput(UNSIGNED, { argument: 'after' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw badInput(INVALID, { argument: 'after' });
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== VERSION) {
    throw badInput(INVALID, { argument: 'after' });
  }
  const [, boundTo, orderMs, sid, dayRank] = parsed as unknown[];
  if (
    typeof boundTo !== 'string' ||
    typeof orderMs !== 'number' ||
    !isPositionInstant(orderMs) ||
    typeof sid !== 'string' ||
    sid.length === 0 ||
    sid.length > 256 ||
    typeof dayRank !== 'number' ||
    !Number.isInteger(dayRank) ||
    dayRank < 1 ||
    dayRank > maxDayRank
  ) {
    throw badInput(INVALID, { argument: 'after' });
  }
  if (boundTo !== fingerprint) {
    throw badInput('after belongs to a different projectId or filter; start again without it.', { argument: 'after' });
  }
  return { orderMs, sid, dayRank };
}
