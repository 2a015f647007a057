import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRetryAfter } from '../../src/upstream/client.js';
import { ATTEMPT_TIMEOUT, UpstreamFailure, abortFailure, toAppError, type UpstreamFailureKind } from '../../src/upstream/errors.js';
import { MIN_ATTEMPT_MS, UpstreamPolicy, type PolicyOptions } from '../../src/upstream/policy.js';

const OPTIONS: PolicyOptions = {
  maxRetries: 2,
  attemptTimeoutMs: 1_000,
  retryBaseMs: 10,
  retryMaxMs: 40,
  breakerThreshold: 0.5,
  breakerWindowMs: 5_000,
  breakerMinimumRps: 1,
  breakerHalfOpenAfterMs: 200,
  bulkheadLimit: 8,
  bulkheadQueue: 8,
};

/** A deadline `ms` from now: the signal aborts with a TimeoutError, as the request context's does. */
const deadline = (ms = 5_000) => ({ signal: AbortSignal.timeout(ms), at: Date.now() + ms });

/** An attempt that fails with the given failures in turn, then succeeds; it records when it was called. */
function scripted(failures: UpstreamFailureKind[], value = 'ok') {
  const calls: number[] = [];
  const attempt = async (_signal: AbortSignal) => {
    calls.push(performance.now());
    const next = failures[calls.length - 1];
    if (next) throw new UpstreamFailure(next);
    return value;
  };
  return { attempt, calls };
}

/** An attempt that never answers on its own, only ends when its signal aborts (as the HTTP client does). */
const hanging = (calls: number[] = []) => (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    calls.push(performance.now());
    signal.addEventListener('abort', () => reject(abortFailure(signal.reason)), { once: true });
  });

async function failureOf(promise: Promise<unknown>): Promise<UpstreamFailureKind> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamFailure);
  return (error as UpstreamFailure).failure;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('UpstreamPolicy: which failures are retried', () => {
  it.each<[string, UpstreamFailureKind, number]>([
    ['a network error', { kind: 'network', cause: 'ECONNRESET' }, 3],
    ['an attempt timeout', { kind: 'timeout', attempt: true }, 3],
    ['429 without Retry-After', { kind: 'status', status: 429 }, 3],
    ['502', { kind: 'status', status: 502 }, 3],
    ['503', { kind: 'status', status: 503 }, 3],
    ['504', { kind: 'status', status: 504 }, 3],
    ['500', { kind: 'status', status: 500 }, 1],
    ['400', { kind: 'status', status: 400 }, 1],
    ['401', { kind: 'status', status: 401 }, 1],
    ['403', { kind: 'status', status: 403 }, 1],
    ['404', { kind: 'status', status: 404 }, 1],
    ['an unusable body', { kind: 'bad-response', reason: 'body is not JSON' }, 1],
  ])('%s: %i attempt(s) with 2 retries allowed', async (_name, failure, expected) => {
    const policy = new UpstreamPolicy({ ...OPTIONS, breakerMinimumRps: 1_000 });
    const { attempt, calls } = scripted([failure, failure, failure, failure]);
    const { signal, at } = deadline();
    expect(await failureOf(policy.run(attempt, signal, at))).toEqual(failure);
    expect(calls).toHaveLength(expected);
  });

  it('a retried failure followed by success returns the value', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    const { attempt, calls } = scripted([{ kind: 'status', status: 503 }]);
    const { signal, at } = deadline();
    await expect(policy.run(attempt, signal, at)).resolves.toBe('ok');
    expect(calls).toHaveLength(2);
  });

  it('maxRetries 0 makes one attempt only', async () => {
    const policy = new UpstreamPolicy({ ...OPTIONS, maxRetries: 0 });
    const { attempt, calls } = scripted([{ kind: 'status', status: 503 }]);
    const { signal, at } = deadline();
    await failureOf(policy.run(attempt, signal, at));
    expect(calls).toHaveLength(1);
  });

  it('a bug in the attempt is neither retried nor disguised as an upstream failure', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    let calls = 0;
    const { signal, at } = deadline();
    const bug = new TypeError('cannot read properties of undefined');
    await expect(
      policy.run(async () => {
        calls++;
        throw bug;
      }, signal, at),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });
});

describe('UpstreamPolicy: waits between attempts', () => {
  it('full jitter: the n-th wait is random in [0, min(max, base * 2^(n-1)))', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const delays: number[] = [];
    const policy = new UpstreamPolicy(
      { ...OPTIONS, maxRetries: 4, retryBaseMs: 10, retryMaxMs: 40 },
      { onRetry: (_reason, delayMs) => delays.push(delayMs) },
    );
    const network: UpstreamFailureKind = { kind: 'network', cause: 'ECONNREFUSED' };
    const { attempt } = scripted([network, network, network, network]);
    const { signal, at } = deadline();
    await policy.run(attempt, signal, at);
    expect(delays).toEqual([5, 10, 20, 20]);
  });

  it('a Retry-After that fits in the deadline is waited for, exactly', async () => {
    const delays: number[] = [];
    const policy = new UpstreamPolicy(OPTIONS, { onRetry: (_reason, delayMs) => delays.push(delayMs) });
    const { attempt, calls } = scripted([{ kind: 'status', status: 429, retryAfterMs: 300 }]);
    const { signal, at } = deadline(2_000);
    await expect(policy.run(attempt, signal, at)).resolves.toBe('ok');
    expect(delays).toEqual([300]);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(290);
  });

  it('a Retry-After that does not leave time for an attempt is not waited for: the 429 is the answer', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    const { attempt, calls } = scripted([{ kind: 'status', status: 429, retryAfterMs: 900 }]);
    const { signal, at } = deadline(900 + MIN_ATTEMPT_MS - 50);
    const started = performance.now();
    expect(await failureOf(policy.run(attempt, signal, at))).toEqual({ kind: 'status', status: 429, retryAfterMs: 900 });
    expect(calls).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('a jittered wait is cut so that an attempt still fits before the deadline', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const delays: number[] = [];
    const policy = new UpstreamPolicy(
      { ...OPTIONS, maxRetries: 1, retryBaseMs: 5_000, retryMaxMs: 5_000 },
      { onRetry: (_reason, delayMs) => delays.push(delayMs) },
    );
    const { attempt } = scripted([{ kind: 'status', status: 503 }]);
    const { signal, at } = deadline(600);
    await expect(policy.run(attempt, signal, at)).resolves.toBe('ok');
    expect(delays).toHaveLength(1);
    expect(delays[0]!).toBeLessThanOrEqual(600 - MIN_ATTEMPT_MS);
  });

  it('no retry once less than the minimum attempt time remains', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    const { attempt, calls } = scripted([{ kind: 'status', status: 503 }]);
    const { signal, at } = deadline(MIN_ATTEMPT_MS - 50);
    expect(await failureOf(policy.run(attempt, signal, at))).toEqual({ kind: 'status', status: 503 });
    expect(calls).toHaveLength(1);
  });
});

describe('UpstreamPolicy: timeouts and cancellation', () => {
  it('each attempt is cut at the attempt timeout and retried; all cut: a timeout failure', async () => {
    const policy = new UpstreamPolicy({ ...OPTIONS, attemptTimeoutMs: 60, breakerMinimumRps: 1_000 });
    const calls: number[] = [];
    const { signal, at } = deadline(5_000);
    expect(await failureOf(policy.run(hanging(calls), signal, at))).toEqual({ kind: 'timeout', attempt: true });
    expect(calls).toHaveLength(3);
  });

  it('the deadline cuts the attempt in flight: a deadline failure, on time', async () => {
    const policy = new UpstreamPolicy({ ...OPTIONS, attemptTimeoutMs: 1_000, breakerMinimumRps: 1_000 });
    const started = performance.now();
    const { signal, at } = deadline(400);
    expect(await failureOf(policy.run(hanging(), signal, at))).toEqual({ kind: 'timeout', attempt: false });
    expect(performance.now() - started).toBeLessThan(600);
  });

  it('the caller leaving during a Retry-After wait ends the run at once, and no further attempt is made', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    const { attempt, calls } = scripted([{ kind: 'status', status: 429, retryAfterMs: 500 }]);
    const caller = new AbortController();
    setTimeout(() => caller.abort(new DOMException('client went away', 'AbortError')), 50);
    const started = performance.now();
    expect(await failureOf(policy.run(attempt, caller.signal, Date.now() + 5_000))).toEqual({ kind: 'cancelled' });
    expect(performance.now() - started).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(calls).toHaveLength(1);
  });

  it('an already aborted signal makes no attempt', async () => {
    const policy = new UpstreamPolicy(OPTIONS);
    const { attempt, calls } = scripted([]);
    const gone = AbortSignal.abort();
    expect(await failureOf(policy.run(attempt, gone, Date.now() + 1_000))).toEqual({ kind: 'cancelled' });
    expect(calls).toHaveLength(0);
  });

  it('abort reasons are told apart: attempt timer, request deadline, caller gone', () => {
    expect(abortFailure(ATTEMPT_TIMEOUT).failure).toEqual({ kind: 'timeout', attempt: true });
    expect(abortFailure(new DOMException('The operation timed out.', 'TimeoutError')).failure).toEqual({ kind: 'timeout', attempt: false });
    expect(abortFailure(new DOMException('This operation was aborted', 'AbortError')).failure).toEqual({ kind: 'cancelled' });
    expect(abortFailure(undefined).failure).toEqual({ kind: 'cancelled' });
  });
});

describe('UpstreamPolicy: circuit breaker', () => {
  const run = (policy: UpstreamPolicy, failure?: UpstreamFailureKind) => {
    const { attempt, calls } = scripted(failure ? [failure, failure, failure] : []);
    const { signal, at } = deadline();
    return { result: policy.run(attempt, signal, at).catch((e: unknown) => e), calls };
  };

  it('opens after repeated 5xx: then fails fast with circuit-open, without an attempt', async () => {
    const states: string[] = [];
    const policy = new UpstreamPolicy({ ...OPTIONS, maxRetries: 0 }, { onBreakerStateChange: (s) => states.push(s) });
    for (let i = 0; i < 5; i++) await run(policy, { kind: 'status', status: 500 }).result;
    expect(policy.breakerState).toBe('open');
    expect(states).toEqual(['open']);
    const { result, calls } = run(policy);
    expect(((await result) as UpstreamFailure).failure).toEqual({ kind: 'circuit-open' });
    expect(calls).toHaveLength(0);
  });

  it.each<[string, UpstreamFailureKind]>([
    ['400', { kind: 'status', status: 400 }],
    ['401', { kind: 'status', status: 401 }],
    ['403', { kind: 'status', status: 403 }],
    ['429', { kind: 'status', status: 429 }],
    ['a cancelled request', { kind: 'cancelled' }],
  ])('stays closed after repeated %s', async (_name, failure) => {
    const policy = new UpstreamPolicy({ ...OPTIONS, maxRetries: 0 });
    for (let i = 0; i < 12; i++) await run(policy, failure).result;
    expect(policy.breakerState).toBe('closed');
  });

  it('half-opens after the pause; a successful trial closes it', async () => {
    const policy = new UpstreamPolicy({ ...OPTIONS, maxRetries: 0 });
    for (let i = 0; i < 5; i++) await run(policy, { kind: 'network', cause: 'ECONNREFUSED' }).result;
    expect(policy.breakerState).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, OPTIONS.breakerHalfOpenAfterMs + 20));
    const { result, calls } = run(policy);
    expect(await result).toBe('ok');
    expect(calls).toHaveLength(1);
    expect(policy.breakerState).toBe('closed');
  });
});

describe('UpstreamPolicy: bulkhead', () => {
  it('rejects at once beyond the limit and its queue: overloaded', async () => {
    const policy = new UpstreamPolicy({ ...OPTIONS, bulkheadLimit: 1, bulkheadQueue: 1 });
    const caller = new AbortController();
    const held = [0, 1].map(() => policy.run(hanging(), caller.signal, Date.now() + 5_000).catch(() => undefined));
    const { signal, at } = deadline();
    expect(await failureOf(policy.run(async () => 'ok', signal, at))).toEqual({ kind: 'overloaded' });
    caller.abort();
    await Promise.all(held);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-30T13:00:00Z');
  it.each<[string | string[] | undefined, number | undefined]>([
    ['3', 3_000],
    [' 3 ', 3_000],
    ['0', 0],
    [['2', '9'], 2_000],
    ['Tue, 30 Jan 2024 13:00:05 GMT', 5_000],
    ['Tue, 30 Jan 2024 12:59:00 GMT', 0],
    [undefined, undefined],
    ['', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
    ['2024-01-30T13:00:05Z', undefined],
    // Never more than a day: the wait stays a finite number whatever the header says.
    ['86400', 86_400_000],
    ['86401', 86_400_000],
    ['9'.repeat(400), 86_400_000],
    ['Fri, 31 Dec 9999 23:59:59 GMT', 86_400_000],
  ])('%j → %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('toAppError: the one mapping from upstream failures to codes', () => {
  it.each<[UpstreamFailureKind, string]>([
    [{ kind: 'status', status: 400 }, 'BAD_USER_INPUT'],
    [{ kind: 'status', status: 401 }, 'UNAUTHENTICATED'],
    [{ kind: 'status', status: 403 }, 'FORBIDDEN'],
    [{ kind: 'status', status: 429 }, 'RATE_LIMITED'],
    [{ kind: 'status', status: 500 }, 'UPSTREAM_ERROR'],
    [{ kind: 'status', status: 503 }, 'UPSTREAM_ERROR'],
    [{ kind: 'status', status: 302 }, 'UPSTREAM_BAD_RESPONSE'],
    [{ kind: 'network', cause: 'ECONNRESET' }, 'UPSTREAM_UNAVAILABLE'],
    [{ kind: 'circuit-open' }, 'UPSTREAM_UNAVAILABLE'],
    [{ kind: 'overloaded' }, 'UPSTREAM_UNAVAILABLE'],
    [{ kind: 'timeout', attempt: true }, 'UPSTREAM_TIMEOUT'],
    [{ kind: 'timeout', attempt: false }, 'UPSTREAM_TIMEOUT'],
    [{ kind: 'cancelled' }, 'UPSTREAM_TIMEOUT'],
    [{ kind: 'bad-response', reason: 'body is not JSON' }, 'UPSTREAM_BAD_RESPONSE'],
  ])('%j → %s', (failure, code) => {
    expect(toAppError(new UpstreamFailure(failure)).extensions.code).toBe(code);
  });

  it('429 carries retryAfterSeconds, rounded up, only when known', () => {
    expect(toAppError(new UpstreamFailure({ kind: 'status', status: 429, retryAfterMs: 1_500 })).extensions.retryAfterSeconds).toBe(2);
    expect(toAppError(new UpstreamFailure({ kind: 'status', status: 429 })).extensions).not.toHaveProperty('retryAfterSeconds');
  });
});
