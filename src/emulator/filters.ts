/** The query-string filters of `POST /call/get-call-history`, parsed and turned into bounds. */

export const FILTER_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
] as const;
export type FilterStatus = (typeof FILTER_STATUSES)[number];

export const DATE_FILTER_NAMES = [
  'startTime',
  'startTimeAfter',
  'startTimeBefore',
  'endTime',
  'endTimeAfter',
  'endTimeBefore',
] as const;
export type DateFilterName = (typeof DATE_FILTER_NAMES)[number];

export const FILTER_NAMES = ['to', 'from', 'status', ...DATE_FILTER_NAMES] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** Dates are whole UTC days written `YYYY-MM-DD`. */
export interface CallFilters {
  to?: string;
  from?: string;
  status?: FilterStatus;
  startTime?: string;
  startTimeAfter?: string;
  startTimeBefore?: string;
  endTime?: string;
  endTimeAfter?: string;
  endTimeBefore?: string;
}

/** Half-open instant ranges in epoch seconds: `from` inclusive, `before` exclusive. */
export interface FilterBounds {
  to?: string;
  from?: string;
  status?: string;
  startFrom?: number;
  startBefore?: number;
  endFrom?: number;
  endBefore?: number;
}

const SECONDS_PER_DAY = 86_400;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isFilterStatus(value: string): value is FilterStatus {
  return (FILTER_STATUSES as readonly string[]).includes(value);
}

/** Epoch seconds of `YYYY-MM-DD` 00:00Z, or undefined when the text is not a real calendar day. */
export function parseDay(value: string): number | undefined {
  const match = DAY_PATTERN.exec(value);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date.getTime() / 1000;
}

export function formatDay(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

export type ParsedFilters = { ok: true; filters: CallFilters } | { ok: false; message: string };

/** Reads the nine filters from a query string. Unknown parameters are ignored; repeated ones are rejected. */
export function parseFilterQuery(params: URLSearchParams): ParsedFilters {
  const filters: CallFilters = {};
  for (const name of FILTER_NAMES) {
    const values = params.getAll(name);
    if (values.length === 0) continue;
    if (values.length > 1) return { ok: false, message: `Query parameter ${name} may be given only once.` };
    const value = values[0] ?? '';
    if (value === '') return { ok: false, message: `Query parameter ${name} must not be empty.` };
    if (name === 'status') {
      if (!isFilterStatus(value)) {
        return { ok: false, message: `Query parameter status must be one of: ${FILTER_STATUSES.join(', ')}.` };
      }
      filters.status = value;
    } else if (name === 'to' || name === 'from') {
      filters[name] = value;
    } else {
      if (parseDay(value) === undefined) {
        return { ok: false, message: `Query parameter ${name} must be a date written YYYY-MM-DD (UTC).` };
      }
      filters[name] = value;
    }
  }
  return { ok: true, filters };
}

function dayOrThrow(name: DateFilterName, value: string): number {
  const day = parseDay(value);
  if (day === undefined) throw new RangeError(`${name} must be a date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return day;
}

/** Intersects the day filters into one start range and one end range. */
export function filterBounds(filters: CallFilters): FilterBounds {
  const bounds: FilterBounds = {};
  if (filters.to !== undefined) bounds.to = filters.to;
  if (filters.from !== undefined) bounds.from = filters.from;
  if (filters.status !== undefined) bounds.status = filters.status;

  const raise = (current: number | undefined, next: number) => (current === undefined ? next : Math.max(current, next));
  const lower = (current: number | undefined, next: number) => (current === undefined ? next : Math.min(current, next));

  if (filters.startTime !== undefined) {
    const day = dayOrThrow('startTime', filters.startTime);
    bounds.startFrom = raise(bounds.startFrom, day);
    bounds.startBefore = lower(bounds.startBefore, day + SECONDS_PER_DAY);
  }
  if (filters.startTimeAfter !== undefined) {
    bounds.startFrom = raise(bounds.startFrom, dayOrThrow('startTimeAfter', filters.startTimeAfter));
  }
  if (filters.startTimeBefore !== undefined) {
    bounds.startBefore = lower(bounds.startBefore, dayOrThrow('startTimeBefore', filters.startTimeBefore));
  }
  if (filters.endTime !== undefined) {
    const day = dayOrThrow('endTime', filters.endTime);
    bounds.endFrom = raise(bounds.endFrom, day);
    bounds.endBefore = lower(bounds.endBefore, day + SECONDS_PER_DAY);
  }
  if (filters.endTimeAfter !== undefined) {
    bounds.endFrom = raise(bounds.endFrom, dayOrThrow('endTimeAfter', filters.endTimeAfter));
  }
  if (filters.endTimeBefore !== undefined) {
    bounds.endBefore = lower(bounds.endBefore, dayOrThrow('endTimeBefore', filters.endTimeBefore));
  }
  return bounds;
}
