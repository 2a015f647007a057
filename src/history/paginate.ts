import { AppError, ErrorCode } from '../domain/errors.js';
import { LATEST_INSTANT_MS, type CallRecord } from '../domain/record.js';
import type { FetchRecords } from '../domain/request.js';
import type { Position } from './cursor.js';
import { dayOfInstant, formatEpochDay } from './days.js';
import type { HistoryQuery } from './query.js';
import { isUpstreamFilterable } from '../domain/status.js';
import { needsRecordFilter, upstreamFilters } from './translate.js';

/** A call of a page, and its rank among the calls of its start day in the response that listed it. */
export class PageEdge {
  constructor(
    readonly record: CallRecord,
    private readonly dayRank: number,
  ) {}

  /** Where a walk resumes after this call: made only for a cursor (most clients read none). */
  get position(): Position {
    return { orderMs: this.record.orderMs, sid: this.record.sid, dayRank: this.dayRank };
  }
}

export interface HistoryPage {
  edges: PageEdge[];
  /** Null when the caller did not ask for it (`needHasNextPage` false): it was not worked out. */
  hasNextPage: boolean | null;
  upstreamRequests: number;
}

/**
 * Fetches one page of `query.first` calls after `after` (or from the top), over an upstream that only
 * returns the newest `pageSize` matching calls and filters by whole UTC days.
 *
 * Keyset by day: a page after a position asks for calls that started before the end of the position's day
 * (`startTimeBefore = day + 1`) with `pageSize = dayRank + still needed`, then skips the rows up to the
 * position. One request per page in the steady state; a second one when newer calls pushed the position
 * deeper, or when the layer filters records itself (exact instants, statuses the upstream cannot filter) and
 * needs more rows. The position is found again by (start instant, SID), so arrivals never duplicate or shift
 * what a walk returns.
 *
 * `needHasNextPage` false (the client did not select `hasNextPage`): the walk fetches only `query.first` rows,
 * not one more, so that a page of the upstream's largest size costs one request instead of two.
 */
export async function fetchHistoryPage(
  query: HistoryQuery,
  after: Position | null,
  maxPageSize: number,
  fetchRecords: FetchRecords,
  needHasNextPage = true,
): Promise<HistoryPage> {
  // One more than asked tells whether there is a next page.
  const want = needHasNextPage ? query.first + 1 : query.first;
  const accepts = recordFilter(query);
  const edges: PageEdge[] = [];
  let position = after;
  let requests = 0;
  let growth = 1;

  for (;;) {
    const boundDay = position && position.orderMs < LATEST_INSTANT_MS ? dayOfInstant(position.orderMs) + 1 : undefined;
    const filters = upstreamFilters(query, boundDay);
    if (!filters) break; // the window is empty: nothing to ask

    // Every further round of one page asks for twice as much more: a page that must look past many rows (newer
    // calls on the cursor's day, records the layer filters out) costs a few requests, never one per row.
    const ask = (want - edges.length) * growth;
    const pageSize = Math.min(maxPageSize, (position?.dayRank ?? 0) + ask);
    const rows = await fetchRecords({ projectId: query.projectId, pageSize, filters });
    requests++;
    const exhausted = rows.length < pageSize;

    const start = position ? indexAfter(rows, position) : 0;
    if (start >= rows.length) {
      if (exhausted) break;
      // Every row returned is at or before the position: newer calls arrived on its day, or the position lies
      // deeper in its day than one request can reach.
      if (pageSize >= maxPageSize) throw unreachable(position!, maxPageSize);
      position = { ...position!, dayRank: rows.length };
      growth *= 2;
      continue;
    }

    const ranks = dayRanks(rows);
    let last = start;
    for (let i = start; i < rows.length && edges.length < want; i++) {
      last = i;
      const record = rows[i]!;
      if (accepts && !accepts(record)) continue;
      edges.push(new PageEdge(record, ranks[i]!));
    }
    if (edges.length >= want || exhausted) break;

    const lastRow = rows[last]!;
    if (query.startedAt.onOrAfter !== undefined && lastRow.orderMs < query.startedAt.onOrAfter) break;
    position = { orderMs: lastRow.orderMs, sid: lastRow.sid, dayRank: ranks[last]! };
    if (position.dayRank >= maxPageSize) {
      // The next row lies past what one request can list for this day.
      if (edges.length > 0) return { edges, hasNextPage: needHasNextPage ? true : null, upstreamRequests: requests };
      throw unreachable(position, maxPageSize);
    }
    growth *= 2;
  }

  if (!needHasNextPage) return { edges, hasNextPage: null, upstreamRequests: requests };
  const hasNextPage = edges.length > query.first;
  if (hasNextPage) edges.length = query.first;
  return { edges, hasNextPage, upstreamRequests: requests };
}

/** The index of the first row strictly after `position` in upstream order (start descending, SID descending). */
function indexAfter(rows: CallRecord[], position: Position): number {
  let i = 0;
  while (i < rows.length && rows[i]!.orderMs > position.orderMs) i++;
  // Among rows that started in the same second, prefer finding the position's own SID: the upstream's tie order
  // is then taken as it is. If that call is gone, fall back to SID-descending order.
  let j = i;
  while (j < rows.length && rows[j]!.orderMs === position.orderMs) {
    if (rows[j]!.sid === position.sid) return j + 1;
    j++;
  }
  while (i < j && rows[i]!.sid >= position.sid) i++;
  return i;
}

/** For each row, its 1-based rank among the rows of its UTC start day (a response starts at the top of a day). */
function dayRanks(rows: CallRecord[]): number[] {
  const ranks: number[] = new Array(rows.length);
  let day = Number.NaN;
  let rank = 0;
  for (let i = 0; i < rows.length; i++) {
    const d = dayOfInstant(rows[i]!.orderMs);
    rank = d === day ? rank + 1 : 1;
    day = d;
    ranks[i] = rank;
  }
  return ranks;
}

function recordFilter(query: HistoryQuery): ((record: CallRecord) => boolean) | null {
  if (!needsRecordFilter(query)) return null;
  const { onOrAfter, before } = query.startedAt;
  const status = query.status !== undefined && !isUpstreamFilterable(query.status) ? query.status : undefined;
  return (record) => {
    if (status !== undefined && record.status !== status) return false;
    if (onOrAfter === undefined && before === undefined) return true;
    const at = record.startedAt?.getTime();
    if (at === undefined) return false;
    return (onOrAfter === undefined || at >= onOrAfter) && (before === undefined || at < before);
  };
}

function unreachable(position: Position, maxPageSize: number): AppError {
  const day = formatEpochDay(dayOfInstant(position.orderMs));
  return new AppError(
    ErrorCode.PAGINATION_LIMIT,
    `More than ${maxPageSize} calls matching this filter started on ${day}. The upstream lists at most ` +
      `${maxPageSize} calls per request and cannot split a day, so later calls of that day cannot be reached. ` +
      'Narrow the filter (status, to, from or ended) to reach them.',
    { day, limit: maxPageSize },
  );
}
