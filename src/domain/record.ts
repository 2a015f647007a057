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
