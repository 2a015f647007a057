import type { LiveCalls } from '../domain/events.js';
import { missingCredential } from '../domain/request.js';
import { type CallHistoryArgs, parseCallHistoryArgs } from '../history/translate.js';
import { eventSelector } from './filter.js';

/** What the service needs of a request's context: its live events, null when the caller has no credential. */
export interface EventsContext {
  readonly events: LiveCalls | null;
}

/**
 * `callEvents`: the arguments checked as `callHistory` checks them (BAD_USER_INPUT before anything starts),
 * then the project's events from now on, filtered for this subscriber.
 */
export function callEvents(ctx: EventsContext, args: Omit<CallHistoryArgs, 'first'>) {
  if (!ctx.events) throw missingCredential();
  const subscribedAt = Date.now();
  const { projectId, first: _first, ...filter } = parseCallHistoryArgs(args);
  return ctx.events.subscribe(projectId, eventSelector(filter, subscribedAt));
}
