import type { AppError } from './errors.js';
import type { CallRecord } from './record.js';
import type { CallStatus } from './status.js';

export type CallEventKind = 'STARTED' | 'UPDATED';

/** One change of a call, as a watcher of its project observed it. */
export interface CallEvent {
  /** The call's SID and a digest of its observed state: equal ids mean the same change (replicas dedupe on it). */
  id: string;
  kind: CallEventKind;
  call: CallRecord;
  /** UPDATED only: the status before this change. */
  previousStatus: CallStatus | null;
  observedAt: Date;
}

/** Decides, per subscriber, which events it receives (the subscription's filter). */
export type EventSelector = (event: CallEvent) => boolean;

/** Live call events of one project, read with one request's credential; the adapter (`events/`) supplies it. */
export interface LiveCalls {
  /**
   * The project's events from now on, until the caller stops reading (its `return`). A feed that ends for a
   * reason (credential refused, slow consumer) yields that AppError last. Throws SUBSCRIPTION_LIMIT at once.
   */
  subscribe(projectId: string, selector: EventSelector): AsyncIterable<CallEvent | AppError>;
}
