import type { CallRecord } from '../upstream/records.js';
import { decodeCursor, encodeCursor, listFingerprint } from './cursor.js';
import { type FetchRecords, fetchHistoryPage } from './paginate.js';
import { type CallHistoryArgs, parseCallHistoryArgs } from './translate.js';

export interface CallConnection {
  edges: Array<{ cursor: string; node: CallRecord }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** `callHistory` from arguments to a Relay connection; all I/O goes through `fetchRecords`. */
export async function readCallHistory(
  args: CallHistoryArgs & { after?: string | null | undefined },
  fetchRecords: FetchRecords,
  maxPageSize: number,
): Promise<CallConnection> {
  const query = parseCallHistoryArgs(args);
  const fingerprint = listFingerprint(query);
  const after = args.after == null ? null : decodeCursor(args.after, fingerprint, maxPageSize);
  const page = await fetchHistoryPage(query, after, maxPageSize, fetchRecords);
  const edges = page.edges.map(({ record, position }) => ({ cursor: encodeCursor(fingerprint, position), node: record }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      // Only forward pagination is offered; the Relay spec allows false here.
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
