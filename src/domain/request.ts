import { AppError, ErrorCode } from './errors.js';
import type { CallRecord } from './record.js';

/** One REST request: body `{projectId, pageSize}` and the query-string filters, in canonical order. */
export interface UpstreamRequest {
  projectId: string;
  pageSize: number;
  filters: ReadonlyArray<readonly [name: string, value: string]>;
}

/** Runs one upstream request; injected so that the domain stays free of I/O. */
export type FetchRecords = (request: UpstreamRequest) => Promise<CallRecord[]>;

/** One call of a project, as `POST /call` asks for it: body `{sid, projectId}`. */
export interface CallLookup {
  projectId: string;
  sid: string;
}

/** Reads one call; null when the upstream has no such call in the project. */
export type LoadCall = (lookup: CallLookup) => Promise<CallRecord | null>;

/** The upstream as one request of the API reads it: the adapter (`upstream/session.ts`) supplies it. */
export interface UpstreamRecords {
  readonly fetch: FetchRecords;
  readonly call: LoadCall;
  /** The most rows one upstream request may ask for. */
  readonly maxPageSize: number;
}

/** A request's upstream records; a caller without a credential is refused (before its arguments are read). */
export function upstreamOf(records: UpstreamRecords | null): UpstreamRecords {
  if (!records) throw missingCredential();
  return records;
}

export const missingCredential = () =>
  new AppError(ErrorCode.UNAUTHENTICATED, 'Send an x-api-key or an Authorization: Bearer header.');
