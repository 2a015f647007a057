import type { KeyObject } from 'node:crypto';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { EventSelector, LiveCalls } from './domain/events.js';
import type { UpstreamRecords } from './domain/request.js';
import { type OperationObservation, requestIdFrom } from './observability/operations.js';
import { type Credential, credentialOf } from './upstream/credential.js';
import { type SessionSettings, openSession } from './upstream/session.js';

/** What a resolver knows of its GraphQL request. */
export interface Context {
  readonly requestId: string;
  /**
   * The request's logger (its request id and operation bound), made on the first call: a function, not a getter,
   * because envelop copies the context's properties into its own (a getter would run for every request).
   */
  readonly logger: () => Logger;
  /** The caller's credential, or the server-side key; null without either. */
  readonly credential: Credential | null;
  /** This request's upstream records: its session opens on the first fetch. Null without a credential. */
  readonly records: UpstreamRecords | null;
  /** Live call events read with this request's credential. Null without a credential. */
  readonly events: LiveCalls | null;
  /** Signs and checks cursors: CURSOR_SECRET, or a key of this process. */
  readonly cursorKey: KeyObject;
  /**
   * When this request's deadline passes (epoch ms): UPSTREAM_TIMEOUT_MS after it arrived. It bounds the upstream
   * work and is checked again before the response is serialised.
   */
  readonly deadlineAt: number;
}

export interface ContextDependencies {
  session: SessionSettings;
  logger: Logger;
  serverApiKey: string | undefined;
  cursorKey: KeyObject;
  /** A subscription to live call events (the server's event hub); it ends when `signal` aborts. */
  subscribe?: (credential: Credential, projectId: string, selector: EventSelector, signal: AbortSignal) => ReturnType<LiveCalls['subscribe']>;
  /** What the observability plugin knows of this request: its request id, operation name, upstream timings. */
  observe?: (request: Request) => OperationObservation | undefined;
}

/**
 * Builds a fresh context per GraphQL request: its session (loader, deadline, bulkhead) never outlives it.
 * The logger and the session are made on first use, so requests that never log or never reach the upstream
 * (cache hits, refusals) pay nothing for them.
 */
export function createContextFactory(deps: ContextDependencies) {
  return ({ request }: YogaInitialContext): Context => {
    const observation = deps.observe?.(request);
    const requestId = observation?.requestId ?? requestIdFrom(request.headers);
    const credential = credentialOf(request.headers, deps.serverApiKey);
    const deadlineAt = Date.now() + deps.session.timeoutMs;
    let logger: Logger | undefined;
    let session: UpstreamRecords | undefined;
    const requestLogger = () =>
      (logger ??= deps.logger.child({ requestId, operation: observation?.operationName ?? null }));
    const onAttempt = (outcome: string, durationMs: number) => {
      observation?.recordUpstreamAttempt(outcome, durationMs);
      // The request's child logger is made only when the line is written (not at all at the usual levels).
      if (deps.logger.isLevelEnabled('debug')) {
        requestLogger().debug({ upstream: { outcome, durationMs: Math.round(durationMs * 10) / 10 } }, 'upstream attempt');
      }
    };

    const open = (held: Credential) =>
      (session ??= openSession(deps.session, { credential: held, requestId, signal: request.signal, deadlineAt, onAttempt }));

    return {
      requestId,
      credential,
      cursorKey: deps.cursorKey,
      deadlineAt,
      logger: requestLogger,
      records: credential && {
        maxPageSize: deps.session.maxPageSize,
        fetch: (upstreamRequest) => open(credential).fetch(upstreamRequest),
        call: (lookup) => open(credential).call(lookup),
      },
      // The request's signal is read only when a subscription starts: made on first use, a query never pays for it.
      events:
        credential && deps.subscribe
          ? { subscribe: (projectId, selector) => deps.subscribe!(credential, projectId, selector, request.signal) }
          : null,
    };
  };
}
