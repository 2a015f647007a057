import { type Attributes, SpanKind, SpanStatusCode, context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { Attempt } from '../upstream/client.js';
import { UpstreamFailure } from '../upstream/errors.js';
import { outcomeOf } from '../upstream/source.js';

export const TRACER_NAME = 'call-history-graphql';

/** The tracer every span of this server comes from: a no-op until a tracer provider is registered. */
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

export interface TracingSettings {
  OTEL_TRACES_EXPORTER?: 'otlp' | 'console' | 'none' | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME: string;
}

export interface Tracing {
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Tracing is off unless the standard variables ask for it: an OTLP endpoint, or OTEL_TRACES_EXPORTER set to
 * `otlp` or `console` (`none` turns it off whatever else is set).
 */
export function tracingExporter(settings: TracingSettings): 'otlp' | 'console' | undefined {
  if (settings.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (settings.OTEL_TRACES_EXPORTER) return settings.OTEL_TRACES_EXPORTER;
  return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || settings.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : undefined;
}

/** The OTLP/HTTP traces URL: the signal-specific endpoint as given, or `v1/traces` under the base endpoint. */
export function otlpTracesUrl(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!settings.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Registers a tracer provider (W3C trace-context propagation, async-local context) when the settings ask for
 * tracing; returns undefined, and leaves every span a no-op, when they do not. Other standard variables
 * (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES...)
 * are read by the SDK itself.
 */
export function startTracing(settings: TracingSettings, serviceVersion?: string): Tracing | undefined {
  const exporter = tracingExporter(settings);
  if (!exporter) return undefined;
  const url = otlpTracesUrl(settings);
  const processor: SpanProcessor =
    exporter === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {}));
  const ours = resourceFromAttributes({
    'service.name': settings.OTEL_SERVICE_NAME,
    ...(serviceVersion ? { 'service.version': serviceVersion } : {}),
  });
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES adds to the resource; the service name is ours (OTEL_SERVICE_NAME or its default).
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })).merge(ours),
    spanProcessors: [processor],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

/**
 * Decorates the upstream's HTTP attempt with a client span, a child of the active GraphQL operation span,
 * whose trace context travels upstream in `traceparent`. With no tracer provider registered the spans are
 * no-ops and no header is added.
 */
export function tracedAttempt<R>(
  attempt: Attempt<R>,
  origin: string,
  endpoint: string,
  attributesOf: (request: R) => Attributes = () => ({}),
): Attempt<R> {
  const url = new URL(origin);
  const server: Attributes = {
    'server.address': url.hostname,
    'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  };
  return (request, credential, signal, extraHeaders = {}) =>
    tracer().startActiveSpan(
      `POST ${endpoint}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { ...server, 'http.request.method': 'POST', 'url.path': endpoint, ...attributesOf(request) },
      },
      async (span) => {
        const headers = { ...extraHeaders };
        propagation.inject(context.active(), headers);
        try {
          const body = await attempt(request, credential, signal, headers);
          span.setAttribute('http.response.status_code', body === null ? 404 : 200);
          return body;
        } catch (error) {
          const failure = error instanceof UpstreamFailure ? error.failure : undefined;
          if (failure?.kind === 'status') span.setAttribute('http.response.status_code', failure.status);
          span.setAttribute('error.type', outcomeOf(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
}
