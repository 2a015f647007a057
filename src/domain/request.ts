import type { CallRecord } from './record.js';

/** One REST request: body `{projectId, pageSize}` and the query-string filters, in canonical order. */
export interface UpstreamRequest {
  projectId: string;
  pageSize: number;
  filters: ReadonlyArray<readonly [name: string, value: string]>;
}

/** Runs one upstream request; injected so that the domain stays free of I/O. */
export type FetchRecords = (request: UpstreamRequest) => Promise<CallRecord[]>;

/** The upstream as one request of the API reads it: the adapter (`upstream/session.ts`) supplies it. */
export interface UpstreamRecords {
  readonly fetch: FetchRecords;
  /** The most rows one upstream request may ask for. */
  readonly maxPageSize: number;
}
