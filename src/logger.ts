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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'call-history-graphql' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
