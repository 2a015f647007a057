import { randomUUID } from 'node:crypto';
import {
  type Context as OtelContext,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  ROOT_CONTEXT,
  type TextMapGetter,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { type DocumentNode, getOperationAST, parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, SERVER_SIDE_CODES } from '../domain/errors.js';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import { tracer, tracingOn } from './tracing.js';

/** The span of every request while tracing is off: records nothing, and is shared. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The caller's `x-request-id` when it is a sane token, else a fresh UUID. */
export function requestIdFrom(headers: Headers): string {
  const given = headers.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Operation names come from clients: longer ones are cut to this many characters in logs, spans and labels. */
export const MAX_OPERATION_NAME_LENGTH = 100;

/**
 * An operation name as logs, spans and metric labels show it: at most MAX_OPERATION_NAME_LENGTH characters,
 * then `…` and the full length when it was cut (a 900 KB name must not become a 900 KB log line).
 */
export function shownOperationName(name: string): string {
  if (name.length <= MAX_OPERATION_NAME_LENGTH) return name;
  // Never cut between the two halves of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(name[MAX_OPERATION_NAME_LENGTH - 1]!) ? MAX_OPERATION_NAME_LENGTH - 1 : MAX_OPERATION_NAME_LENGTH;
  return `${name.slice(0, end)}…[${name.length} chars]`;
}

/** What is known about one GraphQL request while it runs. */
export interface OperationObservation {
  readonly requestId: string;
  readonly startedAt: number;
  readonly span: Span;
  /** The caller's trace context (W3C traceparent, baggage) with this request's span in it; undefined with tracing off. */
  readonly traceContext: OtelContext | undefined;
  /** The operation's name as shown (cut by `shownOperationName`). */
  operationName: string | undefined;
  /** The name the request asked to run, whole: it selects the operation in the document. */
  requestedOperationName: string | undefined;
  operationType: string | undefined;
  /** The document as sent, kept until the operation is known from it. */
  query: string | undefined;
  /** Outcomes counted by name in a Map: a status such as `200` as an object key would be an array index. */
  readonly upstream: { attempts: number; durationMs: number; outcomes: Map<string, number> };
  /** One HTTP attempt at the upstream made for this request: its status or failure kind, and its latency. */
  recordUpstreamAttempt(outcome: string, durationMs: number): void;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export interface OperationObserverOptions {
  metrics: Metrics;
  logger: Logger;
}

/**
 * Observes every GraphQL request: a request id (echoed in the response), a server span (a child of the
 * caller's `traceparent`, active while the operation runs so that upstream spans hang below it), request
 * counts, durations and error codes per operation, and one log line with the upstream work it caused.
 */
export class OperationObserver {
  private readonly observations = new WeakMap<Request, OperationObservation>();

  constructor(private readonly options: OperationObserverOptions) {}

  /** The observation of a request in flight, for the context built for it. */
  readonly of = (request: Request): OperationObservation | undefined => this.observations.get(request);

  /**
   * With tracing on (a tracer provider registered before the server is built, as `startTracing` does), each
   * operation runs inside its span's context through Yoga's operation instrumentation, so upstream spans and log
   * lines hang below it. With tracing off there is nothing to enter: the observation starts in `onParams`, and
   * Yoga wraps nothing.
   */
  readonly plugin: Plugin = {
    ...this.operationInstrumentation(),
    onParams: ({ request, params }) => {
      const observation = this.observations.get(request) ?? this.start(request);
      // Not yet validated here: any JSON value may arrive, and only a string names an operation.
      if (observation.operationName === undefined && typeof params.operationName === 'string' && params.operationName) {
        observation.requestedOperationName = params.operationName;
        observation.operationName = shownOperationName(params.operationName);
      }
      observation.query = params.query;
    },
    onParse: ({ context: graphqlContext }) => {
      return ({ result }) => {
        const observation = this.observations.get(graphqlContext.request);
        if (observation && result && !(result instanceof Error)) identify(observation, result as DocumentNode);
      };
    },
    // After the error plugin (registered before this one), so every error has its code.
    onResultProcess: ({ request, result }) => {
      const observation = this.observations.get(request) ?? this.start(request);
      const errorCodes = errorCodesOf(result);
      // A result served without parsing (a response cache hit) still belongs to its operation.
      if (observation.operationType === undefined && observation.query && !errorCodes.includes(ErrorCode.GRAPHQL_PARSE_FAILED)) {
        try {
          identify(observation, parse(observation.query));
        } catch {
          // not a document: the operation stays unknown
        }
      }
      this.finish(observation, errorCodes);
    },
    onResponse: ({ request, response }) => {
      const observation = this.observations.get(request);
      if (!observation) return;
      response.headers.set('x-request-id', observation.requestId);
      // Done with: a WeakMap's entries outlive minor GCs until a major one, so the request's own go now.
      this.observations.delete(request);
    },
  };

  private operationInstrumentation(): Pick<Plugin, 'instrumentation'> {
    if (!tracingOn()) return {};
    return {
      instrumentation: {
        operation: ({ request }, run) => {
          const { traceContext } = this.start(request);
          return traceContext ? context.with(traceContext, run) : run();
        },
      },
    };
  }

  private start(request: Request): OperationObservation {
    const requestId = requestIdFrom(request.headers);
    let span = NO_SPAN;
    let traceContext: OtelContext | undefined;
    if (tracingOn()) {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
      // Hand-written: one server span per GraphQL request, named after its operation and carrying our error codes.
      // @opentelemetry/instrumentation-http would add a `POST` span per HTTP request (and need a loader hook before
      // node:http loads), @envelop/opentelemetry a span per phase; neither gives this one.
      span = tracer().startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'request.id': requestId } }, parent);
      traceContext = trace.setSpan(parent, span);
    }
    const upstream: OperationObservation['upstream'] = { attempts: 0, durationMs: 0, outcomes: new Map() };
    const observation: OperationObservation = {
      requestId,
      startedAt: performance.now(),
      span,
      traceContext,
      operationName: undefined,
      requestedOperationName: undefined,
      operationType: undefined,
      query: undefined,
      upstream,
      recordUpstreamAttempt(outcome, durationMs) {
        upstream.attempts += 1;
        upstream.durationMs += durationMs;
        upstream.outcomes.set(outcome, (upstream.outcomes.get(outcome) ?? 0) + 1);
      },
    };
    this.observations.set(request, observation);
    return observation;
  }

  private finish(observation: OperationObservation, errorCodes: string[]): void {
    const { metrics, logger } = this.options;
    const durationMs = performance.now() - observation.startedAt;
    const proven = answeredOnce(observation.upstream.outcomes);
    const operation = metrics.operationLabel(observation.operationName, proven);
    const type = observation.operationType ?? 'unknown';
    metrics.recordOperation(operation, type, durationMs, errorCodes);

    const { span, upstream } = observation;
    if (errorCodes.length > 0) {
      span.setAttribute('graphql.error.codes', [...new Set(errorCodes)]);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodes.join(', ') });
    }
    span.end();

    const failed = errorCodes.some((code) => SERVER_SIDE_CODES.has(code));
    // The line is built only when its level is on (at `warn`, a successful request writes nothing).
    if (!logger.isLevelEnabled(failed ? 'warn' : 'info')) return;
    const entry = {
      requestId: observation.requestId,
      operation: observation.operationName ?? null,
      operationType: type,
      durationMs: Math.round(durationMs * 10) / 10,
      upstream: { attempts: upstream.attempts, durationMs: Math.round(upstream.durationMs * 10) / 10, outcomes: Object.fromEntries(upstream.outcomes) },
      ...(errorCodes.length > 0 ? { errors: errorCodes } : {}),
    };
    const log = () => (failed ? logger.warn(entry, 'graphql request failed') : logger.info(entry, 'graphql request'));
    // Within the operation's span, so that a logger with trace ids gives this line the span's.
    if (observation.traceContext) context.with(observation.traceContext, log);
    else log();
  }
}

/** Whether the upstream answered with data at least once (a 2xx or an empty 404): the caller holds a working credential. */
function answeredOnce(outcomes: Map<string, number>): boolean {
  for (const outcome of outcomes.keys()) if (/^(2\d\d|404)$/.test(outcome)) return true;
  return false;
}

/** Names the observation (and its span) after the operation the document selects. */
function identify(observation: OperationObservation, document: DocumentNode): void {
  const operation = getOperationAST(document, observation.requestedOperationName ?? null);
  observation.query = undefined;
  if (!operation) return;
  const name = operation.name ? shownOperationName(operation.name.value) : undefined;
  observation.operationType = operation.operation;
  if (name) observation.operationName = name;
  observation.span.updateName(`${operation.operation} ${name ?? 'anonymous'}`);
  observation.span.setAttribute('graphql.operation.type', operation.operation);
  if (name) observation.span.setAttribute('graphql.operation.name', name);
}

function errorCodesOf(result: unknown): string[] {
  const results = Array.isArray(result) ? result : [result];
  const codes: string[] = [];
  for (const one of results) {
    const errors = (one as { errors?: ReadonlyArray<{ extensions?: { code?: unknown } }> } | null)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) {
      const code = error.extensions?.code;
      codes.push(typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR);
    }
  }
  return codes;
}
