import { AppError, ErrorCode } from '../domain/errors.js';

/** What went wrong talking to the upstream; the resilience policy reads it, `toAppError` maps it. */
export type UpstreamFailureKind =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'network'; cause: string }
  | { kind: 'timeout'; attempt: boolean }
  /** Every caller waiting for the request went away (disconnected): nobody needs the answer any more. */
  | { kind: 'cancelled' }
  | { kind: 'circuit-open' }
  | { kind: 'overloaded' }
  /** `reason` is this server's own wording (it names the bound that was passed), never upstream content. */
  | { kind: 'bad-response'; reason: string };

export class UpstreamFailure extends Error {
  /**
   * The deadline (epoch ms) of the request whose attempt failed: set by the policy so that its one shared
   * retry rule can tell whether a wait still fits.
   */
  deadlineAt: number | undefined;

  constructor(readonly failure: UpstreamFailureKind) {
    super(describe(failure));
    this.name = 'UpstreamFailure';
  }

  /** Network failures, 429 and 502/503/504 may succeed on another attempt; the endpoint is a read. */
  get retryable(): boolean {
    const f = this.failure;
    if (f.kind === 'network') return true;
    if (f.kind === 'timeout') return f.attempt; // one hung attempt; the request's own deadline is final
    return f.kind === 'status' && (f.status === 429 || f.status === 502 || f.status === 503 || f.status === 504);
  }

  /** Only the upstream's own trouble opens the breaker: a caller's bad credential, input or departure never does. */
  get countsAgainstUpstream(): boolean {
    const f = this.failure;
    if (f.kind === 'network' || f.kind === 'timeout' || f.kind === 'bad-response') return true;
    return f.kind === 'status' && f.status >= 500;
  }
}

function describe(f: UpstreamFailureKind): string {
  switch (f.kind) {
    case 'status':
      return `upstream answered HTTP ${f.status}`;
    case 'network':
      return `upstream unreachable (${f.cause})`;
    case 'timeout':
      return f.attempt ? 'upstream attempt timed out' : 'upstream deadline passed';
    case 'cancelled':
      return 'upstream request cancelled: the caller left';
    case 'circuit-open':
      return 'upstream circuit open';
    case 'overloaded':
      return 'too many upstream requests in flight';
    case 'bad-response':
      return `upstream response unusable (${f.reason})`;
  }
}

/** Why an attempt was aborted by its own timer (not by the request's deadline or the caller leaving). */
export const ATTEMPT_TIMEOUT = Symbol('attempt timeout');

/**
 * What an abort means, from the signal's reason: the attempt's own timer, the request's deadline
 * (a TimeoutError), or else the caller going away.
 */
export function abortFailure(reason: unknown): UpstreamFailure {
  if (reason === ATTEMPT_TIMEOUT) return new UpstreamFailure({ kind: 'timeout', attempt: true });
  if (reason instanceof Error && reason.name === 'TimeoutError') return new UpstreamFailure({ kind: 'timeout', attempt: false });
  return new UpstreamFailure({ kind: 'cancelled' });
}

/**
 * The single mapping from upstream failures to the API's error codes (the README's error table).
 * Messages are ours: no upstream body, URL or header ever reaches a caller.
 */
export function toAppError(failure: UpstreamFailure): AppError {
  const f = failure.failure;
  switch (f.kind) {
    case 'status': {
      if (f.status === 400) return new AppError(ErrorCode.BAD_USER_INPUT, 'The upstream rejected the request as invalid.');
      if (f.status === 401)
        return new AppError(ErrorCode.UNAUTHENTICATED, 'The upstream did not accept the credential.');
      if (f.status === 403)
        return new AppError(ErrorCode.FORBIDDEN, 'The credential may not read this project.');
      if (f.status === 429) {
        const extra: Record<string, unknown> = {};
        if (f.retryAfterMs !== undefined) extra.retryAfterSeconds = Math.ceil(f.retryAfterMs / 1000);
        return new AppError(ErrorCode.RATE_LIMITED, 'The upstream is rate limiting requests; try again later.', extra);
      }
      if (f.status >= 500)
        return new AppError(ErrorCode.UPSTREAM_ERROR, `The upstream failed (HTTP ${f.status}).`, { upstreamStatus: f.status });
      return new AppError(ErrorCode.UPSTREAM_BAD_RESPONSE, `The upstream answered an unexpected HTTP ${f.status}.`, {
        upstreamStatus: f.status,
      });
    }
    case 'network':
      return new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The upstream could not be reached.');
    case 'circuit-open':
      return new AppError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        'The upstream is failing; requests are paused for a moment (circuit open).',
      );
    case 'overloaded':
      return new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, 'Too many upstream requests are in flight; try again.');
    case 'timeout':
      return new AppError(ErrorCode.UPSTREAM_TIMEOUT, 'The upstream did not answer within the deadline.');
    case 'cancelled':
      // Only seen by a caller that is already gone; reported as the deadline it cut short.
      return new AppError(ErrorCode.UPSTREAM_TIMEOUT, 'The request ended before the upstream answered.');
    case 'bad-response':
      return new AppError(ErrorCode.UPSTREAM_BAD_RESPONSE, `The upstream's answer is unusable: ${f.reason}.`);
  }
}
