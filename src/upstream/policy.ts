import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  DelegateBackoff,
  SamplingBreaker,
  TaskCancelledError,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { ATTEMPT_TIMEOUT } from './client.js';
import { UpstreamFailure } from './errors.js';

export interface PolicyOptions {
  /** Attempts after the first. */
  maxRetries: number;
  attemptTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  breakerThreshold: number;
  breakerWindowMs: number;
  breakerMinimumRps: number;
  breakerHalfOpenAfterMs: number;
  bulkheadLimit: number;
  bulkheadQueue: number;
}

export interface PolicyEvents {
  onRetry?: (reason: string, delayMs: number) => void;
  onBreakerStateChange?: (state: 'closed' | 'open' | 'half-open') => void;
}

const STATE_NAMES: Record<CircuitState, 'closed' | 'open' | 'half-open'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * How every upstream request is run: one deadline for all attempts (the caller's signal), a timeout per
 * attempt, retries with full jitter on network errors, attempt timeouts, 429 and 502/503/504 only (the
 * endpoint is a read, so repeating it is safe), honouring Retry-After only when it fits in the deadline; a
 * circuit breaker for the origin that only the upstream's own failures open; and a bulkhead sized to the
 * connection pool that rejects at once rather than queueing without bound.
 */
export class UpstreamPolicy {
  readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;

  constructor(
    private readonly options: PolicyOptions,
    private readonly events: PolicyEvents = {},
  ) {
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof UpstreamFailure && error.countsAgainstUpstream),
      {
        halfOpenAfter: options.breakerHalfOpenAfterMs,
        breaker: new SamplingBreaker({
          threshold: options.breakerThreshold,
          duration: options.breakerWindowMs,
          minimumRps: options.breakerMinimumRps,
        }),
      },
    );
    this.breaker.onStateChange((state) => events.onBreakerStateChange?.(STATE_NAMES[state]));
    this.bulkhead = bulkhead(options.bulkheadLimit, options.bulkheadQueue);
  }

  get breakerState(): 'closed' | 'open' | 'half-open' {
    return STATE_NAMES[this.breaker.state];
  }

  async run<T>(attempt: (signal: AbortSignal) => Promise<T>, deadline: AbortSignal, deadlineAt: number): Promise<T> {
    const { maxRetries, retryBaseMs, retryMaxMs, attemptTimeoutMs } = this.options;
    const delayFor = (context: IRetryBackoffContext<unknown>): number => {
      const failure = 'error' in context.result ? context.result.error : undefined;
      const retryAfterMs = failure instanceof UpstreamFailure && failure.failure.kind === 'status' ? failure.failure.retryAfterMs : undefined;
      if (retryAfterMs !== undefined) return retryAfterMs;
      return Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (context.attempt - 1));
    };
    // Retry only when the wait (Retry-After, or at most the backoff cap) still leaves time for an attempt.
    const worthRetrying = (error: Error): boolean => {
      if (!(error instanceof UpstreamFailure) || !error.retryable) return false;
      const f = error.failure;
      const wait = f.kind === 'status' && f.retryAfterMs !== undefined ? f.retryAfterMs : 0;
      return Date.now() + wait < deadlineAt;
    };
    const retries = retry(handleWhen(worthRetrying), { maxAttempts: maxRetries, backoff: new DelegateBackoff(delayFor) });
    retries.onRetry((event) => {
      const reason = 'error' in event ? event.error.message : 'result';
      this.events.onRetry?.(reason, event.delay);
    });

    try {
      return await wrap(retries, this.breaker, this.bulkhead).execute(async ({ signal }) => {
        const attemptTimer = new AbortController();
        const timer = setTimeout(() => attemptTimer.abort(ATTEMPT_TIMEOUT), attemptTimeoutMs);
        try {
          return await attempt(AbortSignal.any([signal, attemptTimer.signal]));
        } finally {
          clearTimeout(timer);
        }
      }, deadline);
    } catch (error) {
      throw asFailure(error, deadline);
    }
  }
}

function asFailure(error: unknown, deadline: AbortSignal): unknown {
  if (error instanceof UpstreamFailure) {
    // An attempt cut short because the request's deadline passed reports the deadline.
    if (deadline.aborted && error.failure.kind === 'timeout') return new UpstreamFailure({ kind: 'timeout', attempt: false });
    return error;
  }
  if (error instanceof BrokenCircuitError) return new UpstreamFailure({ kind: 'circuit-open' });
  if (error instanceof BulkheadRejectedError) return new UpstreamFailure({ kind: 'overloaded' });
  if (error instanceof TaskCancelledError || deadline.aborted) return new UpstreamFailure({ kind: 'timeout', attempt: false });
  return error;
}
