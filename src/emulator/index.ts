import type { AddressInfo } from 'node:net';
import { loadDemoData } from './demo.js';
import { createEmulatorServer, type Envelope, type RequestFilter, type RequestLogEntry } from './server.js';
import { CallStore } from './store.js';
import type { ChaosController } from './chaos.js';

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
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const ownsStore = options.store === undefined;
  const store = options.store ?? new CallStore(options.db ?? ':memory:');
  try {
    if ((options.demo ?? true) && store.count() === 0) {
      loadDemoData(store, {
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.calls === undefined ? {} : { calls: options.calls }),
      });
    }
  } catch (error) {
    if (ownsStore) store.close();
    throw error;
  }

  const emulator = createEmulatorServer({
    store,
    ...(options.envelope === undefined ? {} : { envelope: options.envelope }),
    ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    ...(options.slowBodyMs === undefined ? {} : { slowBodyMs: options.slowBodyMs }),
  });
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(options.port ?? 0, host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
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
    close() {
      closing ??= emulator.close().finally(() => {
        if (ownsStore) store.close();
      });
      return closing;
    },
  };
}

export { CallStore, type Credential, type CredentialKind } from './store.js';
export {
  createEmulatorServer,
  CALL_HISTORY_PATH,
  CALL_PATH,
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
