import { ProxyTracerProvider, trace, type Tracer } from '@opentelemetry/api';

export const TRACER_NAME = 'call-history-graphql';

/** The tracer every span of this server comes from: a no-op until a tracer provider is registered. */
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

/** What the API's proxy provider delegates to while no tracer provider is registered. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * True while a tracer provider is registered (startTracing, or a test's). Asked per request, so that with tracing
 * off a request makes no span, no trace context and no context switch at all.
 */
export function tracingOn(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER;
}

export interface TracingSettings {
  OTEL_SDK_DISABLED?: boolean | undefined;
  OTEL_TRACES_EXPORTER?: 'otlp' | 'console' | 'none' | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol | undefined;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol | undefined;
  OTEL_SERVICE_NAME: string;
}

/** The OTLP encodings this server can send (over HTTP); gRPC is not bundled. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type TracingChoice = { exporter: 'console' } | { exporter: 'otlp'; protocol: OtlpProtocol; url: string | undefined };

export interface Tracing {
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Tracing is off unless the standard variables ask for it: an OTLP endpoint, or OTEL_TRACES_EXPORTER set to
 * `otlp` or `console`. OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none, turns it off whatever else is set.
 * The protocol is OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else the
 * specification's default, http/protobuf.
 */
export function tracingChoice(settings: TracingSettings): TracingChoice | undefined {
  if (settings.OTEL_SDK_DISABLED || settings.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (settings.OTEL_TRACES_EXPORTER === 'console') return { exporter: 'console' };
  const endpoint = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (settings.OTEL_TRACES_EXPORTER !== 'otlp' && !endpoint) return undefined;
  const protocol = settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return { exporter: 'otlp', protocol, url: otlpTracesUrl(settings) };
}

/**
 * The OTLP/HTTP traces URL: the signal-specific endpoint as given, or `v1/traces` under the base endpoint
 * (undefined: the exporter's default, http://localhost:4318/v1/traces). Given to the exporter because a
 * command-line flag may set it too.
 */
export function otlpTracesUrl(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!settings.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Registers a tracer provider when the settings ask for tracing; returns undefined, and leaves every span a
 * no-op, when they do not. The SDK is imported only then, so tracing off loads and costs nothing.
 */
export async function startTracing(settings: TracingSettings, serviceVersion?: string): Promise<(Tracing & { choice: TracingChoice }) | undefined> {
  const choice = tracingChoice(settings);
  if (!choice) return undefined;
  const { registerTracerProvider } = await import('./tracing-sdk.js');
  return { choice, ...registerTracerProvider(choice, settings.OTEL_SERVICE_NAME, serviceVersion) };
}
