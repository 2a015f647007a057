import type { CallRecord } from '../domain/record.js';
import { type UpstreamRecords, upstreamOf } from '../domain/request.js';
import { type CursorKey, decodeCursor, encodeCursor, listFingerprint } from './cursor.js';
import { type PageEdge, fetchHistoryPage } from './paginate.js';
import { type CallHistoryArgs, parseCallHistoryArgs } from './translate.js';

export interface CallConnection {
  edges: Array<{ cursor: string; node: CallRecord }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** What the service needs of a request's context: its upstream records, null when the caller has no credential. */
export interface HistoryContext {
  readonly records: UpstreamRecords | null;
  /** Signs and checks cursors (CURSOR_SECRET, or a key of this process). */
  readonly cursorKey: CursorKey;
}

/**
 * `callHistory` from arguments to a Relay connection; all I/O goes through `ctx.records`. `needHasNextPage`
 * false (the client does not read `pageInfo.hasNextPage`) saves the extra row, and at the upstream's largest
 * page size the extra request, that working it out costs.
 */
export async function callHistory(
  ctx: HistoryContext,
  args: CallHistoryArgs & { after?: string | null | undefined },
  needHasNextPage = true,
): Promise<CallConnection> {
  const { fetch, maxPageSize } = upstreamOf(ctx.records);
  const query = parseCallHistoryArgs(args);
  // Hashed only when a cursor is read or written: most clients select neither.
  let fingerprint: string | undefined;
  const fingerprintOf = () => (fingerprint ??= listFingerprint(query));
  const after = args.after == null ? null : decodeCursor(ctx.cursorKey, args.after, fingerprintOf(), maxPageSize);
  const page = await fetchHistoryPage(query, after, maxPageSize, fetch, needHasNextPage);
  const edges = page.edges.map((edge) => new CallEdge(ctx.cursorKey, fingerprintOf, edge));
  return { edges, pageInfo: new PageInfo(page.hasNextPage, edges) };
}

/**
 * A connection's page info, its cursors encoded only when read. A class, not an object literal with getters: a
 * literal's getters are new closures per request, which gives each page info a hidden class of its own, made in
 * the old generation; that would keep the whole request's data (records, session) through every minor GC.
 */
class PageInfo {
  /** Only forward pagination is offered; the Relay spec allows false here. */
  readonly hasPreviousPage = false;

  constructor(
    private readonly knownHasNextPage: boolean | null,
    private readonly edges: CallEdge[],
  ) {}

  /** Not worked out when the caller said it would not read it: reading it then is a bug, not a guess. */
  get hasNextPage(): boolean {
    if (this.knownHasNextPage === null) throw new Error('hasNextPage was read but the page was fetched without it');
    return this.knownHasNextPage;
  }

  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.edges.at(-1)?.cursor ?? null;
  }
}

/** An edge whose cursor is encoded only when a client selects it (most select `nodes` or a few fields). */
class CallEdge {
  private encoded: string | undefined;

  constructor(
    private readonly key: CursorKey,
    private readonly fingerprint: () => string,
    private readonly edge: PageEdge,
  ) {}

  get node(): CallRecord {
    return this.edge.record;
  }

  get cursor(): string {
    return (this.encoded ??= encodeCursor(this.key, this.fingerprint(), this.edge.position));
  }
}
