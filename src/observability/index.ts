import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { UpstreamClient } from '../upstream/client.js';
import { UpstreamFailure } from '../upstream/errors.js';
import type { UpstreamPolicy } from '../upstream/policy.js';
import type { UpstreamObserver } from '../upstream/source.js';
import { Metrics } from './metrics.js';
import { OperationObserver } from './operations.js';
import { Readiness } from './readiness.js';

export { Metrics, type BreakerState, type CacheResult } from './metrics.js';
export { OperationObserver, requestIdFrom, type OperationObservation } from './operations.js';
export { Readiness, type ReadinessReport } from './readiness.js';
export { startTracing, tracingChoice, type Tracing } from './tracing.js';

/** How long an answer to real traffic counts as proof that the upstream is up, before readiness probes it. */
export const READINESS_RECENT_MS = 30_000;

export interface ObservabilityOptions {
  logger: Logger;
  /** The upstream's policy: its breaker's state is a metric and a readiness condition; its events are counted. */
  policy: UpstreamPolicy;
  /** What a readiness probe asks (without any credential). */
  client: UpstreamClient;
  probeTimeoutMs: number;
  /** Answer `/metrics` on the API's port (false when METRICS_PORT gives it a port of its own). */
  metricsEndpoint?: boolean;
}

export interface Observability {
  metrics: Metrics;
  readiness: Readiness;
  operations: OperationObserver;
  /** For the upstream source: counts and times every HTTP attempt, and feeds readiness. */
  upstreamObserver: UpstreamObserver;
  /** Yoga plugins for `/readiness` (Yoga's readiness check) and `/metrics` (Prometheus text). */
  plugins: Plugin[];
}

/**
 * A request the upstream answers without a credential or data (401 from the real API and the emulator): any
 * answer below 500 shows it is up, and resolves with its status. It never carries a credential. A 5xx, a
 * network failure or a timeout rejects with the UpstreamFailure, which a circuit breaker counts as a failure.
 */
export async function probeUpstream(client: UpstreamClient, signal: AbortSignal): Promise<number> {
  try {
    const body = await client.post({ projectId: 'readiness-probe', pageSize: 1, filters: [] }, {}, signal, {
      'x-request-id': 'readiness-probe',
    });
    return body === null ? 404 : 200;
  } catch (error) {
    if (error instanceof UpstreamFailure && error.failure.kind === 'status' && error.failure.status < 500) return error.failure.status;
    throw error;
  }
}

export function createObservability(options: ObservabilityOptions): Observability {
  const { policy, client, logger } = options;
  const breakerState = () => policy.breakerState;
  const metrics = new Metrics({ breakerState });
  policy.observe({
    onBreakerStateChange: (state) => {
      metrics.recordBreakerTransition(state);
      logger.warn({ origin: client.origin, state }, 'upstream circuit breaker state changed');
    },
    onRetry: (reason, delayMs) => {
      metrics.recordRetry();
      logger.debug({ reason, delayMs: Math.round(delayMs) }, 'retrying upstream request');
    },
  });
  const readiness = new Readiness({
    breakerState,
    probe: (signal) => probeUpstream(client, signal),
    throughBreaker: (run) => policy.breaker.execute(run),
    recentMs: READINESS_RECENT_MS,
    probeTimeoutMs: options.probeTimeoutMs,
  });
  const operations = new OperationObserver({ metrics, logger: options.logger });

  return {
    metrics,
    readiness,
    operations,
    upstreamObserver: {
      onResponse: (outcome, durationMs) => {
        metrics.recordUpstream(outcome, durationMs);
        readiness.recordOutcome(outcome);
      },
    },
    plugins: [
      useReadinessEndpoint(readiness),
      ...(options.metricsEndpoint === false ? [] : [useMetricsEndpoint(metrics, logger)]),
    ],
  };
}

/**
 * `/readiness`: the readiness report, 200 when ready, else 503. Matched on the path alone (Yoga's readiness plugin
 * also runs a URLPattern on every request, a cost every GraphQL request would pay).
 */
export function useReadinessEndpoint(readiness: Readiness, endpoint = '/readiness'): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      return readiness
        .check()
        .catch(() => ({ ready: false }))
        .then((report) =>
          endResponse(
            fetchAPI.Response.json(
              { status: report.ready ? 'ready' : 'not ready', ...report },
              { status: report.ready ? 200 : 503, headers: { 'cache-control': 'no-store' } },
            ),
          ),
        );
    },
  };
}

/** `GET /metrics`: the registry's exposition text, answered by Yoga before any GraphQL handling. */
export function useMetricsEndpoint(metrics: Metrics, logger: Logger, endpoint = '/metrics'): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      return metrics.expose().then(
        ({ contentType, body }) =>
          endResponse(new fetchAPI.Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } })),
        (error: unknown) => {
          logger.error({ err: error }, 'collecting metrics failed');
          endResponse(new fetchAPI.Response(null, { status: 500 }));
        },
      );
    },
  };
}
