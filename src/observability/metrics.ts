import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState } from '../upstream/policy.js';

export type { BreakerState };
export type CacheResult = 'hit' | 'miss';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open'];
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Operation names come from clients: each pool admits this many distinct names, later ones count as `other`.
 * Names of operations the upstream answered (proof of a working credential) have a pool of their own, so that
 * callers without one cannot fill the labels and leave real operations unnamed.
 */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export interface MetricsOptions {
  /** Read at scrape time, so the gauge always shows the breaker's current state. */
  breakerState: () => BreakerState;
}

/**
 * The Prometheus metrics of one app. Each app has its own registry, so several apps in one process (tests)
 * never share or collide on series.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly provenOperationLabels = new Set<string>();
  private readonly otherOperationLabels = new Set<string>();

  private readonly graphqlRequests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL requests, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    registers: [this.registry],
  });
  private readonly graphqlDuration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to its result, by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly graphqlErrors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors in GraphQL results, by operation name and extensions.code',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });
  private readonly upstreamRequests = new Counter({
    name: 'upstream_requests_total',
    help: 'HTTP attempts at the call-history endpoint, by HTTP status or failure kind (network, timeout, bad-response)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly upstreamDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Latency of one HTTP attempt at the call-history endpoint, by HTTP status or failure kind',
    labelNames: ['status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly upstreamRetries = new Counter({
    name: 'upstream_retries_total',
    help: 'Upstream attempts repeated after a retryable failure (network, attempt timeout, 429, 502-504)',
    registers: [this.registry],
  });
  private readonly breakerTransitions = new Counter({
    name: 'upstream_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by the state entered',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly responseCache = new Counter({
    name: 'graphql_response_cache_total',
    help: 'Response cache lookups, by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(options: MetricsOptions) {
    new Gauge({
      name: 'upstream_circuit_breaker_state',
      help: 'The circuit breaker in front of the upstream: 1 for its current state, 0 for the others',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const current = options.breakerState();
        for (const state of BREAKER_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    // Series that exist from the start, so dashboards and alerts see zeros rather than no data.
    for (const result of ['hit', 'miss'] as const) this.responseCache.inc({ result }, 0);
    this.upstreamRetries.inc(0);
  }

  /** Node.js process metrics (CPU, memory, event loop, GC): for the one app a process serves. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** `proven`: the upstream answered this operation with data (a 2xx or an empty 404), so its caller holds a working credential. */
  operationLabel(name: string | undefined, proven = false): string {
    if (name === undefined) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (this.provenOperationLabels.has(name) || this.otherOperationLabels.has(name)) return name;
    const pool = proven ? this.provenOperationLabels : this.otherOperationLabels;
    if (pool.size >= MAX_OPERATION_LABELS) return 'other';
    pool.add(name);
    return name;
  }

  recordOperation(operation: string, type: string, durationMs: number, errorCodes: readonly string[]): void {
    this.graphqlRequests.inc({ operation, type });
    this.graphqlDuration.observe({ operation, type }, durationMs / 1000);
    for (const code of errorCodes) this.graphqlErrors.inc({ operation, code });
  }

  recordUpstream(status: string, durationMs: number): void {
    this.upstreamRequests.inc({ status });
    this.upstreamDuration.observe({ status }, durationMs / 1000);
  }

  recordRetry(): void {
    this.upstreamRetries.inc();
  }

  recordBreakerTransition(state: BreakerState): void {
    this.breakerTransitions.inc({ state });
  }

  /** For the response cache: one call per lookup. */
  recordCacheResult(result: CacheResult): void {
    this.responseCache.inc({ result });
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
