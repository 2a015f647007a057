import { badInput } from '../domain/errors.js';
import { LAST_NAMEABLE_DAY, dayBoundAfter, dayOfDate, dayOfInstant, formatEpochDay } from './days.js';
import type { DayRange, HistoryQuery, InstantRange, ListIdentity } from './query.js';
import { type CallStatus, isUpstreamFilterable, toWireStatus } from '../domain/status.js';

export const MAX_FIRST = 1000;
const MAX_STRING_LENGTH = 256;
// C0 and C1 control characters, DEL included: never meaningful in an id or a phone number.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** The arguments as GraphQL hands them over (scalars already parsed). */
type Maybe<T> = T | null | undefined;

export interface CallHistoryArgs {
  projectId: string;
  first?: Maybe<number>;
  filter?: Maybe<{
    to?: Maybe<string>;
    from?: Maybe<string>;
    status?: Maybe<CallStatus>;
    started?: Maybe<DayRangeArg>;
    ended?: Maybe<DayRangeArg>;
    startedAt?: Maybe<InstantRangeArg>;
  }>;
}
interface DayRangeArg {
  on?: Maybe<Date>;
  onOrAfter?: Maybe<Date>;
  before?: Maybe<Date>;
}
interface InstantRangeArg {
  onOrAfter?: Maybe<Date>;
  before?: Maybe<Date>;
}

/** Validates the arguments; every rejection is BAD_USER_INPUT and happens before any upstream call. */
export function parseCallHistoryArgs(args: CallHistoryArgs): HistoryQuery {
  const first = args.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST) {
    throw badInput(`first must be between 1 and ${MAX_FIRST}.`, { argument: 'first' });
  }
  const query: HistoryQuery = {
    projectId: checkedString(args.projectId, 'projectId'),
    started: {},
    ended: {},
    startedAt: {},
    first,
  };
  const filter = args.filter;
  if (!filter) return query;
  if (filter.to != null) query.to = checkedString(filter.to, 'filter.to');
  if (filter.from != null) query.from = checkedString(filter.from, 'filter.from');
  if (filter.status != null) {
    if (filter.status === 'UNKNOWN') {
      throw badInput('filter.status cannot be UNKNOWN: it only describes records whose status is not recognised.', {
        argument: 'filter.status',
      });
    }
    query.status = filter.status;
  }
  if (filter.started) query.started = dayRange(filter.started, 'filter.started');
  if (filter.ended) query.ended = dayRange(filter.ended, 'filter.ended');
  if (filter.startedAt) query.startedAt = instantRange(filter.startedAt, 'filter.startedAt');
  return query;
}

/** A non-empty string argument of bounded length without control characters, or BAD_USER_INPUT. */
export function checkedString(value: string, argument: string, maxLength = MAX_STRING_LENGTH): string {
  if (value.trim() === '') throw badInput(`${argument} must not be empty.`, { argument });
  if (value.length > maxLength) {
    throw badInput(`${argument} must be at most ${maxLength} characters.`, { argument });
  }
  if (CONTROL_CHARACTERS.test(value)) throw badInput(`${argument} must not contain control characters.`, { argument });
  return value;
}

function dayRange(range: DayRangeArg, argument: string): DayRange {
  const out: DayRange = {};
  if (range.on) out.on = dayOfDate(range.on);
  if (range.onOrAfter) out.onOrAfter = dayOfDate(range.onOrAfter);
  if (range.before) out.before = dayOfDate(range.before);
  if (out.onOrAfter !== undefined && out.before !== undefined && out.before <= out.onOrAfter) {
    throw badInput(`${argument}.before must be after ${argument}.onOrAfter (before is exclusive).`, { argument });
  }
  return out;
}

function instantRange(range: InstantRangeArg, argument: string): InstantRange {
  const out: InstantRange = {};
  if (range.onOrAfter) out.onOrAfter = range.onOrAfter.getTime();
  if (range.before) out.before = range.before.getTime();
  if (out.onOrAfter !== undefined && out.before !== undefined && out.before <= out.onOrAfter) {
    throw badInput(`${argument}.before must be after ${argument}.onOrAfter (before is exclusive).`, { argument });
  }
  return out;
}

/** Query-string order is fixed so that equal needs produce equal keys. */
const FILTER_ORDER = [
  'to',
  'from',
  'status',
  'startTime',
  'startTimeAfter',
  'startTimeBefore',
  'endTime',
  'endTimeAfter',
  'endTimeBefore',
] as const;
type FilterName = (typeof FILTER_ORDER)[number];

/**
 * The upstream query-string filters for a list, optionally narrowed to calls that started before
 * `startedBeforeDay` (the keyset step of pagination). Exact instants are widened to the whole days that
 * contain them and intersected with the day filters. Returns null when the window is empty, so the
 * upstream need not be asked.
 */
export function upstreamFilters(
  list: ListIdentity,
  startedBeforeDay?: number,
): Array<readonly [FilterName, string]> | null {
  const startAfter = maxDefined(list.started.onOrAfter, optional(list.startedAt.onOrAfter, dayOfInstant));
  const startBefore = minDefined(
    list.started.before,
    optional(list.startedAt.before, dayBoundAfter),
    startedBeforeDay,
  );
  const on = list.started.on;
  if (startAfter !== undefined && startBefore !== undefined && startBefore <= startAfter) return null;
  if (on !== undefined && ((startAfter !== undefined && on < startAfter) || (startBefore !== undefined && on >= startBefore))) {
    return null;
  }
  const { ended } = list;
  if (ended.onOrAfter !== undefined && ended.before !== undefined && ended.before <= ended.onOrAfter) return null;

  const values: Record<FilterName, string | undefined> = {
    to: list.to,
    from: list.from,
    status: list.status && isUpstreamFilterable(list.status) ? toWireStatus(list.status) : undefined,
    startTime: optional(on, formatEpochDay),
    startTimeAfter: optional(startAfter, formatEpochDay),
    // "Before 10000-01-01" (an instant late on 9999-12-31, or a cursor on that day) excludes nothing a date can
    // name, and cannot be written as YYYY-MM-DD: it is no bound at all.
    startTimeBefore: startBefore !== undefined && startBefore <= LAST_NAMEABLE_DAY ? formatEpochDay(startBefore) : undefined,
    endTime: optional(ended.on, formatEpochDay),
    endTimeAfter: optional(ended.onOrAfter, formatEpochDay),
    endTimeBefore: optional(ended.before, formatEpochDay),
  };
  const filters: Array<readonly [FilterName, string]> = [];
  for (const name of FILTER_ORDER) {
    const value = values[name];
    if (value !== undefined) filters.push([name, value]);
  }
  return filters;
}

/** True when the layer must check each record itself: exact instants, or a status the upstream cannot filter. */
export function needsRecordFilter(list: ListIdentity): boolean {
  return (
    list.startedAt.onOrAfter !== undefined ||
    list.startedAt.before !== undefined ||
    (list.status !== undefined && !isUpstreamFilterable(list.status))
  );
}

const optional = <T, R>(value: T | undefined, map: (value: T) => R): R | undefined =>
  value === undefined ? undefined : map(value);

function maxDefined(...values: Array<number | undefined>): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v > out)) out = v;
  return out;
}

function minDefined(...values: Array<number | undefined>): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v < out)) out = v;
  return out;
}
