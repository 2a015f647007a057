import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Credential-bearing fields are redacted wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'credential',
  '*.authorization',
  '*.apiKey',
  '*.credential',
  '*["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
];

export interface LoggerOptions {
  /** Add the active span's `trace_id`, `span_id` and `trace_flags` to each line (only worth it with tracing on). */
  traceIds?: boolean;
}

/**
 * The ids of the active span, under the names OpenTelemetry's log data model (and its pino instrumentation)
 * gives them, so that a log line and its trace can be joined. Empty outside a span.
 */
export function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: `0${spanContext.traceFlags.toString(16)}`,
  };
}

export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      // No mixin at all with tracing off: a log line then costs what it did before.
      ...(options.traceIds ? { mixin: traceFields } : {}),
      base: { service: 'call-history-graphql' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
