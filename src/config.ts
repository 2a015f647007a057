import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting, its default and its meaning: the one table behind validation, `--help` and the README. */
export const SETTINGS = {
  PORT: { schema: int(0, 65535).default(4000), help: 'HTTP port; GraphQL at /graphql (GraphiQL on GET from a browser)' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), help: 'bind address (0.0.0.0 in a container)' },
  UPSTREAM_URL: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    help: 'base URL of the REST API (https://api.talkstackai.com); unset: start the embedded emulator with demo data',
  },
  DEMO_CALLS_PER_MINUTE: {
    schema: int(0, 600).default(6),
    help: 'without UPSTREAM_URL: new calls per minute in each project of the embedded emulator, moving through queued, ringing, in-progress and a final status in real time; 0 = the demo data stays still',
  },
  UPSTREAM_API_KEY: {
    schema: z.string().min(1).optional(),
    secret: true,
    help: 'a server-side x-api-key, sent only when the caller brings no credential; unset by default',
  },
  UPSTREAM_TIMEOUT_MS: {
    schema: int(100, 600_000).default(10_000),
    help: 'one deadline for all upstream work of one GraphQL request, retries included',
  },
  UPSTREAM_ATTEMPT_TIMEOUT_MS: { schema: int(50, 600_000).default(5_000), help: 'the deadline of one upstream attempt' },
  UPSTREAM_MAX_RETRIES: { schema: int(0, 10).default(2), help: 'retries after the first attempt (network errors, 429, 502-504)' },
  UPSTREAM_MAX_PAGE_SIZE: { schema: int(2, 1000).default(1000), help: 'the largest pageSize ever sent' },
  UPSTREAM_MAX_RESPONSE_BYTES: {
    schema: int(65_536, 1_000_000_000).default(8_000_000),
    help: 'the largest upstream body read (a page of 1,000 vendor records is about 0.5 MB); larger: UPSTREAM_BAD_RESPONSE',
  },
  UPSTREAM_MAX_JSON_DEPTH: {
    schema: int(4, 512).default(64),
    help: 'the deepest nesting of arrays and objects accepted in an upstream body; deeper: UPSTREAM_BAD_RESPONSE',
  },
  UPSTREAM_CONNECTIONS: { schema: int(1, 1024).default(64), help: 'keep-alive connections to the upstream (and the bulkhead size)' },
  UPSTREAM_BREAKER_THRESHOLD: {
    schema: z.coerce.number().gt(0).lt(1).default(0.5),
    help: 'share of failed upstream requests (5xx, network, timeouts) in the window that opens the circuit',
  },
  UPSTREAM_BREAKER_WINDOW_MS: { schema: int(1_000, 600_000).default(10_000), help: 'the circuit breaker sampling window' },
  UPSTREAM_BREAKER_MIN_RPS: {
    schema: z.coerce.number().gt(0).default(2),
    help: 'requests per second the window must see before the circuit may open',
  },
  UPSTREAM_BREAKER_HALF_OPEN_MS: { schema: int(100, 600_000).default(10_000), help: 'how long the circuit stays open before a trial request' },
  UPSTREAM_MAX_IN_FLIGHT: {
    schema: int(1, 256).default(8),
    help: 'upstream requests one GraphQL operation may have in flight at once',
  },
  CURSOR_SECRET: {
    schema: z.string().min(32).optional(),
    secret: true,
    help: 'the key that signs cursors (at least 32 characters), the same on every replica; unset: a random key per process, so cursors do not survive a restart or cross replicas',
  },
  UPSTREAM_MAX_REQUESTS_PER_OPERATION: {
    schema: int(1, 100_000).default(100),
    help: 'upstream requests one GraphQL operation may make in all (UPSTREAM_REQUEST_LIMIT beyond)',
  },
  RESPONSE_CACHE_TTL_MS: { schema: int(0, 86_400_000).default(0), help: 'response cache, keyed by a hash of the credential; 0 = off' },
  REDIS_URL: {
    schema: z.url({ protocol: /^rediss?$/ }).optional(),
    secret: true,
    help: 'share the response cache and the callEvents watchers between replicas (one replica polls each credential and project, under a lease)',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    help: 'pino log level',
  },
  NODE_ENV: { schema: z.string().optional(), help: 'production: masks unexpected errors and hides field suggestions' },
  OTEL_SDK_DISABLED: {
    schema: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), bool).default(false),
    help: 'OpenTelemetry: true turns tracing off, whatever else is set',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    help: 'OpenTelemetry: base URL of the OTLP/HTTP collector (traces go to its /v1/traces); setting it turns tracing on',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    schema: z.url({ protocol: /^https?$/ }).optional(),
    help: 'OpenTelemetry: the full OTLP/HTTP traces URL, instead of the base URL; setting it turns tracing on',
  },
  OTEL_TRACES_EXPORTER: {
    schema: z.enum(['otlp', 'console', 'none']).optional(),
    help: 'OpenTelemetry: otlp, console (spans on stdout) or none; unset: otlp when an endpoint is set, else off',
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    schema: z.enum(['http/protobuf', 'http/json']).optional(),
    help: 'OpenTelemetry: the OTLP encoding, http/protobuf (the default) or http/json; grpc is not bundled',
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    schema: z.enum(['http/protobuf', 'http/json']).optional(),
    help: 'OpenTelemetry: the OTLP encoding of traces, instead of OTEL_EXPORTER_OTLP_PROTOCOL',
  },
  OTEL_SERVICE_NAME: { schema: z.string().min(1).default('call-history-graphql'), help: 'OpenTelemetry: service.name of the spans' },
  MAX_REQUEST_BODY_BYTES: { schema: int(1_024, 100_000_000).default(1_000_000), help: 'the largest GraphQL request body accepted (413 beyond)' },
  METRICS_PORT: {
    schema: int(0, 65535).optional(),
    help: 'serve /metrics on this port (same HOST) instead of the API port; unset: /metrics on the API port',
  },
  CORS_ORIGINS: {
    schema: z
      .string()
      .refine((value) => {
        try {
          parseOrigins(value);
          return true;
        } catch {
          return false;
        }
      }, 'expected comma-separated origins such as https://app.example.com')
      .optional(),
    help: 'comma-separated origins a browser page may call from (with credentials); unset: no cross-origin access',
  },
  ALLOWED_HOSTS: {
    schema: z.string().optional(),
    help: 'with UPSTREAM_API_KEY: host names the Host header may name (DNS rebinding protection); unset: HOST and the localhost forms; * = any',
  },
  SHUTDOWN_GRACE_MS: {
    schema: int(0, 600_000).default(10_000),
    help: 'on SIGTERM/SIGINT: readiness 503, stop accepting, let in-flight requests finish for this long, then exit',
  },
  LEAN_TRANSPORT: {
    schema: bool.default(true),
    help: 'serve plain POST /graphql JSON requests without the Fetch-API round trip (same plugins, same answers); false: every request through Yoga\'s node adapter',
  },
  COMPILED_EXECUTION: {
    schema: bool.default(true),
    help: 'run queries compiled by graphql-jit, once per distinct document (parsing, validation and variable coercion stay graphql-js\'s); false: graphql-js\'s executor for every operation',
  },
  GRAPHIQL: { schema: bool.default(true), help: 'serve GraphiQL on GET /graphql from a browser' },
  INTROSPECTION: { schema: bool.default(true), help: 'allow introspection queries' },
  TRUSTED_DOCUMENTS: {
    schema: z.string().min(1).optional(),
    help: 'path of a persisted-documents manifest (JSON documentId -> document, as codegen\'s client preset writes it); set: only those documents run, requested by documentId, and GraphiQL is off',
  },
  MAX_DEPTH: { schema: int(1, 100).default(8), help: 'graphql-armor: the deepest selection allowed' },
  MAX_ALIASES: { schema: int(1, 1000).default(15), help: 'graphql-armor: aliases per operation' },
  MAX_TOKENS: { schema: int(10, 100_000).default(1_000), help: 'graphql-armor: tokens per operation' },
  MAX_COST: {
    schema: int(10, 100_000_000).default(50_000),
    help: 'the operation cost limit, variables applied: 1 per field, list fields of a page × first, _entities × representations (MAX_COST_EXCEEDED beyond)',
  },
  MAX_ENTITY_REPRESENTATIONS: {
    schema: int(1, 100_000).default(100),
    help: '_entities representations one operation may ask for (BAD_USER_INPUT beyond)',
  },
  EVENTS_POLL_INTERVAL_MS: {
    schema: int(1_000, 3_600_000).default(5_000),
    help: 'callEvents: how often a watched project is read (one watcher per credential and project, cluster-wide with REDIS_URL)',
  },
  EVENTS_SUBSCRIBER_QUEUE: {
    schema: int(1, 100_000).default(1_000),
    help: 'callEvents: events one subscription may have waiting to be sent; a subscriber further behind is ended (SLOW_CONSUMER)',
  },
  MAX_SUBSCRIPTIONS_PER_CREDENTIAL: {
    schema: int(1, 100_000).default(20),
    help: 'callEvents: concurrent subscriptions one credential may hold on a replica (SUBSCRIPTION_LIMIT beyond)',
  },
  EVENTS_HEARTBEAT_MS: {
    schema: int(1_000, 600_000).default(15_000),
    help: 'callEvents: how often an idle stream is pinged (SSE comment, WebSocket ping) so that proxies keep it open',
  },
  WEBHOOK_SECRET: {
    schema: z.string().min(16).optional(),
    secret: true,
    help: 'the shared secret of POST /webhooks/call-status (header x-webhook-secret, at least 16 characters); unset: the route is off. Without UPSTREAM_URL the embedded emulator posts every call status change there',
  },
  WEBHOOK_MIN_INTERVAL_MS: {
    schema: int(0, 3_600_000).default(1_000),
    help: 'POST /webhooks/call-status: the least time between two pokes of one project\'s watchers (a hint sooner is kept as one poke at the interval\'s end; a further one gets 429)',
  },
  MAX_RESPONSE_BYTES: {
    schema: int(1_024, 500_000_000).default(10_000_000),
    help: 'the largest serialised GraphQL response (RESPONSE_TOO_LARGE beyond)',
  },
} as const;

/** CORS_ORIGINS as a list: comma-separated origins, each `scheme://host[:port]` as a browser sends it. */
export function parseOrigins(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
    .map((origin) => {
      const url = new URL(origin);
      if (url.origin === 'null' || url.origin !== origin.replace(/\/$/, '')) throw new Error(`not an origin: ${origin}`);
      return url.origin;
    });
}

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flags mirror the variables: `--upstream-url X` or `--upstream-url=X` sets UPSTREAM_URL. */
export function flagsToEnv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const name = flag.toUpperCase().replaceAll('-', '_');
    if (!(name in SETTINGS)) throw new ConfigError(`unknown flag --${flag} (see --help)`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`--${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

/** Reads and validates every setting once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[] = []): Config {
  const source: Record<string, string | undefined> = { ...env, ...flagsToEnv(argv) };
  const config: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = source[name];
    const result = setting.schema.safeParse(raw === '' ? undefined : raw);
    if (!result.success) {
      const issue = result.error.issues[0]?.message ?? 'invalid value';
      // URLs and keys may embed secrets: their values are never echoed.
      const got = 'secret' in setting || name.endsWith('_URL') ? '' : ` (got ${JSON.stringify(raw)})`;
      throw new ConfigError(`${name}: ${issue}${got}. ${name}: ${setting.help}.`);
    }
    config[name] = result.data;
  }
  // An attempt never outlives the request's deadline.
  config.UPSTREAM_ATTEMPT_TIMEOUT_MS = Math.min(Number(config.UPSTREAM_ATTEMPT_TIMEOUT_MS), Number(config.UPSTREAM_TIMEOUT_MS));
  // GraphiQL sends documents of its own, which trusted documents refuse.
  if (config.TRUSTED_DOCUMENTS) config.GRAPHIQL = false;
  return config as Config;
}

export function helpText(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) => {
    const flag = `--${name.toLowerCase().replaceAll('_', '-')}`;
    const parsed = s.schema.safeParse(undefined);
    const def = parsed.success && parsed.data !== undefined ? ` (default ${String(parsed.data)})` : '';
    return `  ${name.padEnd(28)} ${flag.padEnd(30)} ${s.help}${def}`;
  });
  return [
    'Usage: npm start -- [--flag value ...]',
    '',
    'Every setting is an environment variable; a flag of the same name overrides it.',
    '',
    ...rows,
    '',
    'Tracing also honours the OpenTelemetry SDK\'s other standard variables, such as OTEL_EXPORTER_OTLP_HEADERS,',
    'OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG and OTEL_RESOURCE_ATTRIBUTES.',
    '',
  ].join('\n');
}

/** The README's settings table, kept in step by a test (`npm run docs:settings` rewrites it). */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) => {
    const parsed = s.schema.safeParse(undefined);
    const def = parsed.success && parsed.data !== undefined ? `\`${String(parsed.data)}\`` : 'unset';
    return `| \`${name}\` | ${def} | ${s.help} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
