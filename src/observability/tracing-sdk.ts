import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { OtlpProtocol, Tracing, TracingChoice } from './tracing.js';

/**
 * The OpenTelemetry SDK, imported only when tracing is on. The exporters read their endpoint, headers, timeout
 * and compression from the standard OTEL_EXPORTER_OTLP_* variables, the provider its sampler
 * (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG) and the batch processor its OTEL_BSP_* limits.
 */
export function registerTracerProvider(choice: TracingChoice, serviceName: string, serviceVersion?: string): Tracing {
  const processor: SpanProcessor =
    choice.exporter === 'console'
      ? new SimpleSpanProcessor(new ConsoleSpanExporter())
      : new BatchSpanProcessor(otlpExporter(choice.protocol, choice.url));
  const ours = resourceFromAttributes({
    'service.name': serviceName,
    ...(serviceVersion ? { 'service.version': serviceVersion } : {}),
  });
  const provider = new NodeTracerProvider({
    // OTEL_RESOURCE_ATTRIBUTES adds to the resource; the service name is ours (OTEL_SERVICE_NAME or its default).
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })).merge(ours),
    spanProcessors: [processor],
  });
  // W3C trace-context and baggage propagation, async-local context.
  provider.register();
  // Each HTTP attempt at the upstream (undici) gets a standard client span, a child of the operation's span, and
  // sends its trace context in `traceparent`. undici reports its requests on diagnostics channels, so this works
  // whenever it is registered: no loader hook, and nothing to load before the server's modules.
  const stopInstrumenting = registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation()] });
  return {
    shutdown: async () => {
      stopInstrumenting();
      await provider.shutdown();
    },
  };
}

function otlpExporter(protocol: OtlpProtocol, url: string | undefined): SpanExporter {
  const config = url ? { url } : {};
  return protocol === 'http/json' ? new OtlpJsonExporter(config) : new OtlpProtobufExporter(config);
}
