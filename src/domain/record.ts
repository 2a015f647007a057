import type { CallStatus } from './status.js';

/** A call record after normalisation: what the `Call` type resolves from. */
export interface CallRecord {
  /** The project the call was read under: the request's `projectId` (the upstream's records do not carry it). */
  projectId: string;
  sid: string;
  status: CallStatus;
  rawStatus: string;
  from: string | null;
  to: string | null;
  phoneNumber: string | null;
  startedAt: Date | null;
  durationSeconds: number | null;
  endedAt: Date | null;
  cost: number | null;
  recordingUrls: string[];
  data: Record<string, unknown> | null;
  raw: Record<string, unknown>;
  /**
   * The start instant used to order and position this record (epoch ms). Equals `startedAt` when the date
   * parsed; otherwise the previous record's, since the upstream's order is the only thing known of it.
   */
  orderMs: number;
}

/** The largest instant a JS Date can hold. */
export const LATEST_INSTANT_MS = 8.64e15;

/** The largest value GraphQL's `Int` (a signed 32-bit integer) can carry. */
export const MAX_INT = 2_147_483_647;

/**
 * The instants that RFC 3339 (`DateTime`) and `YYYY-MM-DD` (`Date`, the upstream's day filters) can write:
 * years 0000 to 9999. A JS Date reaches further (±275760), but a date beyond these cannot be printed or sent.
 */
export const FIRST_NAMEABLE_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
export const LAST_NAMEABLE_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export const isNameableInstant = (ms: number): boolean => ms >= FIRST_NAMEABLE_MS && ms <= LAST_NAMEABLE_MS;
