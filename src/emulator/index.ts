import type { AddressInfo } from 'node:net';
import { EmulatorCalls, LiveCalls, type CallChanges, type LiveOptions, type NewCallFields } from './calls.js';
import { loadDemoData } from './demo.js';
import type { VendorRecord } from './record.js';
import { createEmulatorServer, type Envelope, type RequestFilter, type RequestLogEntry } from './server.js';
import { CallStore } from './store.js';
import type { ChaosController } from './chaos.js';
import { WebhookSender, type WebhookStats } from './webhooks.js';

export interface EmulatorOptions {
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** SQLite file, or `:memory:` (default). Ignored when `store` is given. */
  db?: string;
  /** Seed for the demo data. */
  seed?: number;
  /** Load the demo projects and credentials when the store has no calls (default true). */
  demo?: boolean;
  /** Size of the demo project. */
  calls?: number;
  envelope?: Envelope;
  chaos?: boolean;
  /** Use this store; the emulator then leaves it open on close. */
  store?: CallStore;
  /** How long a `slow-body` fault takes to deliver its body (default 30 s). */
  slowBodyMs?: number;
  /** Live mode: new calls arrive and move on in real time. Off without it or with `callsPerMinute: 0`. */
  live?: LiveOptions;
  /** Sent in `x-webhook-secret` with every call-status webhook. */
  webhookSecret?: string;
  /** A webhook delivery that takes longer is cut (default 5 s). */
  webhookTimeoutMs?: number;
  /** Webhook deliveries in flight at once; more are dropped (default 16). */
  webhookMaxInFlight?: number;
  /** Accept webhook URLs on any host; by default only on this machine. */
  webhookAnyHost?: boolean;
}

/** Changes calls in-process, as the admin routes do over HTTP; status changes reach the project's webhook. */
export interface CallControls {
  /** Creates a call (default: `queued`, started now, a random SID) and returns it. */
  start(projectId: string, fields?: NewCallFields): VendorRecord;
  /** Changes a call; throws CallChangeError when it is unknown, ambiguous without `projectId`, or the fields are invalid. */
  update(callSid: string, changes: CallChanges, options?: { projectId?: string }): VendorRecord;
}

export interface RunningEmulator {
  /** `http://host:port`, no trailing slash. */
  url: string;
  host: string;
  port: number;
  store: CallStore;
  /** Present when started with `chaos: true`. */
  chaos: ChaosController | undefined;
  requests(filter?: RequestFilter): RequestLogEntry[];
  clearRequests(filter?: RequestFilter): void;
  calls: CallControls;
  /** Present in live mode. */
  live: LiveCalls | undefined;
  webhooks: { stats(): WebhookStats; /** Resolves when no delivery is in flight. */ idle(): Promise<void> };
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const ownsStore = options.store === undefined;
  const store = options.store ?? new CallStore(options.db ?? ':memory:');
  let parts;
  try {
    if ((options.demo ?? true) && store.count() === 0) {
      loadDemoData(store, {
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.calls === undefined ? {} : { calls: options.calls }),
      });
    }
    parts = assemble(store, options);
  } catch (error) {
    if (ownsStore) store.close();
    throw error;
  }
  const { webhooks, calls, emulator, live } = parts;
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(options.port ?? 0, host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    live?.stop();
    if (ownsStore) store.close();
    throw error;
  });

  const port = (emulator.server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    store,
    chaos: emulator.chaos,
    requests: emulator.requests,
    clearRequests: emulator.clearRequests,
    calls: {
      start: (projectId, fields) => calls.start(projectId, fields),
      update: (callSid, changes, updateOptions) => calls.update(callSid, changes, updateOptions),
    },
    live,
    webhooks: { stats: () => webhooks.stats(), idle: () => webhooks.idle() },
    close() {
      live?.stop();
      closing ??= Promise.all([emulator.close(), webhooks.close()])
        .then(() => undefined)
        .finally(() => {
          if (ownsStore) store.close();
        });
      return closing;
    },
  };
}

/** The emulator's parts, before it listens; throws on a bad option. */
function assemble(store: CallStore, options: EmulatorOptions) {
  const webhooks = new WebhookSender({
    ...(options.webhookSecret === undefined ? {} : { secret: options.webhookSecret }),
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
    ...(options.webhookMaxInFlight === undefined ? {} : { maxInFlight: options.webhookMaxInFlight }),
    ...(options.webhookAnyHost === undefined ? {} : { anyHost: options.webhookAnyHost }),
  });
  const calls = new EmulatorCalls({ store, webhooks, ...(options.live?.clock ? { clock: options.live.clock } : {}) });
  // Built before the server, so a bad live option throws before anything listens.
  const live = options.live && options.live.callsPerMinute !== 0 ? new LiveCalls(store, calls, options.live) : undefined;
  const emulator = createEmulatorServer({
    store,
    calls,
    ...(options.envelope === undefined ? {} : { envelope: options.envelope }),
    ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    ...(options.slowBodyMs === undefined ? {} : { slowBodyMs: options.slowBodyMs }),
    ...(options.webhookAnyHost === undefined ? {} : { webhookAnyHost: options.webhookAnyHost }),
  });
  return { webhooks, calls, emulator, live };
}

export { CallStore, type Credential, type CredentialKind } from './store.js';
export {
  EmulatorCalls,
  LiveCalls,
  CallChangeError,
  type CallChange,
  type CallChanges,
  type NewCallFields,
  type LiveOptions,
} from './calls.js';
export {
  LiveSchedule,
  liveProfile,
  DEFAULT_LIVE_TIMINGS,
  LIVE_FINAL_WEIGHTS,
  MAX_LIVE_CALLS_PER_MINUTE,
  type LiveChange,
  type LiveProfile,
  type LiveTimings,
  type LiveScheduleOptions,
} from './live.js';
export {
  WebhookSender,
  webhookUrlProblem,
  WEBHOOK_SECRET_HEADER,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  DEFAULT_WEBHOOK_MAX_IN_FLIGHT,
  type CallStatusPayload,
  type WebhookOptions,
  type WebhookStats,
} from './webhooks.js';
export { mulberry32, type Random } from './random.js';
export {
  createEmulatorServer,
  CALL_HISTORY_PATH,
  CALL_PATH,
  ADMIN_CALLS_PATH,
  ADD_WEBHOOK_PATH,
  CHAOS_PATH,
  REQUESTS_PATH,
  FAULT_HEADER,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MESSAGES,
  type EmulatorServer,
  type EmulatorServerOptions,
  type Envelope,
  type RequestFilter,
  type RequestLogEntry,
} from './server.js';
export {
  ChaosController,
  FAULT_KINDS,
  DEFAULT_RATE_FAULTS,
  type ChaosRule,
  type ChaosRuleInput,
  type Fault,
  type FaultInput,
  type FaultKind,
} from './chaos.js';
export {
  FILTER_STATUSES,
  FILTER_NAMES,
  DATE_FILTER_NAMES,
  parseFilterQuery,
  parseDay,
  formatDay,
  filterBounds,
  type CallFilters,
  type FilterStatus,
  type FilterName,
} from './filters.js';
export { formatRfc2822, parseRfc2822, isCallSid, CALL_SID_PATTERN, type VendorRecord } from './record.js';
export {
  generateCalls,
  iterateCalls,
  DEFAULT_GENERATE_UNTIL,
  DEFAULT_GENERATE_DAYS,
  type GenerateOptions,
} from './generate.js';
export * from './demo.js';
export {
  importCallsFromFile,
  importCallsFromJson,
  validateCallRecord,
  type ImportResult,
  type ImportProblem,
} from './import.js';
