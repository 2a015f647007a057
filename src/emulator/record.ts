/**
 * The vendor's call record as it travels on the wire (`POST /call/get-call-history`); unknown extra fields may
 * appear. The API's normalised record is `CallRecord` in `src/domain/`.
 */
export interface VendorRecord {
  callSid: string;
  status: string;
  from: string;
  to: string;
  phoneNumber: string;
  /** RFC 2822 in UTC, the start instant: `Tue, 30 Jan 2024 13:39:53 +0000`. */
  date: string;
  seconds: number | null;
  cost: number | null;
  recordingUrls: string[];
  partnerId?: string;
  shiftId?: string;
  assignmentId?: string;
  data: Record<string, string>;
  [extraField: string]: unknown;
}

export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;

export function isCallSid(value: unknown): value is string {
  return typeof value === 'string' && CALL_SID_PATTERN.test(value);
}

/** Formats epoch seconds the way the vendor does: `Tue, 30 Jan 2024 13:39:53 +0000`. */
export function formatRfc2822(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toUTCString().replace(/GMT$/, '+0000');
}

const RFC_2822_PATTERN =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}|GMT|UT|Z)$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const CANONICAL_PATTERN = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

/** Parses an RFC 2822 date-time (any offset) to epoch seconds; undefined when malformed or impossible. */
export function parseRfc2822(value: string): number | undefined {
  // Fast path for the form formatRfc2822 writes; a bulk load parses a million of these.
  if (value.length === 31 && CANONICAL_PATTERN.test(value)) {
    const millis = Date.parse(value);
    if (!Number.isNaN(millis) && formatRfc2822(millis / 1000) === value) return millis / 1000;
  }
  const match = RFC_2822_PATTERN.exec(value);
  if (!match) return undefined;
  const [, day, monthName, year, hour, minute, second, zone] = match;
  const month = MONTHS.indexOf(monthName ?? '');
  const fields = [year, day, hour, minute, second].map(Number) as [number, number, number, number, number];
  const [y, d, h, mi, s] = fields;
  if (h > 23 || mi > 59 || s > 60) return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(y, month, d);
  if (utc.getUTCMonth() !== month || utc.getUTCDate() !== d) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && /^[+-]\d{4}$/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  }
  return Math.floor(utc.getTime() / 1000) + h * 3600 + mi * 60 + s - offsetMinutes * 60;
}
