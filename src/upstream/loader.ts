import DataLoader from 'dataloader';
import type { CallRecord } from '../domain/record.js';
import type { FetchRecords, UpstreamRequest } from '../domain/request.js';

/**
 * Runs one upstream request for one credential; the signal aborts it when nobody waits any more, and
 * `deadlineAt` tells the latest deadline among those who wait (for planning retries).
 */
export type SharedFetch = (request: UpstreamRequest, signal: AbortSignal, deadlineAt: () => number) => Promise<CallRecord[]>;

/** The list a request reads, without its page size: requests with equal list keys differ only in how many rows. */
export const listKey = (request: UpstreamRequest): string =>
  `${request.projectId}\n${request.filters.map(([name, value]) => `${name}=${value}`).join('&')}`;

interface InFlight {
  /** The largest page this fetch reads (history); 0 for a fetch of one call. */
  pageSize: number;
  promise: Promise<unknown>;
  waiting: number;
  controller: AbortController;
  latestDeadlineAt: number;
}

/** One call's fetch for one credential: the record, or null when the upstream has none. */
export type SharedCallFetch = (signal: AbortSignal, deadlineAt: () => number) => Promise<CallRecord | null>;

/**
 * Shares identical upstream requests that are in flight at the same moment, across operations of the same
 * credential: a request whose list is already being fetched with at least as many rows joins that fetch, and
 * so does a lookup of a call already being fetched. Nothing is kept once a fetch settles. The shared fetch is
 * aborted only when every party waiting on it has given up (disconnected or passed its own deadline).
 */
export class InFlightRequests {
  private readonly inFlight = new Map<string, InFlight>();

  get size(): number {
    return this.inFlight.size;
  }

  run(
    scope: string,
    request: UpstreamRequest,
    signal: AbortSignal,
    deadlineAt: number,
    fetch: SharedFetch,
  ): Promise<CallRecord[]> {
    const key = `${scope}\n${listKey(request)}`;
    const entry = this.entry(key, request.pageSize, deadlineAt, (shared, latest) => fetch(request, shared, latest));
    return this.join(entry, signal, request.pageSize) as Promise<CallRecord[]>;
  }

  /** `POST /call` for one (credential scope, project, sid), shared with an identical lookup in flight. */
  runCall(
    scope: string,
    projectId: string,
    sid: string,
    signal: AbortSignal,
    deadlineAt: number,
    fetch: SharedCallFetch,
  ): Promise<CallRecord | null> {
    // A tab never occurs in a validated projectId or sid, nor in a list key (which starts with the projectId).
    const key = `${scope}\ncall\t${projectId}\t${sid}`;
    return this.join(this.entry(key, 0, deadlineAt, fetch), signal) as Promise<CallRecord | null>;
  }

  /** The fetch in flight under `key` that reads at least `pageSize` rows, or a new one. */
  private entry(
    key: string,
    pageSize: number,
    deadlineAt: number,
    fetch: (signal: AbortSignal, latestDeadlineAt: () => number) => Promise<unknown>,
  ): InFlight {
    let entry = this.inFlight.get(key);
    if (!entry || entry.pageSize < pageSize) {
      const controller = new AbortController();
      const started = { pageSize, waiting: 0, controller, latestDeadlineAt: deadlineAt } as InFlight;
      started.promise = fetch(controller.signal, () => started.latestDeadlineAt);
      const settled = () => {
        if (this.inFlight.get(key) === started) this.inFlight.delete(key);
      };
      started.promise.then(settled, settled);
      this.inFlight.set(key, started);
      entry = started;
    }
    // A later joiner may still retry after the first waiter's deadline has passed.
    entry.latestDeadlineAt = Math.max(entry.latestDeadlineAt, deadlineAt);
    return entry;
  }

  /** Waits on the entry's fetch for one party; a list is cut to `pageSize` rows (a larger fetch may have been joined). */
  private join(entry: InFlight, signal: AbortSignal, pageSize?: number): Promise<unknown> {
    if (signal.aborted) return Promise.reject(signal.reason);
    entry.waiting++;
    return new Promise<unknown>((resolve, reject) => {
      const leave = () => {
        entry.waiting--;
        if (entry.waiting === 0) entry.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      entry.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          entry.waiting--;
          resolve(pageSize !== undefined && (value as unknown[]).length > pageSize ? (value as unknown[]).slice(0, pageSize) : value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave);
          entry.waiting--;
          reject(error);
        },
      );
    });
  }
}

/**
 * The per-operation loader: identical requests in one operation become one upstream request, and requests
 * that differ only in page size are served by one request of the largest size, each sliced to what it
 * asked. Created per GraphQL request, so nothing outlives the operation.
 */
export function createRecordsLoader(load: (request: UpstreamRequest) => Promise<CallRecord[]>): FetchRecords {
  // Lists already fetched in this operation, reused by later, smaller (or already exhausted) needs.
  const settled = new Map<string, { pageSize: number; rows: CallRecord[] }>();
  const covers = (done: { pageSize: number; rows: CallRecord[] }, pageSize: number) =>
    done.pageSize >= pageSize || done.rows.length < done.pageSize;
  const loader = new DataLoader<UpstreamRequest, CallRecord[], string>(
    async (requests) => {
      const largest = new Map<string, UpstreamRequest>();
      for (const request of requests) {
        const key = listKey(request);
        const seen = largest.get(key);
        if (!seen || seen.pageSize < request.pageSize) largest.set(key, request);
      }
      const results = new Map<string, Promise<CallRecord[]>>();
      for (const [key, request] of largest) {
        const done = settled.get(key);
        if (done && covers(done, request.pageSize)) {
          results.set(key, Promise.resolve(done.rows));
          continue;
        }
        const rows = load(request);
        results.set(key, rows);
        rows.then(
          (list) => {
            const known = settled.get(key);
            if (!known || !covers(known, request.pageSize)) settled.set(key, { pageSize: request.pageSize, rows: list });
          },
          () => undefined,
        );
      }
      return Promise.all(
        requests.map(async (request) => {
          try {
            const rows = await results.get(listKey(request))!;
            return rows.length > request.pageSize ? rows.slice(0, request.pageSize) : rows;
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      );
    },
    { cacheKeyFn: (request) => `${listKey(request)}\n${request.pageSize}` },
  );
  return (request) => loader.load(request);
}
