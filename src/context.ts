import { createHash } from 'node:crypto';
import { bulkhead } from 'cockatiel';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { AppError, ErrorCode } from './errors.js';
import { type InFlightRequests, createRecordsLoader } from './history/loader.js';
import { type CallConnection, readCallHistory } from './history/service.js';
import type { CallHistoryArgs } from './history/translate.js';
import type { Credential } from './upstream/client.js';
import { UpstreamFailure, toAppError } from './upstream/errors.js';
import type { CallHistorySource } from './upstream/source.js';
import { type OperationObservation, requestIdFrom } from './observability/operations.js';

export interface Context {
  requestId: string;
  logger: Logger;
  callHistory(args: CallHistoryArgs & { after?: string | null | undefined }): Promise<CallConnection>;
}

export interface ContextDependencies {
  source: CallHistorySource;
  inFlight: InFlightRequests;
  logger: Logger;
  serverApiKey: string | undefined;
  timeoutMs: number;
  maxPageSize: number;
  maxInFlightPerOperation: number;
  /** What the observability plugin knows of this request: its request id, operation name, upstream timings. */
  observe?: (request: Request) => OperationObservation | undefined;
}

export function credentialOf(headers: Headers, serverApiKey: string | undefined): Credential | null {
  const authorization = headers.get('authorization') ?? undefined;
  const apiKey = headers.get('x-api-key') ?? undefined;
  if (authorization || apiKey) {
    const credential: Credential = {};
    if (authorization) credential.authorization = authorization;
    if (apiKey) credential.apiKey = apiKey;
    return credential;
  }
  return serverApiKey ? { apiKey: serverApiKey } : null;
}

export const scopeOf = (credential: Credential): string =>
  createHash('sha256')
    .update(`${credential.authorization ?? ''}\u0000${credential.apiKey ?? ''}`)
    .digest('base64url')
    .slice(0, 22);

/**
 * Builds a fresh context per GraphQL request: its loader, deadline and bulkhead never outlive it. Everything
 * but the request id is made on first use, so requests that never reach the upstream (cache hits, refusals)
 * pay nothing for it.
 */
export function createContextFactory(deps: ContextDependencies) {
  return ({ request }: YogaInitialContext): Context => {
    const observation = deps.observe?.(request);
    const requestId = observation?.requestId ?? requestIdFrom(request.headers);
    let logger: Logger | undefined;
    const requestLogger = () =>
      (logger ??= deps.logger.child({ requestId, operation: observation?.operationName ?? null }));
    let upstream: ((args: CallHistoryArgs & { after?: string | null | undefined }) => Promise<CallConnection>) | null | undefined;

    const context: Context = {
      requestId,
      get logger() {
        return requestLogger();
      },
      callHistory: (args) => {
        upstream ??= upstreamSession(deps, request, requestId, observation, requestLogger);
        if (!upstream) {
          return Promise.reject(
            new AppError(ErrorCode.UNAUTHENTICATED, 'Send an x-api-key or an Authorization: Bearer header.'),
          );
        }
        return upstream(args);
      },
    };
    return context;
  };
}

/** The caller's upstream access for one request; null without a credential. */
function upstreamSession(
  deps: ContextDependencies,
  request: Request,
  requestId: string,
  observation: OperationObservation | undefined,
  logger: () => Logger,
): ((args: CallHistoryArgs & { after?: string | null | undefined }) => Promise<CallConnection>) | null {
  const credential = credentialOf(request.headers, deps.serverApiKey);
  if (!credential) return null;
  const credentialScope = scopeOf(credential);
  const onAttempt = (outcome: string, durationMs: number) => {
    observation?.recordUpstreamAttempt(outcome, durationMs);
    logger().debug({ upstream: { outcome, durationMs: Math.round(durationMs * 10) / 10 } }, 'upstream attempt');
  };

  let deadline: { signal: AbortSignal; at: number } | undefined;
  const startDeadline = () => {
    // One deadline for all upstream work of this request, started by its first upstream call.
    deadline ??= {
      at: Date.now() + deps.timeoutMs,
      signal: AbortSignal.any([nativeSignalOf(request.signal), AbortSignal.timeout(deps.timeoutMs)]),
    };
    return deadline;
  };
  const operationBulkhead = bulkhead(deps.maxInFlightPerOperation, Number.MAX_SAFE_INTEGER);

  const fetchRecords = createRecordsLoader(async (upstreamRequest) => {
    const { signal, at } = startDeadline();
    try {
      return await operationBulkhead.execute(
        () =>
          deps.inFlight.run(credentialScope, upstreamRequest, signal, at, (shared, sharedSignal, latestDeadlineAt) =>
            deps.source.fetch(shared, {
              credential,
              signal: sharedSignal,
              deadlineAt: latestDeadlineAt,
              headers: { 'x-request-id': requestId },
              onAttempt,
            }),
          ),
        signal,
      );
    } catch (error) {
      if (error instanceof UpstreamFailure) throw toAppError(error);
      if (signal.aborted) throw toAppError(new UpstreamFailure({ kind: 'timeout', attempt: false }));
      throw error;
    }
  });
  return (args) => readCallHistory(args, fetchRecords, deps.maxPageSize);
}

/**
 * The Fetch request's signal is a ponyfill that passes `instanceof` but not Node 24's brand check in
 * `AbortSignal.any`: mirror it onto a native signal.
 */
function nativeSignalOf(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
