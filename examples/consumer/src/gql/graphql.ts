/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** All given conditions must hold. */
export type CallFilter = {
  /** Whole UTC days of the end (start + duration). */
  ended?: DayRange | null | undefined;
  /** The number, SIP address or client id that called. */
  from?: string | null | undefined;
  /** Whole UTC days of the start. */
  started?: DayRange | null | undefined;
  /** Exact start instants. */
  startedAt?: InstantRange | null | undefined;
  status?: CallStatus | null | undefined;
  /** The number (E.164), SIP address or client id that was called. */
  to?: string | null | undefined;
};

/** The state of a call. The upstream wire value is in the description and in `Call.rawStatus`. */
export type CallStatus =
  /** The callee was busy (`busy`). */
  | 'BUSY'
  /** Cancelled before it was answered (`canceled`). Filtering by it is done by this layer, not upstream. */
  | 'CANCELED'
  /** Answered and ended normally (`completed`). */
  | 'COMPLETED'
  /** The call could not be placed (`failed`). */
  | 'FAILED'
  /** Dialling has started (`initiated`). */
  | 'INITIATED'
  /** Answered and ongoing (`in-progress`). */
  | 'IN_PROGRESS'
  /** Nobody answered (`no-answer`). */
  | 'NO_ANSWER'
  /** Waiting to be dialled (`queued`). */
  | 'QUEUED'
  /** The callee is ringing (`ringing`). */
  | 'RINGING'
  /** Closed after silence (`silence`). Filtering by it is done by this layer, not upstream. */
  | 'SILENCE'
  /** A status this API does not know yet; see `rawStatus`. Output only: not accepted as a filter. */
  | 'UNKNOWN'
  /** Reached voicemail (`voicemail`). Filtering by it is done by this layer, not upstream. */
  | 'VOICEMAIL';

/** Whole UTC days. `before` is exclusive. Sent to the upstream as they are. */
export type DayRange = {
  /** Before 00:00 UTC of this day (the day is excluded). */
  before?: string | null | undefined;
  /** Only this UTC day. */
  on?: string | null | undefined;
  /** From 00:00 UTC of this day on. */
  onOrAfter?: string | null | undefined;
};

/** Exact instants; `before` is exclusive. The upstream only knows whole days, so the request is widened to the days that contain the range and the layer keeps exactly the calls inside it. */
export type InstantRange = {
  before?: string | null | undefined;
  onOrAfter?: string | null | undefined;
};

export type CallSummaryFragment = { sid: string, status: CallStatus, from: string | null, to: string | null, startedAt: string | null, endedAt: string | null, durationSeconds: number | null, recordingUrls: Array<string>, data: Record<string, unknown> | null };

export type CallHistoryPageQueryVariables = Exact<{
  projectId: string | number;
  first: number;
  after?: string | null | undefined;
  filter?: CallFilter | null | undefined;
}>;


export type CallHistoryPageQuery = { callHistory: { edges: Array<{ node: { sid: string, status: CallStatus, from: string | null, to: string | null, startedAt: string | null, endedAt: string | null, durationSeconds: number | null, recordingUrls: Array<string>, data: Record<string, unknown> | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export const CallSummaryFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"CallSummary"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Call"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sid"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"endedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"recordingUrls"}},{"kind":"Field","name":{"kind":"Name","value":"data"}}]}}]} as unknown as DocumentNode<CallSummaryFragment, unknown>;
export const CallHistoryPageDocument = {"__meta__":{"hash":"sha256:26f7606a1aff6334402d23ca2e65bbc826f9a46b7f22a0ce30eb7277db3734c8"}} as unknown as DocumentNode<CallHistoryPageQuery, CallHistoryPageQueryVariables>;