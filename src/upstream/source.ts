import type { Logger } from 'pino';
import type { UpstreamRequest } from '../history/query.js';
import { type Credential, UpstreamClient } from './client.js';
import { UpstreamPolicy } from './policy.js';
import { type CallRecord, type RecordWarning, normaliseRecords, recordsFromBody } from './records.js';

export interface FetchContext {
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

/** The upstream as the domain sees it: a request in, normalised records out, through the resilience policy. */
export class CallHistorySource {
  constructor(
    readonly client: UpstreamClient,
    readonly policy: UpstreamPolicy,
    private readonly logger: Logger,
    private readonly observer: UpstreamObserver = {},
  ) {}

  async fetch(request: UpstreamRequest, context: FetchContext): Promise<CallRecord[]> {
    const body = await this.policy.run(
      async (signal) => {
        const started = performance.now();
        try {
          const result = await this.client.post(request, context.credential, signal, context.headers);
          this.observe(context, result === null ? '404' : '200', performance.now() - started);
          return result;
        } catch (error) {
          this.observe(context, outcomeOf(error), performance.now() - started);
          throw error;
        }
      },
      context.signal,
      context.deadlineAt,
    );
    if (body === null) return [];
    const warnings: RecordWarning[] = [];
    const records = normaliseRecords(recordsFromBody(body), (w) => warnings.push(w));
    if (warnings.length > 0) {
      this.logger.warn(
        { projectId: request.projectId, count: warnings.length, sample: warnings.slice(0, 5).map(({ sid, field }) => ({ sid, field })) },
        'upstream records with unusable values; those values are null',
      );
    }
    return records;
  }

  private observe(context: FetchContext, outcome: string, durationMs: number): void {
    this.observer.onResponse?.(outcome, durationMs);
    context.onAttempt?.(outcome, durationMs);
  }
}

function outcomeOf(error: unknown): string {
  const failure = (error as { failure?: { kind: string; status?: number } }).failure;
  if (!failure) return 'error';
  return failure.kind === 'status' ? String(failure.status) : failure.kind;
}
