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
  type IDefaultPolicyContext,
  type IPolicy,
  type IRetryBackoffContext,
  type IRetryContext,
} from 'cockatiel';
import { armAbort } from './abort.js';
import { ATTEMPT_TIMEOUT, UpstreamFailure, abortFailure } from './errors.js';

export interface PolicyOptions {
  /** Attempts after the first. */
  maxRetries: number;
  attemptTimeoutMs: number;
  /** Full jitter: the n-th retry waits a random time in [0, min(retryMaxMs, retryBaseMs * 2^(n-1))). */
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
  onBreakerStateChange?: (state: BreakerState) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** A retry is made only if, after its wait, at least this long (or the attempt timeout, if shorter) remains. */
export const MIN_ATTEMPT_MS = 200;

/**
 * How every upstream request is run: one deadline for all attempts (the caller's signal and `deadlineAt`), a
 * timeout per attempt, retries with full jitter on network errors, attempt timeouts, 429 and 502/503/504 only
 * (the endpoint is a read, so repeating it is safe), honouring Retry-After only when it fits in the deadline; a
 * circuit breaker for the origin (one policy per upstream client, and a client is pinned to one origin) that
 * only the upstream's own failures open; and a bulkhead sized to the connection pool whose small queue rejects
 * rather than grows without bound.
 */
export class UpstreamPolicy {
  readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;
  private readonly minAttemptMs: number;
  private readonly pipeline: IPolicy<IRetryContext & IDefaultPolicyContext>;
  private readonly listeners: PolicyEvents[] = [];

  constructor(
    private readonly options: PolicyOptions,
    events: PolicyEvents = {},
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
    this.listeners.push(events);
    this.breaker.onStateChange((state) => {
      for (const listener of this.listeners) listener.onBreakerStateChange?.(STATE_NAMES[state]);
    });
    this.bulkhead = bulkhead(options.bulkheadLimit, options.bulkheadQueue);
    this.minAttemptMs = Math.min(MIN_ATTEMPT_MS, options.attemptTimeoutMs);

    // Built once: the deadline of each request travels on its failures (UpstreamFailure.deadlineAt).
    const retries = retry(handleWhen(this.worthRetrying), {
      maxAttempts: options.maxRetries,
      backoff: new DelegateBackoff(this.delayFor),
    });
    retries.onRetry((event) => {
      const reason = 'error' in event ? event.error.message : 'result';
      for (const listener of this.listeners) listener.onRetry?.(reason, event.delay);
    });
    this.pipeline = wrap(retries, this.breaker, this.bulkhead);
  }

  /** Retry only a retryable failure, and only when its Retry-After (if any) still leaves time for an attempt. */
  private readonly worthRetrying = (error: Error): boolean => {
    if (!(error instanceof UpstreamFailure) || !error.retryable) return false;
    return Date.now() + (requestedWait(error) ?? 0) + this.minAttemptMs <= (error.deadlineAt ?? Number.POSITIVE_INFINITY);
  };

  /** Retry-After as asked (worthRetrying made sure it fits); otherwise full jitter, cut to what the deadline allows. */
  private readonly delayFor = (context: IRetryBackoffContext<unknown>): number => {
    const failure = 'error' in context.result ? context.result.error : undefined;
    const retryAfterMs = requestedWait(failure);
    if (retryAfterMs !== undefined) return retryAfterMs;
    const { retryBaseMs, retryMaxMs } = this.options;
    const jitter = Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (context.attempt - 1));
    const deadlineAt = failure instanceof UpstreamFailure ? failure.deadlineAt : undefined;
    return deadlineAt === undefined ? jitter : Math.max(0, Math.min(jitter, deadlineAt - Date.now() - this.minAttemptMs));
  };

  /** Adds listeners to the policy's events (metrics and logs subscribe once the policy exists). */
  observe(events: PolicyEvents): void {
    this.listeners.push(events);
  }

  get breakerState(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  /**
   * Runs `attempt` under the policy. `signal` aborts when the request's deadline passes (a TimeoutError
   * reason) or every caller has gone; `deadlineAt` is that deadline as an epoch time, for planning waits.
   * Rejects with an UpstreamFailure (or, for a bug in `attempt`, its own error).
   */
  run<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    deadlineAt: number | (() => number),
  ): Promise<T> {
    // Not an async function: it returns the promise below itself, with no extra step to adopt it.
    if (signal.aborted) return Promise.reject(abortFailure(signal.reason));
    const { attemptTimeoutMs } = this.options;
    const execution = this.pipeline.execute(async ({ signal: executionSignal }) => {
      // The attempt's signal: aborted by the execution's or by the attempt's own timer, both undone when it ends.
      const attemptSignal = new AbortController();
      const disarm = armAbort(attemptSignal, executionSignal, attemptTimeoutMs, attemptTimedOut);
      try {
        return await attempt(attemptSignal.signal);
      } catch (error) {
        if (error instanceof UpstreamFailure) error.deadlineAt = typeof deadlineAt === 'function' ? deadlineAt() : deadlineAt;
        throw error;
      } finally {
        disarm();
      }
    }, signal);

    // cockatiel's retry wait and bulkhead queue do not watch the signal: answer as soon as it aborts, and let
    // the abandoned execution wind down on its own (its next step sees the aborted signal and stops).
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortFailure(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      execution.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(asFailure(error, signal));
        },
      );
    });
  }
}

const attemptTimedOut = () => ATTEMPT_TIMEOUT;

const requestedWait = (error: unknown): number | undefined =>
  error instanceof UpstreamFailure && error.failure.kind === 'status' ? error.failure.retryAfterMs : undefined;

function asFailure(error: unknown, signal: AbortSignal): unknown {
  // An attempt cut short by the request's deadline or the caller leaving reports that, not the attempt.
  if (signal.aborted) return abortFailure(signal.reason);
  if (error instanceof UpstreamFailure) return error;
  if (error instanceof BrokenCircuitError) return new UpstreamFailure({ kind: 'circuit-open' });
  if (error instanceof BulkheadRejectedError) return new UpstreamFailure({ kind: 'overloaded' });
  if (error instanceof TaskCancelledError) return abortFailure(signal.reason);
  return error; // a bug, not an upstream failure: it surfaces as an unexpected (masked) error
}
