import { ConfigError, helpText, loadConfig } from './config.js';
import { EXAMPLE_VARIABLES } from './example.js';
import { createLogger } from './logger.js';
import { startTracing } from './observability/index.js';
import { WEBHOOK_PATH } from './http/webhook.js';
import { createApp, listen } from './server.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  const config = loadConfig(process.env, argv);
  // Off unless the OTEL_* settings ask for it; registered before any request can start a span.
  const tracing = await startTracing(config, process.env.npm_package_version);
  const logger = createLogger(config.LOG_LEVEL, undefined, { traceIds: tracing !== undefined });
  if (tracing) logger.info({ tracing: tracing.choice, otelServiceName: config.OTEL_SERVICE_NAME }, 'tracing on');
  if (!config.CURSOR_SECRET) {
    logger.info('CURSOR_SECRET is unset: cursors are signed with a random key of this process, so they do not survive a restart or cross replicas');
  }

  // Without UPSTREAM_URL the embedded emulator serves demo data, so the API works with no account. It is
  // imported only then: a server in front of the real API never loads the emulator or SQLite.
  const emulator = config.UPSTREAM_URL ? undefined : await startEmbeddedEmulator(config.DEMO_CALLS_PER_MINUTE, config.WEBHOOK_SECRET);
  const upstreamUrl = config.UPSTREAM_URL ?? emulator!.url;
  const app = createApp({ ...config, UPSTREAM_URL: upstreamUrl }, logger, {
    ...(emulator ? { graphiqlHeaders: { 'x-api-key': emulator.demoKey } } : {}),
  });
  app.observability.metrics.collectProcessMetrics();
  const server = await listen(app, config.HOST, config.PORT, { metricsPort: config.METRICS_PORT });
  // With WEBHOOK_SECRET the demo is wired as the vendor would be: the emulator posts each status change here.
  const webhook = emulator && config.WEBHOOK_SECRET ? emulator.postStatusChangesTo(server.url) : undefined;
  if (webhook?.refused) logger.warn({ reason: webhook.refused }, 'the embedded emulator cannot post call-status webhooks to this server');
  else if (webhook) logger.info({ url: webhook.url, projects: webhook.projects }, 'the embedded emulator posts call-status webhooks to this server');

  const lines = [`GraphQL API: ${server.url}/graphql (GraphiQL: open it in a browser)`];
  if (emulator) {
    lines.push(
      `UPSTREAM_URL is unset: serving demo data from the embedded emulator at ${emulator.url}.`,
      `Demo credential: x-api-key: ${emulator.demoKey}   (project "${EXAMPLE_VARIABLES.projectId}")`,
      config.DEMO_CALLS_PER_MINUTE > 0
        ? `Live demo: ${config.DEMO_CALLS_PER_MINUTE} new calls per minute in each project (DEMO_CALLS_PER_MINUTE=0 keeps the data still).`
        : 'Live demo: off (DEMO_CALLS_PER_MINUTE=0).',
      'Try it:',
      `  curl -s ${server.url}/graphql -H 'content-type: application/json' -H 'x-api-key: ${emulator.demoKey}' \\`,
      `    -d '{"query":"{ callHistory(projectId: \\"demo\\", first: 3) { edges { node { sid status from to startedAt } } pageInfo { hasNextPage endCursor } } }"}'`,
      'Live events: the CallEvents tab in GraphiQL, or over SSE:',
      `  curl -N ${server.url}/graphql -H 'accept: text/event-stream' -H 'content-type: application/json' -H 'x-api-key: ${emulator.demoKey}' \\`,
      `    -d '{"query":"subscription { callEvents(projectId: \\"demo\\") { kind previousStatus call { sid status } } }"}'`,
      webhook && !webhook.refused
        ? `  The emulator posts each status change to ${webhook.url}?projectId=<project> (WEBHOOK_SECRET), so events follow at once.`
        : `  Projects are read every ${config.EVENTS_POLL_INTERVAL_MS} ms; with WEBHOOK_SECRET set, the emulator posts each status change here and events follow at once.`,
    );
  } else {
    lines.push(`Upstream: ${new URL(upstreamUrl).origin}`);
  }
  lines.push(`Metrics: ${server.metricsUrl ?? `${server.url}/metrics`}   Health: ${server.url}/health   Readiness: ${server.url}/readiness`);
  // stdout carries only the JSON logs: the banner, for a person at a terminal, goes to stderr.
  logger.info({ url: `${server.url}/graphql`, upstream: new URL(upstreamUrl).origin, emulator: Boolean(emulator) }, 'listening');
  process.stderr.write(`${lines.join('\n')}\n`);

  // A graceful stop: readiness 503, no new connections, in-flight requests finish within SHUTDOWN_GRACE_MS
  // (exit 0), or are cut when it runs out (exit 1).
  const shutdown = async (signal: string) => {
    logger.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down: finishing in-flight requests');
    const inTime = await server.shutdown(config.SHUTDOWN_GRACE_MS);
    if (!inTime) logger.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'grace time ran out: open connections were cut');
    await emulator?.close();
    await tracing?.shutdown();
    process.exit(inTime ? 0 : 1);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * The live demo starts mid-stream, as if it had run this long already (about 20 calls, at most 3 minutes), so calls
 * are under way and changing the moment someone subscribes, rather than after the first arrivals.
 */
const demoWarmUpMs = (callsPerMinute: number) => Math.min(180_000, (20 * 60_000) / callsPerMinute);

async function startEmbeddedEmulator(callsPerMinute: number, webhookSecret: string | undefined) {
  const { startEmulator, webhookUrlProblem, DEMO_API_KEY } = await import('./emulator/index.js');
  const live = callsPerMinute > 0 ? { callsPerMinute, startAt: Date.now() - demoWarmUpMs(callsPerMinute) } : { callsPerMinute };
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, live, ...(webhookSecret === undefined ? {} : { webhookSecret }) });
  return {
    url: emulator.url,
    demoKey: DEMO_API_KEY,
    close: () => emulator.close(),
    /**
     * Registers this server's webhook route for every project of the emulator, as `add-webhookurl` does. The
     * emulator posts only to this machine: a server on a wildcard address is reached through the loopback one.
     */
    postStatusChangesTo(serverUrl: string): { url: string; projects: string[]; refused?: string } {
      const base = new URL(serverUrl);
      if (base.hostname === '0.0.0.0') base.hostname = '127.0.0.1';
      if (base.hostname === '[::]') base.hostname = '[::1]';
      const url = `${base.origin}${WEBHOOK_PATH}`;
      const refused = webhookUrlProblem(url, false);
      if (refused) return { url, projects: [], refused };
      const projects = emulator.store.projects();
      for (const projectId of projects) emulator.store.setWebhook(projectId, `${url}?projectId=${encodeURIComponent(projectId)}`);
      return { url, projects };
    },
  };
}

// A bad setting (read here or, like TRUSTED_DOCUMENTS' manifest, while the app is built) stops the start.
await main().catch((error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(2);
});
