import type { Logger } from 'pino';
import type { CallRecord } from '../domain/record.js';
import type { CallLookup, UpstreamRequest } from '../domain/request.js';
import type { CallAttempt, PostAttempt } from './client.js';
import type { Credential } from './credential.js';
import type { UpstreamPolicy } from './policy.js';
import { type RecordWarning, normaliseRecords, recordFromCallBody, recordsFromBody } from './records.js';

export interface FetchOptions {
  credential: Credential;
  /** Aborts when the caller's deadline passes or it disconnects. */
  signal: AbortSignal;
  /** The latest deadline among the callers waiting on this request (epoch ms). */
  deadlineAt: number | (() => number);
  headers?: Record<string, string>;
  /** Told of each HTTP attempt made for this request: its status or failure kind, and its latency. */
  onAttempt?: (outcome: string, durationMs: number) => void;
}

export interface UpstreamObserver {
  onResponse?: (outcome: string, durationMs: number) => void;
}

/**
 * The upstream's records for the whole server: a request in, normalised records out, each HTTP attempt run
 * under the resilience policy (retries, attempt timeout, circuit breaker, connection bulkhead). Both
 * endpoints share the policy and the one normaliser.
 */
export class RecordSource {
  constructor(
    private readonly attempts: { history: PostAttempt; call: CallAttempt },
    readonly policy: UpstreamPolicy,
    private readonly logger: Logger,
    private readonly observer: UpstreamObserver = {},
  ) {}

  /** A history page: its records, newest first (none for a 404). */
  async fetch(request: UpstreamRequest, options: FetchOptions): Promise<CallRecord[]> {
    const body = await this.run((signal) => this.attempts.history(request, options.credential, signal, options.headers), options);
    if (body === null) return [];
    return this.normalise(recordsFromBody(body, request.pageSize), request.projectId);
  }

  /** One call by its SID: the record, or null when the upstream has no such call in the project (404). */
  async fetchCall(lookup: CallLookup, options: FetchOptions): Promise<CallRecord | null> {
    const body = await this.run((signal) => this.attempts.call(lookup, options.credential, signal, options.headers), options);
    if (body === null) return null;
    return this.normalise([recordFromCallBody(body, lookup.sid)], lookup.projectId)[0] ?? null;
  }

  private run(send: (signal: AbortSignal) => Promise<unknown>, options: FetchOptions): Promise<unknown> {
    return this.policy.run(
      async (signal) => {
        const started = performance.now();
        try {
          const result = await send(signal);
          this.observe(options, result === null ? '404' : '200', performance.now() - started);
          return result;
        } catch (error) {
          this.observe(options, outcomeOf(error), performance.now() - started);
          throw error;
        }
      },
      options.signal,
      options.deadlineAt,
    );
  }

  private normalise(items: unknown[], projectId: string): CallRecord[] {
    const warnings: RecordWarning[] = [];
    const records = normaliseRecords(items, projectId, (w) => warnings.push(w));
    if (warnings.length > 0) {
      this.logger.warn(
        { projectId, count: warnings.length, sample: warnings.slice(0, 5).map(({ sid, field }) => ({ sid, field })) },
        'upstream records with unusable values; those values are null',
      );
    }
    return records;
  }

  private observe(options: FetchOptions, outcome: string, durationMs: number): void {
    this.observer.onResponse?.(outcome, durationMs);
    options.onAttempt?.(outcome, durationMs);
  }
}

/** An attempt's outcome as metrics and logs name it: the HTTP status, or the failure kind. */
export function outcomeOf(error: unknown): string {
  const failure = (error as { failure?: { kind: string; status?: number } }).failure;
  if (!failure) return 'error';
  return failure.kind === 'status' ? String(failure.status) : failure.kind;
}
