import DataLoader from 'dataloader';
import type { CallRecord } from '../domain/record.js';
import type { CallLookup, LoadCall } from '../domain/request.js';

/**
 * The calls this operation reads in history pages, by project. A page is only remembered (one array push) and
 * indexed by SID the first time a lookup in its project needs it, so operations that never look a call up pay
 * next to nothing. A lookup waits for this operation's history fetches of its project still in flight (a
 * `callHistory` and a `call` side by side in one query): the page may hold the call.
 */
export class SeenCalls {
  private readonly pending = new Map<string, Array<readonly CallRecord[]>>();
  private readonly bySid = new Map<string, Map<string, CallRecord>>();
  private readonly fetching = new Map<string, Set<Promise<void>>>();

  /** A history fetch of this operation: its rows are remembered once it succeeds. */
  track(projectId: string, rows: Promise<readonly CallRecord[]>): void {
    let inFlight = this.fetching.get(projectId);
    if (!inFlight) this.fetching.set(projectId, (inFlight = new Set()));
    const set = inFlight;
    const done = () => {
      set.delete(settled);
      if (set.size === 0 && this.fetching.get(projectId) === set) this.fetching.delete(projectId);
    };
    const settled: Promise<void> = rows.then((list) => {
      this.remember(projectId, list);
      done();
    }, done);
    set.add(settled);
  }

  remember(projectId: string, rows: readonly CallRecord[]): void {
    if (rows.length === 0) return;
    const pages = this.pending.get(projectId);
    if (pages) pages.push(rows);
    else this.pending.set(projectId, [rows]);
  }

  /** The call as a history page of this operation holds it, once the project's fetches in flight have settled. */
  async find(projectId: string, sid: string): Promise<CallRecord | undefined> {
    for (let set = this.fetching.get(projectId); set; set = this.fetching.get(projectId)) await Promise.all(set);
    const pages = this.pending.get(projectId);
    if (pages) {
      this.pending.delete(projectId);
      let index = this.bySid.get(projectId);
      if (!index) this.bySid.set(projectId, (index = new Map()));
      for (const page of pages) for (const record of page) if (!index.has(record.sid)) index.set(record.sid, record);
    }
    return this.bySid.get(projectId)?.get(sid);
  }
}

/**
 * The per-operation call loader: equal (project, sid) lookups in one operation (aliases, `_entities` lists,
 * references from other subgraphs) become one request; a call already read in one of this operation's
 * history pages of the same project (or in one still in flight) is served from it with no request. The operation has one credential, so
 * nothing here is shared between credentials. Created per GraphQL request, so nothing outlives it.
 */
export function createCallLoader(load: LoadCall, seen: SeenCalls): LoadCall {
  const loader = new DataLoader<CallLookup, CallRecord | null, string>(
    (lookups) =>
      Promise.all(
        lookups.map(async (lookup) => {
          const known = await seen.find(lookup.projectId, lookup.sid);
          if (known) return known;
          try {
            return await load(lookup);
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      ),
    // A tab never occurs in a validated projectId or sid.
    { cacheKeyFn: ({ projectId, sid }) => `${projectId}\t${sid}` },
  );
  return (lookup) => loader.load(lookup);
}
