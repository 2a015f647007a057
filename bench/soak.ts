/**
 * Soak: our server in front of the emulator (in a child process, so that its store and request log stay out
 * of the figures) with a share of chaos faults, under a fixed number of concurrent clients for a bounded time.
 * Prints requests served, answers by error code, p50/p99 latency and the server's memory at start, after
 * warm-up and at the end; exits 1 when memory after warm-up grew by more than 10%, an answer was a 5xx or had
 * no code, or a promise was left rejected unhandled.
 *
 * Memory is the process's V8 heap after a forced full GC, sampled every 5 s under load. "After warm-up" is the
 * median of the first three samples past the warm-up, "end" the median of the last three samples taken before
 * the load stopped, so that both are measured with the same number of requests in flight.
 *
 *   npx tsx bench/soak.ts --seconds 120 [--clients 50] [--fault-rate 0.1] [--warmup 20]
 */
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import {
  BUSY_PROJECT_ID,
  CHAOS_PATH,
  DEMO_API_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_PROJECT_ID,
  FAULT_KINDS,
  startEmulator,
} from '../src/emulator/index.js';
import { createLogger } from '../src/logger.js';
import { createApp, listen } from '../src/server.js';

const EMULATOR_CHILD_FLAG = '--emulator-child';

interface Sample {
  at: number;
  heapUsedMb: number;
  rssMb: number;
}

async function soak(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      clients: { type: 'string', default: '50' },
      'fault-rate': { type: 'string', default: '0.1' },
      warmup: { type: 'string' },
    },
  });
  const seconds = positive(values.seconds, 'seconds');
  const clients = positive(values.clients, 'clients');
  const faultRate = Number(values['fault-rate']);
  if (!(faultRate >= 0 && faultRate <= 1)) throw new Error('--fault-rate must be between 0 and 1');
  const warmupSeconds = values.warmup === undefined ? Math.min(20, Math.round(seconds / 6)) : positive(values.warmup, 'warmup');

  const gc = exposeGc();
  let unhandled = 0;
  process.on('unhandledRejection', () => unhandled++);

  const child = fork(fileURLToPath(import.meta.url), [EMULATOR_CHILD_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const emulatorUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve(message.url));
    child.once('exit', (code) => reject(new Error(`emulator child exited (${code})`)));
  });

  // Production settings, defaults otherwise: deadline 10 s, attempt 5 s, two retries, 64 connections.
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn' });
  const logger = createLogger('warn', { write: () => true });
  const app = createApp({ ...config, UPSTREAM_URL: emulatorUrl }, logger);
  const server = await listen(app, '127.0.0.1', 0);

  // Every fault kind of the emulator, on `faultRate` of the upstream requests (retries included).
  await setChaos(emulatorUrl, { rate: faultRate, seed: 20_240_130, retryAfter: 1, rateFaults: [...FAULT_KINDS] });

  const pool = new Pool(server.url, { connections: clients, pipelining: 1 });
  const latencies: number[] = [];
  const answers = new Map<string, number>();
  const problems: string[] = [];
  const count = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);

  gc();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const loadAtStart = loadavg()[0]!;
  const start = memory(0);
  const startedAt = performance.now();
  const endsAt = startedAt + seconds * 1_000;
  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    // The sample due at the end (timers fire a little late) still counts; later ones see the load draining.
    if (performance.now() > endsAt + 1_000) return;
    gc();
    samples.push(memory(performance.now() - startedAt));
  }, 5_000);

  const client = async (index: number) => {
    let previous: { operation: Operation; endCursor: string } | undefined;
    for (let n = 0; performance.now() < endsAt; n++) {
      const operation = pickOperation(index, n, previous);
      const began = performance.now();
      try {
        const response = await pool.request({
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', ...operation.headers },
          body: JSON.stringify({ query: operation.query, variables: operation.variables }),
        });
        const text = await response.body.text();
        latencies.push(performance.now() - began);
        if (response.statusCode >= 500) problems.push(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        const json = JSON.parse(text) as { data?: { callHistory?: { pageInfo?: { endCursor: string | null } } }; errors?: Array<{ extensions?: { code?: string } }> };
        if (json.errors?.length) {
          const code = json.errors[0]?.extensions?.code;
          if (!code) problems.push(`error without a code: ${text.slice(0, 200)}`);
          count(code ?? 'NO_CODE');
          previous = undefined;
        } else {
          count('ok');
          const endCursor = json.data?.callHistory?.pageInfo?.endCursor;
          previous = endCursor ? { operation, endCursor } : undefined;
        }
      } catch (error) {
        latencies.push(performance.now() - began);
        count('CLIENT_ERROR');
        problems.push(`client error: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  clearInterval(sampler);
  gc();
  const drained = memory(performance.now() - startedAt);
  const elapsedSeconds = (performance.now() - startedAt) / 1_000;

  await pool.close();
  await server.close();
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));

  const afterWarmup = samples.filter((sample) => sample.at >= warmupSeconds * 1_000);
  if (afterWarmup.length < 6) throw new Error('too few memory samples after warm-up: run longer or warm up for less');
  const baseline = median(afterWarmup.slice(0, 3));
  const end = median(afterWarmup.slice(-3));
  const growth = (end.heapUsedMb - baseline.heapUsedMb) / baseline.heapUsedMb;
  latencies.sort((a, b) => a - b);
  const served = latencies.length;
  const lines = [
    `soak: ${seconds} s, ${clients} concurrent clients, ${Math.round(faultRate * 100)}% of upstream requests faulted (${FAULT_KINDS.length} fault kinds), warm-up ${warmupSeconds} s`,
    `machine: ${availableParallelism()} CPUs, Node ${process.version}, load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`,
    `requests served: ${served} (${Math.round(served / elapsedSeconds)}/s)`,
    'answers by code:',
    ...[...answers.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `  ${code.padEnd(24)} ${String(n).padStart(8)}  ${((100 * n) / served).toFixed(2)}%`),
    `latency: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
    `event-loop delay (server and clients share this process): p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
    `memory (heap used after GC / RSS): start ${mb(start)}, after warm-up ${mb(baseline)}, end ${mb(end)}, after the load drained ${mb(drained)}`,
    `heap growth after warm-up: ${(growth * 100).toFixed(1)}% (limit 10%)`,
    `heap samples every 5 s (MB): ${samples.map((s) => s.heapUsedMb.toFixed(1)).join(' ')}`,
    `5xx or uncoded answers: ${problems.length}; unhandled rejections: ${unhandled}`,
    ...problems.slice(0, 5).map((p) => `  ${p}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = growth > 0.1 || problems.length > 0 || unhandled > 0 ? 1 : 0;
}

interface Operation {
  query: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
}

const PAGE = `query Page($projectId: ID!, $filter: CallFilter, $first: Int, $after: String) {
  callHistory(projectId: $projectId, filter: $filter, first: $first, after: $after) {
    edges { cursor node { sid status rawStatus from to startedAt durationSeconds endedAt cost recordingUrls } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const API_KEY = { 'x-api-key': DEMO_API_KEY };
const BEARER = { authorization: `Bearer ${DEMO_BEARER_TOKEN}` };
const STATUSES = ['COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'IN_PROGRESS'];

/** A realistic mix: first pages under various filters, next pages by cursor, a few refused requests. */
function pickOperation(client: number, n: number, previous: { operation: Operation; endCursor: string } | undefined): Operation {
  const roll = (client * 7_919 + n * 104_729) % 100;
  const day = (offset: number) => new Date(Date.UTC(2026, 9, 31) - offset * 86_400_000).toISOString().slice(0, 10);
  const page = (variables: Record<string, unknown>, headers: Record<string, string> = API_KEY): Operation => ({ query: PAGE, variables, headers });
  if (previous && roll < 30) {
    // The next page of the client's previous list: same arguments, its end cursor.
    return { ...previous.operation, variables: { ...previous.operation.variables, after: previous.endCursor } };
  }
  if (roll < 45) return page({ projectId: DEMO_PROJECT_ID, first: 10 + (n % 50) });
  if (roll < 60) return page({ projectId: DEMO_PROJECT_ID, first: 25, filter: { status: STATUSES[n % STATUSES.length] } });
  if (roll < 72) return page({ projectId: DEMO_PROJECT_ID, first: 50, filter: { started: { onOrAfter: day(30 + (n % 90)), before: day(n % 30) } } });
  if (roll < 82) {
    const from = new Date(Date.UTC(2026, 9, 1) - (n % 60) * 86_400_000 + 3_600_000 * (client % 24));
    const to = new Date(from.getTime() + 36 * 3_600_000);
    return page({ projectId: DEMO_PROJECT_ID, first: 30, filter: { startedAt: { onOrAfter: from.toISOString(), before: to.toISOString() } } }, BEARER);
  }
  if (roll < 92) return page({ projectId: BUSY_PROJECT_ID, first: 100, filter: { started: { on: day(n % 21) } } });
  if (roll < 96) return page({ projectId: DEMO_PROJECT_ID, first: 5_000 }); // BAD_USER_INPUT
  if (roll < 98) return page({ projectId: BUSY_PROJECT_ID, first: 5 }, BEARER); // FORBIDDEN: the token reads demo only
  return page({ projectId: DEMO_PROJECT_ID, first: 5 }, {}); // UNAUTHENTICATED
}

async function setChaos(emulatorUrl: string, rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${emulatorUrl}${CHAOS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  if (!response.ok) throw new Error(`chaos rule refused: ${await response.text()}`);
}

function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

function memory(at: number): Sample {
  const { heapUsed, rss } = process.memoryUsage();
  return { at, heapUsedMb: heapUsed / 2 ** 20, rssMb: rss / 2 ** 20 };
}

function median(list: Sample[]): Sample {
  const pick = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { at: list.at(-1)!.at, heapUsedMb: pick(list.map((s) => s.heapUsedMb)), rssMb: pick(list.map((s) => s.rssMb)) };
}

const mb = (s: Sample) => `${s.heapUsedMb.toFixed(1)} MB / ${s.rssMb.toFixed(0)} MB`;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function positive(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

if (process.argv.includes(EMULATOR_CHILD_FLAG)) {
  // The child: the emulator with its demo data and chaos control; it reports its URL and lives until told to stop.
  const emulator = await startEmulator({ port: 0, chaos: true, demo: true });
  process.send!({ url: emulator.url });
  process.on('disconnect', () => void emulator.close().then(() => process.exit(0)));
} else {
  await soak();
}
