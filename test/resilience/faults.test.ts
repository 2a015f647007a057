import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type FaultInput, type RunningEmulator } from '../../src/emulator/index.js';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';
import { CallSids } from '../support/operations.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { FAULT_TEST_KEY, attempts, clearChaos, newProject, setChaos } from './chaos.js';

// Short budgets keep hang and slow-body cases quick: one deadline of 1.5 s per GraphQL request, 600 ms per
// attempt, two retries.
const DEADLINE_MS = 1_500;
const POLICY_ENV = {
  UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: '600',
  UPSTREAM_MAX_RETRIES: '2',
};
const MAX_ATTEMPTS = 3;
/** The deadline plus 10%, plus a fixed allowance for a loaded CI machine (timers and the event loop run late). */
const ANSWER_BOUND_MS = DEADLINE_MS * 1.1 + 500;
const KEY = { 'x-api-key': FAULT_TEST_KEY };

type Result = GraphQLResponse<unknown>;

/** Every failed answer has the same shape: HTTP 200, data null, one error at callHistory with a code. */
function expectFailure(result: Result, code: string): Record<string, unknown> {
  expect(result.status).toBe(200);
  expect(result.data).toBeNull();
  expect(result.errors).toHaveLength(1);
  const error = result.errors![0]!;
  expect(error.path).toEqual(['callHistory']);
  expect(error.extensions?.code).toBe(code);
  expect(typeof error.message).toBe('string');
  // No upstream body reaches the caller (the emulator's fault bodies).
  expect(JSON.stringify(result)).not.toMatch(/Internal server error|Bad gateway|Service unavailable|Too many requests|<html|temporarily/i);
  return error.extensions!;
}

function expectCalls(result: Result, count: number): void {
  expect(result.status).toBe(200);
  expect(result.errors).toBeUndefined();
  const nodes = (result.data as { callHistory: { nodes: unknown[] } }).callHistory.nodes;
  expect(nodes).toHaveLength(count);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('fault suite: every chaos fault of the emulator becomes a well-formed, coded answer within the deadline', () => {
  let emulator: RunningEmulator;
  let api: TestApp;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    emulator = await startEmulator({ port: 0, chaos: true, demo: false, slowBodyMs: 10_000 });
    // A breaker that never opens here (it would need 10,000 requests a second): it has its own tests below.
    api = await startTestApp(emulator.url, { ...POLICY_ENV, UPSTREAM_BREAKER_MIN_RPS: '10000' });
  });
  afterAll(async () => {
    await api?.close();
    await emulator?.close();
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await clearChaos(emulator);
    expect(unhandled).toEqual([]);
  });

  /** Sets the project's fault script, runs one GraphQL request, and reports the answer, its time and the attempts. */
  async function withFaults(faults: FaultInput[]): Promise<{ result: Result; ms: number; attempts: number }> {
    const projectId = newProject(emulator);
    await setChaos(emulator, { projectId, faults });
    const started = performance.now();
    const result = await api.execute(CallSids, { projectId, first: 5 }, KEY);
    const ms = performance.now() - started;
    expect(ms).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    return { result, ms, attempts: attempts(emulator, projectId) };
  }

  const times = (fault: FaultInput, n = MAX_ATTEMPTS): FaultInput[] => Array.from({ length: n }, () => fault);

  describe('5xx', () => {
    it('500 is not retried: UPSTREAM_ERROR after one attempt', async () => {
      const { result, attempts } = await withFaults(times('500'));
      expect(expectFailure(result, 'UPSTREAM_ERROR').upstreamStatus).toBe(500);
      expect(attempts).toBe(1);
    });

    it.each(['502', '503'] as const)('%s is retried up to the maximum, then UPSTREAM_ERROR', async (fault) => {
      const { result, attempts } = await withFaults(times(fault, MAX_ATTEMPTS + 2));
      expect(expectFailure(result, 'UPSTREAM_ERROR').upstreamStatus).toBe(Number(fault));
      expect(attempts).toBe(MAX_ATTEMPTS);
    });

    it.each(['502', '503'] as const)('one %s followed by a good answer returns the calls', async (fault) => {
      const { result, attempts } = await withFaults([fault]);
      expectCalls(result, 5);
      expect(attempts).toBe(2);
    });
  });

  describe('429 and Retry-After', () => {
    it('Retry-After that fits in the deadline is waited for; the next that does not is not: RATE_LIMITED', async () => {
      const { result, ms, attempts } = await withFaults(times({ kind: '429', retryAfter: 1 }));
      const extensions = expectFailure(result, 'RATE_LIMITED');
      expect(extensions.retryAfterSeconds).toBe(1);
      // 1 s waited before the second attempt; a second 1 s wait would pass the 1.5 s deadline, so none.
      expect(attempts).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(950);
    });

    it('a Retry-After of 1 s then a good answer: the calls, no earlier than 1 s', async () => {
      const { result, ms, attempts } = await withFaults([{ kind: '429', retryAfter: 1 }]);
      expectCalls(result, 5);
      expect(attempts).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(950);
    });

    it('a Retry-After longer than the deadline is not waited for: RATE_LIMITED at once, with retryAfterSeconds', async () => {
      const { result, ms, attempts } = await withFaults([{ kind: '429', retryAfter: 30 }]);
      expect(expectFailure(result, 'RATE_LIMITED').retryAfterSeconds).toBe(30);
      expect(attempts).toBe(1);
      expect(ms).toBeLessThan(900);
    });

    it('429 without Retry-After is retried with backoff, then RATE_LIMITED without retryAfterSeconds', async () => {
      const { result, attempts } = await withFaults(times('429-no-retry-after'));
      const extensions = expectFailure(result, 'RATE_LIMITED');
      expect(extensions).not.toHaveProperty('retryAfterSeconds');
      expect(attempts).toBe(MAX_ATTEMPTS);
    });

    it('503 with a Retry-After that fits is waited for, then the calls', async () => {
      const { result, ms, attempts } = await withFaults([{ kind: '503-retry-after', retryAfter: 1 }]);
      expectCalls(result, 5);
      expect(attempts).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(950);
    });

    it('503 with a Retry-After beyond the deadline: UPSTREAM_ERROR at once', async () => {
      const { result, ms, attempts } = await withFaults([{ kind: '503-retry-after', retryAfter: 60 }]);
      expect(expectFailure(result, 'UPSTREAM_ERROR').upstreamStatus).toBe(503);
      expect(attempts).toBe(1);
      expect(ms).toBeLessThan(900);
    });
  });

  describe('slow and broken connections', () => {
    it('an upstream that never answers: UPSTREAM_TIMEOUT at the deadline, after attempts cut at 600 ms', async () => {
      const { result, ms, attempts } = await withFaults(times('hang', 5));
      expectFailure(result, 'UPSTREAM_TIMEOUT');
      expect(ms).toBeGreaterThanOrEqual(1_150);
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(MAX_ATTEMPTS);
    });

    it('one hung attempt is cut at the attempt timeout and retried: the calls', async () => {
      const { result, ms, attempts } = await withFaults(['hang']);
      expectCalls(result, 5);
      expect(attempts).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(550);
    });

    it('a body that trickles in for 10 s: UPSTREAM_TIMEOUT within the deadline', async () => {
      const { result, attempts } = await withFaults(times('slow-body', 5));
      expectFailure(result, 'UPSTREAM_TIMEOUT');
      expect(attempts).toBeGreaterThanOrEqual(2);
    });

    it('a connection reset on every attempt: UPSTREAM_UNAVAILABLE after all attempts', async () => {
      const { result, attempts } = await withFaults(times('reset', 5));
      expectFailure(result, 'UPSTREAM_UNAVAILABLE');
      expect(attempts).toBe(MAX_ATTEMPTS);
    });

    it('one reset then a good answer: the calls', async () => {
      const { result, attempts } = await withFaults(['reset']);
      expectCalls(result, 5);
      expect(attempts).toBe(2);
    });
  });

  describe('unusable bodies: UPSTREAM_BAD_RESPONSE, not retried', () => {
    it.each(['not-json', 'html', 'renamed-fields', 'truncated-json'] as const)('%s', async (fault) => {
      const { result, attempts } = await withFaults(times(fault));
      expectFailure(result, 'UPSTREAM_BAD_RESPONSE');
      expect(attempts).toBe(1);
    });
  });

  describe('the caller’s own errors are never retried', () => {
    it('an unknown key (401): UNAUTHENTICATED after one attempt', async () => {
      const projectId = newProject(emulator);
      const result = await api.execute(CallSids, { projectId, first: 5 }, { 'x-api-key': 'nobody-knows-this-key' });
      expectFailure(result, 'UNAUTHENTICATED');
      expect(attempts(emulator, projectId)).toBe(1);
    });

    it('a key for another project (403): FORBIDDEN after one attempt', async () => {
      const projectId = newProject(emulator);
      emulator.store.grant('api-key', 'other-project-key', ['somewhere-else']);
      const result = await api.execute(CallSids, { projectId, first: 5 }, { 'x-api-key': 'other-project-key' });
      expectFailure(result, 'FORBIDDEN');
      expect(attempts(emulator, projectId)).toBe(1);
    });

    it('an empty list (404): an empty connection after one attempt', async () => {
      const projectId = newProject(emulator, 0);
      const result = await api.execute(CallSids, { projectId, first: 5 }, KEY);
      expectCalls(result, 0);
      expect(attempts(emulator, projectId)).toBe(1);
    });
  });

  it('a storm of mixed faults on 40 concurrent requests: each answer well formed, coded, within the deadline', async () => {
    const projectId = newProject(emulator, 30);
    await setChaos(emulator, {
      projectId,
      rate: 0.7,
      seed: 7,
      retryAfter: 1,
      rateFaults: ['500', '502', '503', '429', '429-no-retry-after', 'hang', 'slow-body', 'reset', 'not-json', 'html', 'renamed-fields', 'truncated-json'],
    });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const started = performance.now();
        // Distinct page sizes, so that no two requests share one upstream call.
        const result = await api.execute(CallSids, { projectId, first: i + 1 }, KEY);
        return { result, ms: performance.now() - started };
      }),
    );
    const allowed = new Set(['UPSTREAM_ERROR', 'RATE_LIMITED', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_BAD_RESPONSE']);
    for (const { result, ms } of outcomes) {
      expect(result.status).toBe(200);
      expect(ms).toBeLessThanOrEqual(ANSWER_BOUND_MS);
      if (result.errors) expect(allowed).toContain(result.errors[0]?.extensions?.code);
      else expect((result.data as { callHistory: { nodes: unknown[] } }).callHistory.nodes.length).toBeGreaterThan(0);
    }
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('fault suite: statuses the emulator does not script', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    // A 1 MB body cap: the oversized body below is refused well within the 600 ms attempt, even on a loaded machine.
    api = await startTestApp(upstream.url, { ...POLICY_ENV, UPSTREAM_BREAKER_MIN_RPS: '10000', UPSTREAM_MAX_RESPONSE_BYTES: '1000000' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it.each([
    [400, 'BAD_USER_INPUT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
  ])('%i is never retried: %s', async (status, code) => {
    upstream.respondWith(() => ({ status, body: { message: 'no', status: 'error' } }));
    const result = await api.execute(CallSids, { projectId: 'p', first: 5 }, KEY);
    expectFailure(result, code);
    expect(upstream.requests).toHaveLength(1);
  });

  it('404 is never retried: an empty connection', async () => {
    upstream.respondWith(() => ({ status: 404, body: { message: 'none', status: 'error' } }));
    expectCalls(await api.execute(CallSids, { projectId: 'p', first: 5 }, KEY), 0);
    expect(upstream.requests).toHaveLength(1);
  });

  it('a body over UPSTREAM_MAX_RESPONSE_BYTES (1 MB here): UPSTREAM_BAD_RESPONSE, not read to the end', async () => {
    const huge = `{"data":[${'"x",'.repeat(4_500_000)}"x"]}`;
    upstream.respondWith(() => ({ rawBody: huge }));
    const result = await api.execute(CallSids, { projectId: 'p', first: 5 }, KEY);
    expectFailure(result, 'UPSTREAM_BAD_RESPONSE');
    expect(upstream.requests).toHaveLength(1);
  });

  it('504 is retried up to the maximum, then UPSTREAM_ERROR', async () => {
    upstream.respondWith(() => ({ status: 504, body: { message: 'gateway timeout' } }));
    const result = await api.execute(CallSids, { projectId: 'p', first: 5 }, KEY);
    expect(expectFailure(result, 'UPSTREAM_ERROR').upstreamStatus).toBe(504);
    expect(upstream.requests).toHaveLength(MAX_ATTEMPTS);
  });

  it('Retry-After as an HTTP date that fits is honoured', async () => {
    // A longer deadline here: an HTTP date has whole seconds, so "2 s from now" means a wait of 1 to 2 s.
    const patient = await startTestApp(upstream.url, { ...POLICY_ENV, UPSTREAM_TIMEOUT_MS: '5000', UPSTREAM_BREAKER_MIN_RPS: '10000' });
    try {
      let calls = 0;
      upstream.respondWith(() =>
        ++calls === 1
          ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2_000).toUTCString() }, body: {} }
          : success([vendorRecord()]),
      );
      const started = performance.now();
      expectCalls(await patient.execute(CallSids, { projectId: 'p', first: 5 }, KEY), 1);
      expect(upstream.requests).toHaveLength(2);
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await patient.close();
    }
  });
});

describe('fault suite: the circuit breaker of the upstream origin', () => {
  let emulator: RunningEmulator;

  // Opens when more than half of at least 5 requests in a 5 s window failed; one trial after 1 s.
  const BREAKER_ENV = {
    ...POLICY_ENV,
    UPSTREAM_MAX_RETRIES: '0',
    UPSTREAM_BREAKER_THRESHOLD: '0.5',
    UPSTREAM_BREAKER_WINDOW_MS: '5000',
    UPSTREAM_BREAKER_MIN_RPS: '1',
    UPSTREAM_BREAKER_HALF_OPEN_MS: '1000',
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    emulator = await startEmulator({ port: 0, chaos: true, demo: false });
  });
  afterAll(async () => {
    await emulator.close();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  /** Each test gets a fresh server, so a fresh breaker. */
  async function withApp(run: (api: TestApp) => Promise<void>): Promise<void> {
    const api = await startTestApp(emulator.url, BREAKER_ENV);
    try {
      await run(api);
    } finally {
      await api.close();
      await clearChaos(emulator);
    }
  }

  async function failUntilOpen(api: TestApp, projectId: string): Promise<number> {
    let failures = 0;
    while (api.app.source.policy.breakerState === 'closed' && failures < 20) {
      expectFailure(await api.execute(CallSids, { projectId, first: 5 }, KEY), 'UPSTREAM_ERROR');
      failures++;
    }
    return failures;
  }

  it('opens after repeated 5xx; while open, requests fail fast with UPSTREAM_UNAVAILABLE and reach no upstream', async () => {
    await withApp(async (api) => {
      const projectId = newProject(emulator);
      await setChaos(emulator, { projectId, faults: times500(20) });
      const failures = await failUntilOpen(api, projectId);
      expect(failures).toBe(5);
      expect(api.app.source.policy.breakerState).toBe('open');

      const before = attempts(emulator, projectId);
      const started = performance.now();
      const result = await api.execute(CallSids, { projectId, first: 5 }, KEY);
      expect(expectFailure(result, 'UPSTREAM_UNAVAILABLE')).toBeDefined();
      expect(result.errors![0]!.message).toMatch(/circuit open/);
      expect(performance.now() - started).toBeLessThan(500);
      expect(attempts(emulator, projectId)).toBe(before);
      expect(api.logs.some((line) => line.includes('circuit breaker state changed') && line.includes('"open"'))).toBe(true);
    });
  });

  it.each([
    ['401', { 'x-api-key': 'unknown-key' }, 'UNAUTHENTICATED'],
    ['403', { 'x-api-key': 'wrong-project-key' }, 'FORBIDDEN'],
  ])('does not open after repeated %s answers', async (_status, headers, code) => {
    emulator.store.grant('api-key', 'wrong-project-key', ['not-this-one']);
    await withApp(async (api) => {
      const projectId = newProject(emulator);
      for (let i = 0; i < 12; i++) expectFailure(await api.execute(CallSids, { projectId, first: 5 }, headers), code);
      expect(attempts(emulator, projectId)).toBe(12);
      expect(api.app.source.policy.breakerState).toBe('closed');
      expectCalls(await api.execute(CallSids, { projectId, first: 5 }, KEY), 5);
    });
  });

  it('half-open: after the pause one trial goes through; its success closes the circuit', async () => {
    await withApp(async (api) => {
      const projectId = newProject(emulator);
      await setChaos(emulator, { projectId, faults: times500(5) });
      await failUntilOpen(api, projectId);
      expect(api.app.source.policy.breakerState).toBe('open');
      await sleep(1_100);
      expectCalls(await api.execute(CallSids, { projectId, first: 5 }, KEY), 5);
      expect(api.app.source.policy.breakerState).toBe('closed');
      expectCalls(await api.execute(CallSids, { projectId, first: 3 }, KEY), 3);
    });
  });

  it('half-open: a failed trial opens the circuit again', async () => {
    await withApp(async (api) => {
      const projectId = newProject(emulator);
      await setChaos(emulator, { projectId, faults: times500(6) });
      await failUntilOpen(api, projectId);
      await sleep(1_100);
      expectFailure(await api.execute(CallSids, { projectId, first: 5 }, KEY), 'UPSTREAM_ERROR');
      expect(api.app.source.policy.breakerState).toBe('open');
      const before = attempts(emulator, projectId);
      expectFailure(await api.execute(CallSids, { projectId, first: 5 }, KEY), 'UPSTREAM_UNAVAILABLE');
      expect(attempts(emulator, projectId)).toBe(before);
    });
  });
});

const times500 = (n: number): FaultInput[] => Array.from({ length: n }, () => '500');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
