import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { UpstreamClient } from '../upstream/client.js';
import { UpstreamFailure } from '../upstream/errors.js';
import type { UpstreamObserver } from '../upstream/source.js';
import { type BreakerState, Metrics } from './metrics.js';
import { OperationObserver } from './operations.js';
import { Readiness } from './readiness.js';

export { Metrics, type BreakerState, type CacheResult } from './metrics.js';
export { OperationObserver, requestIdFrom, type OperationObservation } from './operations.js';
export { Readiness, type ReadinessReport } from './readiness.js';
export { TracingUpstreamClient, startTracing, tracingExporter, type Tracing } from './tracing.js';

/** How long an answer to real traffic counts as proof that the upstream is up, before readiness probes it. */
export const READINESS_RECENT_MS = 30_000;

export interface ObservabilityOptions {
  logger: Logger;
  breakerState: () => BreakerState;
  /** The upstream's circuit breaker, which a readiness probe goes through while it is open. */
  breaker: Pick<CircuitBreakerPolicy, 'execute'>;
  client: UpstreamClient;
  probeTimeoutMs: number;
}

export interface Observability {
  metrics: Metrics;
  readiness: Readiness;
  operations: OperationObserver;
  /** For the upstream source: counts and times every HTTP attempt, and feeds readiness. */
  upstreamObserver: UpstreamObserver;
  /** Answers `/metrics` and `/readiness`; returns false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
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
  const metrics = new Metrics({ breakerState: options.breakerState });
  const readiness = new Readiness({
    breakerState: options.breakerState,
    probe: (signal) => probeUpstream(options.client, signal),
    throughBreaker: (run) => options.breaker.execute(run),
    recentMs: READINESS_RECENT_MS,
    probeTimeoutMs: options.probeTimeoutMs,
  });
  const operations = new OperationObserver({ metrics, logger: options.logger });

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };

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
    handle(req, res) {
      const pathname = (req.url ?? '/').split('?', 1)[0]!;
      if (pathname === '/metrics') {
        metrics.expose().then(
          ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
          (error: unknown) => {
            options.logger.error({ err: error }, 'collecting metrics failed');
            res.writeHead(500).end();
          },
        );
        return true;
      }
      if (pathname === '/readiness') {
        readiness.check().then(
          (report) => sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...report }),
          () => sendJson(res, 503, { status: 'not ready', ready: false }),
        );
        return true;
      }
      return false;
    },
  };
}
