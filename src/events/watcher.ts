import type { Logger } from 'pino';
import type { CallEvent } from '../domain/events.js';
import { AppError, ErrorCode } from '../domain/errors.js';
import type { CallRecord } from '../domain/record.js';
import type { CallLookup, UpstreamRequest } from '../domain/request.js';
import { toWireStatus } from '../domain/status.js';
import { dayOfInstant, formatEpochDay } from '../history/days.js';
import { NON_FINAL_STATUSES, type KnownState, callsToLookUp, diffCalls, mergeReads, pruneKnown } from './diff.js';

/** One poll's access to the upstream (its own deadline); the adapter supplies it. */
export interface PollReads {
  history(request: UpstreamRequest): Promise<CallRecord[]>;
  call(lookup: CallLookup): Promise<CallRecord | null>;
}

/** Opens the reads of one poll; `signal` aborts when the watcher stops. */
export type OpenPoll = (signal: AbortSignal) => PollReads;

/** How many of the newest calls each poll reads. */
export const NEWEST_PAGE_SIZE = 100;
/** Calls looked up by SID per poll at most (the others wait for the next poll). */
export const MAX_LOOKUPS_PER_POLL = 20;
/** The longest wait between polls while the upstream keeps failing. */
export const MAX_BACKOFF_MS = 60_000;
/** Codes that end a watcher: asking again with the same credential and project cannot succeed. */
const TERMINAL = new Set<string>([ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.BAD_USER_INPUT]);

/**
 * The requests of one poll: the newest calls, and each non-final status since the start of yesterday (UTC), so
 * that a call that began late yesterday is still followed. Pure.
 */
export function pollRequests(projectId: string, nowMs: number, listPageSize: number): UpstreamRequest[] {
  const since = formatEpochDay(dayOfInstant(nowMs) - 1);
  return [
    { projectId, pageSize: Math.min(NEWEST_PAGE_SIZE, listPageSize), filters: [] },
    ...NON_FINAL_STATUSES.map((status) => ({
      projectId,
      pageSize: listPageSize,
      filters: [
        ['status', toWireStatus(status)],
        ['startTimeAfter', since],
      ] as const,
    })),
  ];
}

export interface WatcherOptions {
  projectId: string;
  intervalMs: number;
  /** The largest page one list request asks for (UPSTREAM_MAX_PAGE_SIZE). */
  listPageSize: number;
  /** Calls remembered at most. */
  maxKnown: number;
  open: OpenPoll;
  /** What was known before (another replica's memory), or a fresh start. */
  initial: KnownState | null;
  /** Each poll's events (possibly none) and the state after it. */
  deliver(events: CallEvent[], state: KnownState): Promise<void> | void;
  /** The watcher ends: the credential or project was refused. */
  fail(error: AppError): void;
  logger: Logger;
  now?: () => number;
}

/**
 * Watches one project with one credential: polls every `intervalMs` (at once when poked), emits the differences,
 * backs off while the upstream fails (keeping what it knew), and ends on a refusal that cannot pass.
 */
export class ProjectWatcher {
  private state: KnownState;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pokedWhilePolling = false;
  private failures = 0;
  private readonly now: () => number;
  /** Polls made (for tests and measurements). */
  polls = 0;

  constructor(private readonly options: WatcherOptions) {
    this.now = options.now ?? Date.now;
    this.state = options.initial ?? { since: this.now(), calls: {} };
  }

  get known(): KnownState {
    return this.state;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.stopping.abort();
  }

  /** Poll now (the webhook's hint); a poll under way is followed by another at once. */
  poke(): void {
    if (this.stopping.signal.aborted) return;
    if (this.polling) this.pokedWhilePolling = true;
    else this.schedule(0);
  }

  private schedule(delayMs: number) {
    clearTimeout(this.timer);
    if (this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => void this.run(), delayMs);
    this.timer.unref?.();
  }

  private async run() {
    if (this.stopping.signal.aborted || this.polling) return;
    this.polling = true;
    this.pokedWhilePolling = false;
    let delay = this.options.intervalMs;
    try {
      await this.poll();
      this.failures = 0;
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      if (error instanceof AppError && TERMINAL.has(error.code)) {
        this.stop();
        this.options.fail(error);
        return;
      }
      this.failures++;
      delay = Math.min(MAX_BACKOFF_MS, this.options.intervalMs * 2 ** this.failures);
      this.options.logger.warn(
        { projectId: this.options.projectId, code: error instanceof AppError ? error.code : 'INTERNAL', retryInMs: delay },
        'call events: a poll failed; what was known is kept',
      );
    } finally {
      this.polling = false;
    }
    this.schedule(this.pokedWhilePolling ? 0 : delay);
  }

  private async poll() {
    this.polls++;
    const { projectId } = this.options;
    const reads = this.options.open(this.stopping.signal);
    const lists = await Promise.all(pollRequests(projectId, this.now(), this.options.listPageSize).map((request) => reads.history(request)));
    const records = mergeReads(lists);
    const readSids = new Set(records.map((record) => record.sid));
    const missing = callsToLookUp(this.state, readSids, MAX_LOOKUPS_PER_POLL);
    const found = await Promise.all(missing.map((sid) => reads.call({ projectId, sid })));
    const gone = new Set<string>();
    found.forEach((record, i) => {
      if (record) {
        records.push(record);
        readSids.add(record.sid);
      } else gone.add(missing[i]!);
    });
    if (this.stopping.signal.aborted) return;
    const { events, state } = diffCalls(this.state, records, new Date(this.now()));
    for (const sid of gone) delete state.calls[sid];
    this.state = pruneKnown(state, readSids, this.options.maxKnown);
    await this.options.deliver(events, this.state);
  }
}
