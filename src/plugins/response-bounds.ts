import { type ExecutionResult, GraphQLError } from 'graphql';
import { type Plugin, isAsyncIterable } from 'graphql-yoga';
import type { Logger } from 'pino';
import { ErrorCode } from '../domain/errors.js';

export interface ResponseBoundsOptions {
  /** The largest serialised response, in bytes (MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  logger: Logger;
}

interface DeadlineContext {
  /** When the request's deadline passes (epoch ms). */
  readonly deadlineAt?: number;
}

/**
 * Bounds what one response may cost once its data is resolved:
 *
 * - **the deadline before serialisation**: a result completed after the request's deadline is answered with
 *   UPSTREAM_TIMEOUT instead of being serialised and sent (unless it already reports the timeout);
 * - **the size**: a response whose JSON would exceed `maxResponseBytes` (or the engine's longest string) is
 *   answered with RESPONSE_TOO_LARGE instead of HTTP 500. It is measured by the one serialisation Yoga makes
 *   (Yoga uses a result's own `stringify`), so it costs nothing extra.
 */
export function useResponseBounds(options: ResponseBoundsOptions): Plugin<DeadlineContext> {
  const { maxResponseBytes, logger } = options;
  const stringify = (value: unknown): string => {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error; // "Invalid string length": far over any sane limit
    }
    // A UTF-16 code unit is at most 3 bytes in UTF-8: most responses need no byte count.
    if (text !== undefined && (text.length * 3 <= maxResponseBytes || Buffer.byteLength(text) <= maxResponseBytes)) return text;
    logger.warn({ limitBytes: maxResponseBytes, bytes: text === undefined ? null : Buffer.byteLength(text) }, 'response too large: refused');
    return JSON.stringify({ errors: [tooLarge(maxResponseBytes).toJSON()], data: null });
  };

  return {
    onExecute({ args }) {
      const deadlineAt = args.contextValue.deadlineAt;
      if (deadlineAt === undefined) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || Date.now() < deadlineAt) return;
          if (result.errors?.some((error) => error.extensions?.code === ErrorCode.UPSTREAM_TIMEOUT)) return;
          setResult({ data: null, errors: [deadlinePassed()] });
        },
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      setResult({ ...(result as ExecutionResult), stringify } as ExecutionResult);
    },
  };
}

const tooLarge = (limit: number) =>
  new GraphQLError(
    `The response would be larger than ${limit} bytes (MAX_RESPONSE_BYTES). Ask for fewer calls, fields or aliases per operation.`,
    { extensions: { code: ErrorCode.RESPONSE_TOO_LARGE, limitBytes: limit } },
  );

const deadlinePassed = () =>
  new GraphQLError('The request did not complete within its deadline (UPSTREAM_TIMEOUT_MS); its result was not sent.', {
    extensions: { code: ErrorCode.UPSTREAM_TIMEOUT },
  });
