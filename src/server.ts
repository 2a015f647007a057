import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { type Config, parseOrigins } from './config.js';
import { type Context, createContextFactory } from './context.js';
import { AppError, ErrorCode } from './domain/errors.js';
import { cursorKey } from './history/cursor.js';
import { subgraphSchema } from './schema/index.js';
import { MAX_FIRST } from './history/translate.js';
import { createErrorPipeline } from './plugins/errors.js';
import { useOfflineGraphiQL } from './plugins/graphiql.js';
import { useOperationCost } from './plugins/operation-cost.js';
import { useCompiledExecution } from './plugins/compiled-execution.js';
import { useResponseBounds } from './plugins/response-bounds.js';
import { drainServer, useStreamsEndOnDrain } from './http/drain.js';
import { useSseHeartbeat } from './http/sse-heartbeat.js';
import { useCallStatusWebhook } from './http/webhook.js';
import { type WebSocketOptions, attachWebSocket } from './http/websocket.js';
import { EventHub } from './events/hub.js';
import { sessionPolls } from './events/reads.js';
import { RedisFeedCluster } from './events/redis-cluster.js';
import { listenMetrics } from './http/metrics-port.js';
import { createGraphQLPostTransport } from './http/graphql-post-transport.js';
import { corsFor, defaultAllowedHosts, hostCheck, useAllowedHosts, webSocketOriginCheck } from './http/browser-surface.js';
import { createResponseCache, usePrivateResponses } from './plugins/response-cache.js';
import { trustedDocumentsPlugin } from './plugins/trusted-documents.js';
import { EXAMPLE_QUERY, EXAMPLE_SUBSCRIPTION, EXAMPLE_SUBSCRIPTION_VARIABLES, EXAMPLE_VARIABLES } from './example.js';
import { type Observability, createObservability } from './observability/index.js';
import { UpstreamClient } from './upstream/client.js';
import { InFlightRequests } from './upstream/loader.js';
import { UpstreamPolicy } from './upstream/policy.js';
import { RecordSource } from './upstream/source.js';

/** The header that shows a GET or a simple-content-type POST came from a page that may send it (Yoga's name). */
const CSRF_HEADER = 'x-graphql-yoga-csrf';
/** Calls a watcher remembers of one project at most. */
const MAX_KNOWN_CALLS = 10_000;

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  source: RecordSource;
  inFlight: InFlightRequests;
  /** Metrics (also for the response cache's hit/miss counter), readiness and the per-operation observer. */
  observability: Observability;
  /** Live call events: one watcher per credential and project, shared by its subscribers. */
  events: EventHub;
  /** With REDIS_URL: how this replica shares watchers with the others. */
  eventsCluster: RedisFeedCluster | undefined;
  /** GraphQL over WebSocket on the same port and path (`listen` attaches it). */
  webSocket: Omit<WebSocketOptions, 'path'>;
  logger: Logger;
  handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  /** How `handle` reaches Yoga: `lean` (LEAN_TRANSPORT: the common POST without the Fetch-API round trip) or `yoga`. */
  transport: 'lean' | 'yoga';
  /** The start of a graceful stop: readiness answers 503 and open streams complete. */
  beginDrain(): void;
  close(): Promise<void>;
}

export interface AppOptions {
  /** GraphiQL's default headers: the demo key when the embedded emulator serves the data. */
  graphiqlHeaders?: Record<string, string>;
  /** Plugins appended after the built-in ones (the benchmark uses it to measure levers such as graphql-jit). */
  plugins?: Plugin[];
  /** How often watched projects are polled, below EVENTS_POLL_INTERVAL_MS's 1 s floor (tests only). */
  eventsPollIntervalMs?: number;
}

export function createApp(config: Config & { UPSTREAM_URL: string }, logger: Logger, options: AppOptions = {}): App {
  const production = config.NODE_ENV === 'production';
  // First: a bad manifest stops the start (ConfigError) before anything is opened.
  const trustedDocuments = trustedDocumentsPlugin(config.TRUSTED_DOCUMENTS, subgraphSchema, logger);
  const client = new UpstreamClient({
    baseUrl: config.UPSTREAM_URL,
    connections: config.UPSTREAM_CONNECTIONS,
    maxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
    maxJsonDepth: config.UPSTREAM_MAX_JSON_DEPTH,
  });
  const policy = new UpstreamPolicy({
    maxRetries: config.UPSTREAM_MAX_RETRIES,
    attemptTimeoutMs: config.UPSTREAM_ATTEMPT_TIMEOUT_MS,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
    breakerThreshold: config.UPSTREAM_BREAKER_THRESHOLD,
    breakerWindowMs: config.UPSTREAM_BREAKER_WINDOW_MS,
    breakerMinimumRps: config.UPSTREAM_BREAKER_MIN_RPS,
    breakerHalfOpenAfterMs: config.UPSTREAM_BREAKER_HALF_OPEN_MS,
    bulkheadLimit: config.UPSTREAM_CONNECTIONS,
    bulkheadQueue: config.UPSTREAM_CONNECTIONS * 2,
  });
  const observability = createObservability({
    logger,
    client,
    policy,
    probeTimeoutMs: config.UPSTREAM_ATTEMPT_TIMEOUT_MS,
    metricsEndpoint: config.METRICS_PORT === undefined,
  });
  // Each attempt's client span comes from OpenTelemetry's undici instrumentation, when tracing is on.
  const source = new RecordSource({ history: client.post, call: client.postCall }, policy, logger, observability.upstreamObserver);
  const inFlight = new InFlightRequests();
  const session = {
    source,
    inFlight,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    maxInFlight: config.UPSTREAM_MAX_IN_FLIGHT,
    maxRequests: config.UPSTREAM_MAX_REQUESTS_PER_OPERATION,
    maxPageSize: config.UPSTREAM_MAX_PAGE_SIZE,
  };
  const eventsIntervalMs = options.eventsPollIntervalMs ?? config.EVENTS_POLL_INTERVAL_MS;
  // One poll interval: a dead leader's lease lapses within it, and the hub renews it every third of it.
  const eventsCluster = config.REDIS_URL
    ? new RedisFeedCluster({ url: config.REDIS_URL, leaseTtlMs: eventsIntervalMs, namespaceSecret: config.CURSOR_SECRET, logger })
    : undefined;
  const events = new EventHub({
    intervalMs: eventsIntervalMs,
    listPageSize: config.UPSTREAM_MAX_PAGE_SIZE,
    maxKnown: MAX_KNOWN_CALLS,
    queueCapacity: config.EVENTS_SUBSCRIBER_QUEUE,
    maxSubscriptionsPerCredential: config.MAX_SUBSCRIPTIONS_PER_CREDENTIAL,
    openPoll: sessionPolls(session),
    cluster: eventsCluster,
    logger,
  });

  const errors = createErrorPipeline({ hideSuggestions: production });
  const onReject = [errors.onArmorReject];
  const plugins: Plugin[] = [
    ...observability.plugins,
    // Before CSRF prevention: the vendor posts the hint as a plain form or JSON request.
    ...(config.WEBHOOK_SECRET === undefined
      ? []
      : [useCallStatusWebhook({ secret: config.WEBHOOK_SECRET, minIntervalMs: config.WEBHOOK_MIN_INTERVAL_MS, poke: (projectId) => events.poke(projectId) })]),
    EnvelopArmorPlugin({
      maxDepth: { n: config.MAX_DEPTH, exposeLimits: true, onReject },
      maxAliases: { n: config.MAX_ALIASES, exposeLimits: true, onReject },
      // Yoga itself codes a document refused while parsing: GRAPHQL_PARSE_FAILED.
      maxTokens: { n: config.MAX_TOKENS, exposeLimits: true },
      // The cost is computed with the variables applied, by useOperationCost below.
      costLimit: { enabled: false },
      maxDirectives: { n: 50, onReject },
      blockFieldSuggestion: { enabled: production, mask: '' },
    }) as Plugin,
    useCSRFPrevention({ requestHeaders: [CSRF_HEADER] }),
    // Before the error pipeline, the observer and the response cache: they see the manifest's document, not the documentId.
    trustedDocuments,
    useOperationCost({ maxCost: config.MAX_COST, maxRepresentations: config.MAX_ENTITY_REPRESENTATIONS, maxFirst: MAX_FIRST }),
    errors.plugin,
    // After the error pipeline: it reads the codes that plugin decides.
    observability.operations.plugin,
    usePrivateResponses(),
  ];
  const responseCache =
    config.RESPONSE_CACHE_TTL_MS > 0
      ? createResponseCache({
          ttlMs: config.RESPONSE_CACHE_TTL_MS,
          redisUrl: config.REDIS_URL,
          logger,
          onLookup: (result) => observability.metrics.recordCacheResult(result),
        })
      : undefined;
  if (config.COMPILED_EXECUTION) {
    // Before the response cache, which wraps whatever executor is chosen when it runs.
    plugins.push(useCompiledExecution({ onRefused: (operation, reason) => logger.debug({ operation: operation ?? null, reason }, 'operation runs uncompiled') }));
  }
  if (responseCache) plugins.push(responseCache.plugin);
  if (!config.INTROSPECTION) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  if (config.GRAPHIQL) {
    const graphiqlHeaders = JSON.stringify(options.graphiqlHeaders ?? { 'x-api-key': '<your TalkStack API key>' }, null, 2);
    plugins.push(
      useOfflineGraphiQL({
        endpoint: '/graphql',
        options: {
          title: 'Call history GraphQL',
          // The headers hold credentials: keep them out of the browser's localStorage.
          shouldPersistHeaders: false,
          // GraphiQL subscribes over SSE with a GET, which CSRF prevention refuses without this header.
          additionalHeaders: { [CSRF_HEADER]: 'graphiql' },
          defaultTabs: [
            { query: EXAMPLE_QUERY, variables: JSON.stringify(EXAMPLE_VARIABLES, null, 2), headers: graphiqlHeaders },
            { query: EXAMPLE_SUBSCRIPTION, variables: JSON.stringify(EXAMPLE_SUBSCRIPTION_VARIABLES, null, 2), headers: graphiqlHeaders },
          ],
        },
      }),
    );
  }
  let hostAllowed: (host: string | null | undefined) => boolean = () => true;
  if (config.UPSTREAM_API_KEY !== undefined) {
    // Anyone who reaches the server reads with the server's key: a page whose host name points here must not.
    const allowed = config.ALLOWED_HOSTS?.split(',').map((host) => host.trim()).filter(Boolean) ?? defaultAllowedHosts(config.HOST);
    // After the readiness and metrics endpoints (probes and scrapers use addresses), before everything else.
    plugins.splice(observability.plugins.length, 0, useAllowedHosts(allowed));
    hostAllowed = hostCheck(allowed);
  }
  plugins.push(useSseHeartbeat(config.EVENTS_HEARTBEAT_MS));
  const draining = new AbortController();
  plugins.push(useStreamsEndOnDrain(draining.signal));
  if (options.plugins) plugins.push(...options.plugins);
  // Last: it measures the response as serialised.
  plugins.push(useResponseBounds({ maxResponseBytes: config.MAX_RESPONSE_BYTES, logger }));

  const yoga = createYoga<Record<string, never>, Context>({
    schema: subgraphSchema,
    context: createContextFactory({
      session,
      subscribe: (credential, projectId, selector, signal) => events.subscribe(credential, projectId, selector, signal),
      logger,
      serverApiKey: config.UPSTREAM_API_KEY,
      cursorKey: cursorKey(config.CURSOR_SECRET),
      observe: observability.operations.of,
    }),
    graphqlEndpoint: '/graphql',
    // Yoga's own liveness check: 200 while the process serves requests.
    healthCheckEndpoint: '/health',
    landingPage: false,
    cors: corsFor(parseOrigins(config.CORS_ORIGINS)),
    batching: false,
    maxRequestBodySize: config.MAX_REQUEST_BODY_BYTES,
    maskedErrors: { isDev: config.NODE_ENV === 'development', maskError: errors.maskError },
    // Yoga logs several debug lines per request: each is joined only when its level is on.
    logging: {
      debug: (...args) => logger.isLevelEnabled('debug') && logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.isLevelEnabled('info') && logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logYogaError(logger, args),
    },
    // useOfflineGraphiQL (above) renders GraphiQL, with its assets served from this server.
    graphiql: false,
    plugins,
  });

  // Yoga answers every path: GraphQL, GraphiQL and its assets, /health, /readiness, /metrics; the common
  // POST of a JSON body reaches it without the Fetch-API round trip when LEAN_TRANSPORT is on.
  const handle: App['handle'] = config.LEAN_TRANSPORT
    ? createGraphQLPostTransport(yoga, { endpoint: '/graphql', maxRequestBodyBytes: config.MAX_REQUEST_BODY_BYTES })
    : (req, res) => void yoga.handle(req, res);
  const originAllowed = webSocketOriginCheck(parseOrigins(config.CORS_ORIGINS));
  const webSocket: App['webSocket'] = {
    heartbeatMs: config.EVENTS_HEARTBEAT_MS,
    getEnveloped: (initial) => yoga.getEnveloped(initial as never) as never,
    // The rules a browser request meets over HTTP: the Host check (with a server key), and CORS's origins.
    refusal: (request) => {
      if (!hostAllowed(request.headers.host)) return 421;
      return originAllowed(request.headers.origin, request.headers.host) ? null : 403;
    },
    documentsRefused: config.TRUSTED_DOCUMENTS
      ? new GraphQLError('Only trusted documents run here (TRUSTED_DOCUMENTS), and not over WebSocket; use SSE with a documentId.', {
          extensions: { code: ErrorCode.PERSISTED_QUERY_ONLY },
        })
      : undefined,
  };

  return {
    yoga,
    source,
    inFlight,
    observability,
    events,
    eventsCluster,
    webSocket,
    logger,
    handle,
    transport: config.LEAN_TRANSPORT ? 'lean' : 'yoga',
    beginDrain: () => {
      observability.readiness.stop();
      draining.abort();
    },
    close: async () => {
      await events.close();
      await Promise.all([client.close(), responseCache?.close()]);
    },
  };
}

/**
 * Yoga's error log. Yoga reports every error its `maskError` replaced, the domain's AppErrors included: those are
 * answers to the caller (bad input, an upstream refusal, a deadline), already in the request's own log line with
 * their codes, so they are not logged again as server errors. A masked, unexpected error is logged with its cause
 * (message and stack), not as a printed GraphQL error, which would copy the query text and its literals.
 */
function logYogaError(logger: Logger, args: unknown[]): void {
  const [error] = args;
  if (args.length === 1 && error instanceof Error) {
    const cause = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    if (cause instanceof AppError) return;
    logger.error({ err: cause }, 'unexpected error (answered as INTERNAL_SERVER_ERROR)');
    return;
  }
  logger.error(args.map(String).join(' '));
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Where `/metrics` answers when it has a port of its own (METRICS_PORT). */
  metricsUrl?: string;
  /** Stops at once: every connection is cut. */
  close(): Promise<void>;
  /**
   * Stops gracefully: readiness 503, no new connections, in-flight requests finish and open streams complete,
   * idle keep-alive sockets close; after `graceMs` the rest is cut. True when everything ended in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

export interface ListenOptions {
  /** Serve `/metrics` on this port instead (METRICS_PORT); the app must have been built without its endpoint. */
  metricsPort?: number | undefined;
}

export async function listen(app: App, host: string, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const server = createServer(app.handle);
  server.keepAliveTimeout = 65_000;
  const webSocket = attachWebSocket(server, { path: '/graphql', ...app.webSocket });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const metrics =
    options.metricsPort === undefined
      ? undefined
      : await listenMetrics(host, options.metricsPort, () => app.observability.metrics.expose(), (error) =>
          app.logger.error({ err: error }, 'collecting metrics failed'),
        );
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    ...(metrics ? { metricsUrl: metrics.url } : {}),
    close: async () => {
      await webSocket.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await metrics?.close();
      await app.close();
    },
    shutdown: async (graceMs) => {
      app.beginDrain();
      const [inTime] = await Promise.all([drainServer(server, graceMs), webSocket.drain(Math.min(1_000, graceMs))]);
      // Scraped until the API's connections are done, so the drain itself shows in the metrics.
      await metrics?.close();
      await app.close();
      return inTime;
    },
  };
}
