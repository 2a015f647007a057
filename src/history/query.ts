import type { CallStatus } from '../domain/status.js';

/** Whole-day bounds, as epoch days; `before` is exclusive. */
export interface DayRange {
  on?: number;
  onOrAfter?: number;
  before?: number;
}

/** Exact instants, as epoch milliseconds; `before` is exclusive. */
export interface InstantRange {
  onOrAfter?: number;
  before?: number;
}

/** A validated `callHistory` request, free of GraphQL types. */
export interface HistoryQuery {
  projectId: string;
  to?: string;
  from?: string;
  status?: CallStatus;
  started: DayRange;
  ended: DayRange;
  startedAt: InstantRange;
  first: number;
}

/** The part of a query that defines the list being walked (everything but the page size). */
export type ListIdentity = Omit<HistoryQuery, 'first'>;
