import type { CallEvent, EventSelector } from '../domain/events.js';
import type { CallRecord } from '../domain/record.js';
import { dayOfInstant } from '../history/days.js';
import type { DayRange, ListIdentity } from '../history/query.js';
import { startedAtOrAfter } from './diff.js';

/** The subscription's filter: `callHistory`'s filter without the project. */
export type EventFilter = Omit<ListIdentity, 'projectId'>;

/** Calls a subscriber remembers (reported, or left its filter); the oldest are forgotten past this. */
export const MAX_REMEMBERED_CALLS = 10_000;

function inDays(range: DayRange, at: Date | null): boolean {
  if (range.on === undefined && range.onOrAfter === undefined && range.before === undefined) return true;
  if (at === null) return false;
  const day = dayOfInstant(at.getTime());
  return (
    (range.on === undefined || day === range.on) &&
    (range.onOrAfter === undefined || day >= range.onOrAfter) &&
    (range.before === undefined || day < range.before)
  );
}

/** Whether a call is in the filter, as `callHistory` decides it: every given condition holds. Pure. */
export function matchesFilter(filter: EventFilter, record: CallRecord): boolean {
  if (filter.status !== undefined && record.status !== filter.status) return false;
  if (filter.to !== undefined && record.to !== filter.to) return false;
  if (filter.from !== undefined && record.from !== filter.from) return false;
  if (!inDays(filter.started, record.startedAt) || !inDays(filter.ended, record.endedAt)) return false;
  const { onOrAfter, before } = filter.startedAt;
  if (onOrAfter === undefined && before === undefined) return true;
  const at = record.startedAt?.getTime();
  if (at === undefined) return false;
  return (onOrAfter === undefined || at >= onOrAfter) && (before === undefined || at < before);
}

/** A set that forgets its oldest members past `max`. */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has = (item: string) => this.items.has(item);
  add(item: string) {
    this.items.delete(item);
    this.items.add(item);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
  }
}

/**
 * One subscriber's choice of events: STARTED only for calls that started after it subscribed; events of calls
 * in its filter; a call it was told of that then leaves the filter is not reported again (neither the change
 * that took it out nor any later one).
 */
export function eventSelector(filter: EventFilter, subscribedAt: number, maxRemembered = MAX_REMEMBERED_CALLS): EventSelector {
  const reported = new BoundedSet(maxRemembered);
  const left = new BoundedSet(maxRemembered);
  return (event: CallEvent) => {
    const sid = event.call.sid;
    if (left.has(sid)) return false;
    if (event.kind === 'STARTED' && !startedAtOrAfter(event.call, subscribedAt)) return false;
    if (matchesFilter(filter, event.call)) {
      reported.add(sid);
      return true;
    }
    if (reported.has(sid)) left.add(sid);
    return false;
  };
}
