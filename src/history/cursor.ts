import { createHash } from 'node:crypto';
import { badInput } from '../domain/errors.js';
import { LATEST_INSTANT_MS } from '../domain/record.js';
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

const VERSION = 1;
/** 9999-12-31T23:59:59.999Z: the last instant a `YYYY-MM-DD` day filter can name. */
const LAST_NAMEABLE_MS = 253_402_300_799_999;

/** An instant a cursor may hold: one the upstream's day filters can name, or "before the first record dated". */
const isPositionInstant = (ms: number): boolean =>
  Number.isInteger(ms) && ((ms >= 0 && ms <= LAST_NAMEABLE_MS) || ms === LATEST_INSTANT_MS);

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

export function encodeCursor(fingerprint: string, position: Position): string {
  return Buffer.from(JSON.stringify([VERSION, fingerprint, position.orderMs, position.sid, position.dayRank])).toString(
    'base64url',
  );
}

const INVALID = 'after is not a cursor this API issued.';

export function decodeCursor(cursor: string, fingerprint: string, maxDayRank: number): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
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
