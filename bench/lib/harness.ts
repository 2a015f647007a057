/**
 * The side-by-side benchmark: a stub upstream, two bare proxies, our server and the peer, each in its
 * own process, measured in one run on one machine so that only ratios are compared.
 *
 * Layout: the load generator (this process) and the stub share core 0; every contender runs on core 1, one at
 * a time under load. Before anything is timed, every contender must return the same calls as the stub.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { runLoad, type LoadResult } from './load.js';
import { type Child, freePort, hasTaskset, pinSelf, procSample, raisePriority, spawnNode, waitUntil, watchProcess } from './processes.js';
import { ALIASES, type Dialect, callsOf, type NormalCall, PROJECT_ID, requestBody } from './queries.js';
import { parseOptions } from './options.js';
import { profileServer } from './profile.js';
import { type Report, writeReport } from './report.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = fileURLToPath(new URL('../..', import.meta.url));
const LOAD_CORE = 0;
const SERVER_CORE = 1;

// ---------------------------------------------------------------------------------------------------------
// Contenders

type Shape = 'upstream' | Dialect;

interface Running {
  url: string;
  child: Child;
}

export interface Contender {
  id: string;
  label: string;
  /** What its responses look like. */
  shape: Shape;
  /** What its requests look like. */
  asks: Dialect;
  /** Speaks GraphQL (runs the aliases scenario). */
  graphql: boolean;
  /** A lever variant (measured on a subset of scenarios, reported apart). */
  variant: boolean;
  /** A variant left out of the full run unless named with --contenders (already measured: no effect). */
  optional?: boolean;
  start(stubUrl: string, supergraph: string): Promise<Running>;
}

/** Our server's environment in every measurement: the stub as upstream, logs at warn, production. */
export const ourEnv = (stubUrl: string, port: number, extra: Record<string, string> = {}) => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  UPSTREAM_URL: stubUrl,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  ...extra,
});

async function startProxy(mode: 'pipe' | 'json', stubUrl: string): Promise<Running> {
  const port = await freePort();
  const child = spawnNode({
    name: `proxy-${mode}`,
    args: ['--import', 'tsx', 'bench/servers/proxy.ts'],
    env: { MODE: mode, PORT: String(port), UPSTREAM_URL: stubUrl },
    cwd: rootDir,
    core: SERVER_CORE,
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

/** The node flags `npm start` passes (e.g. the young-generation size), so (c) runs exactly as shipped. */
export function shippedNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return scripts.start.split(/\s+/).filter((token) => token.startsWith('--'));
}

/** `npm start` builds dist/ (its prestart) and runs the compiled JavaScript: so does the benchmark, once. */
let built = false;
export function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: rootDir, stdio: 'inherit' });
  built = true;
}

async function startOurs(
  name: string,
  entry: string,
  stubUrl: string,
  extra: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<Running> {
  const port = await freePort();
  // dist/main.js runs as `npm start` runs it; the lever launcher (TypeScript) through tsx.
  if (entry.startsWith('dist/')) buildOnce();
  const child = spawnNode({
    name,
    args: [...nodeFlags, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry],
    env: ourEnv(stubUrl, port, extra),
    cwd: rootDir,
    core: SERVER_CORE,
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

async function startPeer(name: string, supergraph: string, extraArgs: string[] = []): Promise<Running> {
  const port = await freePort();
  const child = spawnNode({
    name,
    args: [
      join(benchDir, 'node_modules/@graphql-hive/gateway/dist/bin.js'),
      'supergraph',
      supergraph,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--fork',
      '1',
      '--config-path',
      join(benchDir, 'peer/gateway.config.ts'),
      ...extraArgs,
    ],
    env: { NODE_ENV: 'production' },
    cwd: join(benchDir, 'peer'),
    core: SERVER_CORE,
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

/**
 * A floor server: the shared floor schema (`servers/floor-schema.ts`) behind one transport, with npm start's node
 * flags, so that what separates a floor from (c) is code, not V8's settings.
 */
async function startFloor(name: string, entry: string, stubUrl: string, extra: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const child = spawnNode({
    name,
    args: [...shippedNodeFlags(), '--import', 'tsx', entry],
    env: { PORT: String(port), UPSTREAM_URL: stubUrl, NODE_ENV: 'production', ...extra },
    cwd: rootDir,
    core: SERVER_CORE,
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child };
}

export const CONTENDERS: Contender[] = [
  {
    id: 'a',
    label: '(a) P0-pipe: bare piping proxy',
    shape: 'upstream',
    asks: 'ours',
    graphql: false,
    variant: false,
    start: (stub) => startProxy('pipe', stub),
  },
  {
    id: 'b',
    label: '(b) P0-json: parse + re-serialise proxy',
    shape: 'ours',
    asks: 'ours',
    graphql: false,
    variant: false,
    start: (stub) => startProxy('json', stub),
  },
  {
    id: 'c',
    label: '(c) our server, as shipped',
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: false,
    start: (stub) => startOurs('ours', 'dist/main.js', stub, {}, shippedNodeFlags()),
  },
  {
    id: 'd',
    label: '(d) peer: Mesh compose + Hive Gateway',
    shape: 'peer',
    asks: 'peer',
    graphql: true,
    variant: false,
    start: (_stub, supergraph) => startPeer('peer', supergraph),
  },
  {
    id: 'y',
    label: '(y) Yoga floor: (b)\'s work in a bare graphql-yoga resolver',
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startFloor('yoga-floor', 'bench/servers/yoga-floor.ts', stub),
  },
  {
    id: 'l',
    label: "(l) lean floor: (b)'s work in Yoga's envelop pipeline (getEnveloped) on node:http",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startFloor('envelop-floor', 'bench/servers/envelop-floor.ts', stub),
  },
  {
    id: 'j',
    label: "(j) jit floor: the lean floor with graphql-jit compiled execution (compiled once per document)",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startFloor('jit-floor', 'bench/servers/envelop-floor.ts', stub, { FLOOR_EXECUTION: 'jit' }),
  },
  {
    id: 'h',
    label: "(h) handled floor: the jit floor's work served through our lean transport into Yoga's whole request handling",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startFloor('handled-floor', 'bench/servers/handled-floor.ts', stub),
  },
  {
    id: 'c-yoga-transport',
    label: '(c) with LEAN_TRANSPORT=false (every request through Yoga\'s node adapter)',
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startOurs('ours-yoga-transport', 'dist/main.js', stub, { LEAN_TRANSPORT: 'false' }, shippedNodeFlags()),
  },
  {
    id: 'c-graphql-js',
    label: '(c) with COMPILED_EXECUTION=false (graphql-js executes every operation)',
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) => startOurs('ours-graphql-js', 'dist/main.js', stub, { COMPILED_EXECUTION: 'false' }, shippedNodeFlags()),
  },
  {
    id: 'c-pool32',
    label: '(c) with UPSTREAM_CONNECTIONS=32',
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    optional: true,
    start: (stub) => startOurs('ours-pool32', 'dist/main.js', stub, { UPSTREAM_CONNECTIONS: '32' }, shippedNodeFlags()),
  },
  {
    id: 'c-pretenuring',
    label: "(c) with V8's allocation-site pretenuring (npm start turns it off)",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    start: (stub) =>
      startOurs('ours-pretenuring', 'dist/main.js', stub, {}, shippedNodeFlags().filter((flag) => flag !== '--no-allocation-site-pretenuring')),
  },
  {
    id: 'c-default-heap',
    label: "(c) without npm start's --max-semi-space-size (Node's default young generation)",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    optional: true,
    start: (stub) =>
      startOurs('ours-default-heap', 'dist/main.js', stub, {}, shippedNodeFlags().filter((flag) => !flag.startsWith('--max-semi-space-size'))),
  },
  // 8: less young-generation RSS at one connection, at a price under 50 (measured, so the trade shows in RESULTS.md).
  ...[8, 32, 64].map(
    (mib): Contender => ({
      id: `c-semi-${mib}`,
      label: `(c) with --max-semi-space-size=${mib} instead of npm start's`,
      shape: 'ours',
      asks: 'ours',
      graphql: true,
      variant: true,
      optional: mib === 32,
      start: (stub) =>
        startOurs(`ours-semi-${mib}`, 'dist/main.js', stub, {}, [
          ...shippedNodeFlags().filter((flag) => !flag.startsWith('--max-semi-space-size')),
          `--max-semi-space-size=${mib}`,
        ]),
    }),
  ),
  {
    id: 'c-memory-saver',
    label: "(c) with V8's --memory-saver-mode added to npm start's flags",
    shape: 'ours',
    asks: 'ours',
    graphql: true,
    variant: true,
    optional: true,
    start: (stub) => startOurs('ours-memory-saver', 'dist/main.js', stub, {}, [...shippedNodeFlags(), '--memory-saver-mode']),
  },
  {
    id: 'd-jit',
    label: '(d) peer with --jit',
    shape: 'peer',
    asks: 'peer',
    graphql: true,
    variant: true,
    optional: true,
    start: (_stub, supergraph) => startPeer('peer-jit', supergraph, ['--jit']),
  },
];

// ---------------------------------------------------------------------------------------------------------
// Scenarios

export interface Scenario {
  id: string;
  title: string;
  connections: number;
  pageSize: number;
  aliased: boolean;
  /** Fixed arrival rate (requests per second); closed loop when absent. */
  rate?: number;
  delayMs: number;
  /** Lever variants are measured here too. */
  levers: boolean;
}

export const SCENARIOS: Scenario[] = [
  { id: 'S1', title: 'latency: 1 connection, pageSize 20', connections: 1, pageSize: 20, aliased: false, delayMs: 0, levers: true },
  { id: 'S2', title: 'throughput: 50 connections, pageSize 20', connections: 50, pageSize: 20, aliased: false, delayMs: 0, levers: true },
  { id: 'S3', title: 'large pages: 50 connections, pageSize 1,000', connections: 50, pageSize: 1000, aliased: false, delayMs: 0, levers: true },
  {
    id: 'S4',
    title: `aliases: one operation with ${ALIASES} aliases of the same arguments, 50 connections, pageSize 20`,
    connections: 50,
    pageSize: 20,
    aliased: true,
    delayMs: 0,
    levers: false,
  },
  {
    id: 'S5',
    title: '20 ms upstream delay at a fixed 200 requests/s, 20 connections, pageSize 20',
    connections: 20,
    pageSize: 20,
    aliased: false,
    rate: 200,
    delayMs: 20,
    levers: false,
  },
];

const appliesTo = (scenario: Scenario, contender: Contender) =>
  (!scenario.aliased || contender.graphql) && (!contender.variant || scenario.levers);

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers

let probeCounter = 0;
async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': `probe-${++probeCounter}`, ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

interface StubStats {
  requests: number;
  unauthorized: number;
  badRequests: number;
}

export class Stub {
  constructor(
    readonly url: string,
    readonly child: Child,
  ) {}

  async stats(): Promise<StubStats> {
    return (await (await fetch(`${this.url}/__stub/stats`)).json()) as StubStats;
  }

  async reset(): Promise<void> {
    await fetch(`${this.url}/__stub/reset`, { method: 'POST' });
  }

  async delay(ms: number): Promise<void> {
    await fetch(`${this.url}/__stub/delay?ms=${ms}`, { method: 'POST' });
  }

  async calls(pageSize: number): Promise<NormalCall[]> {
    const { text } = await post(`${this.url}/call/get-call-history`, JSON.stringify({ projectId: PROJECT_ID, pageSize }));
    const calls = callsOf('upstream', text);
    if (typeof calls === 'string') throw new Error(`the stub answered badly: ${calls}`);
    return calls;
  }
}

/** The stub upstream, on the load generator's core. */
export async function startStub(): Promise<Stub> {
  const child = spawnNode({ name: 'stub', args: ['--import', 'tsx', 'bench/servers/stub.ts'], env: { PORT: '0' }, cwd: rootDir, core: LOAD_CORE });
  let port = 0;
  await waitUntil(child, async () => {
    const match = /LISTENING (\d+)/.exec(child.output());
    if (match) port = Number(match[1]);
    return port > 0;
  });
  return new Stub(`http://127.0.0.1:${port}`, child);
}

function compose(stubUrl: string, outDir: string): string {
  const supergraph = join(outDir, 'supergraph.graphql');
  execFileSync(process.execPath, [join(benchDir, 'node_modules/@graphql-mesh/compose-cli/esm/bin.js'), '-o', supergraph], {
    cwd: join(benchDir, 'peer'),
    env: { ...process.env, BENCH_STUB_URL: stubUrl },
    stdio: 'pipe',
  });
  return supergraph;
}

// ---------------------------------------------------------------------------------------------------------
// The "same calls" check, run before anything is timed

export interface CheckOutcome {
  /** Per contender and pageSize: does it return the stub's calls? */
  rows: Array<{ contender: string; pageSize: number; calls: number; same: boolean; problem: string | null }>;
  /** Upstream requests for one operation with ALIASES aliases, per GraphQL contender. */
  aliasUpstreamRequests: Record<string, number>;
  /** Upstream requests for one answer, per contender and pageSize (`<contender>/<pageSize>`), counted by the stub alone. */
  pageUpstreamRequests: Record<string, number>;
  /** The exact response body of each (contender, scenario), for the warm-up validator. */
  reference: Map<string, string>;
}

const referenceKey = (contender: Contender, scenario: Pick<Scenario, 'pageSize' | 'aliased'>) =>
  `${contender.id}/${scenario.pageSize}/${scenario.aliased ? 'aliased' : 'plain'}`;

async function checkSameCalls(stub: Stub, contenders: Array<{ contender: Contender; running: Running }>, scenarios: Scenario[]): Promise<CheckOutcome> {
  const outcome: CheckOutcome = { rows: [], aliasUpstreamRequests: {}, pageUpstreamRequests: {}, reference: new Map() };
  const sizes = [...new Set(scenarios.map((scenario) => scenario.pageSize))];
  for (const pageSize of sizes) {
    const expected = await stub.calls(pageSize);
    for (const { contender, running } of contenders) {
      // Counted with nothing else running: the timed runs' counts include requests still in flight when a run ends.
      await stub.reset();
      const { status, text } = await post(running.url, requestBody(contender.asks, pageSize));
      outcome.pageUpstreamRequests[`${contender.id}/${pageSize}`] = (await stub.stats()).requests;
      const calls = status === 200 ? callsOf(contender.shape, text) : `HTTP ${status}: ${text.slice(0, 200)}`;
      const same = typeof calls !== 'string' && isDeepStrictEqual(calls, expected);
      outcome.rows.push({
        contender: contender.id,
        pageSize,
        calls: typeof calls === 'string' ? 0 : calls.length,
        same,
        problem: typeof calls === 'string' ? calls : same ? null : firstDifference(calls, expected),
      });
      // A second answer must be byte-identical: the warm-up validator relies on it.
      const again = await post(running.url, requestBody(contender.asks, pageSize));
      outcome.reference.set(referenceKey(contender, { pageSize, aliased: false }), again.text === text ? text : '');
    }
  }
  if (scenarios.some((scenario) => scenario.aliased)) {
    const pageSize = scenarios.find((scenario) => scenario.aliased)!.pageSize;
    const expected = await stub.calls(pageSize);
    for (const { contender, running } of contenders) {
      if (!contender.graphql) continue;
      await stub.reset();
      const { status, text } = await post(running.url, requestBody(contender.asks, pageSize, true));
      outcome.aliasUpstreamRequests[contender.id] = (await stub.stats()).requests;
      let problem: string | null = status === 200 ? null : `HTTP ${status}`;
      for (let index = 0; index < ALIASES && problem === null; index++) {
        const calls = callsOf(contender.shape, text, `h${index}`);
        if (typeof calls === 'string') problem = calls;
        else if (!isDeepStrictEqual(calls, expected)) problem = `alias h${index}: ${firstDifference(calls, expected)}`;
      }
      outcome.rows.push({ contender: contender.id, pageSize: -ALIASES, calls: problem ? 0 : pageSize * ALIASES, same: problem === null, problem });
      outcome.reference.set(referenceKey(contender, { pageSize, aliased: true }), problem === null ? text : '');
    }
  }
  return outcome;
}

function firstDifference(actual: NormalCall[], expected: NormalCall[]): string {
  if (actual.length !== expected.length) return `${actual.length} calls, expected ${expected.length}`;
  const index = actual.findIndex((call, i) => !isDeepStrictEqual(call, expected[i]));
  return `call ${index}: ${JSON.stringify(actual[index])} vs ${JSON.stringify(expected[index])}`;
}

// ---------------------------------------------------------------------------------------------------------
// Measuring

export interface Measurement extends LoadResult {
  upstreamRequests: number;
  unauthorized: number;
  peakRssBytes: number;
  cpuPercent: number;
  /** CPU time of the contender's process per answered request: steadier than req/s on a shared machine. */
  cpuMsPerRequest: number;
  /** Why this run cannot be trusted, if it cannot. */
  problems: string[];
}

export interface Cell {
  scenario: string;
  contender: string;
  warmup: { problems: string[]; bytesPerResponse: number };
  runs: Measurement[];
}

async function measure(
  stub: Stub,
  contender: Contender,
  running: Running,
  scenario: Scenario,
  seconds: number,
  validate?: LoadOptionsValidate,
): Promise<Measurement> {
  await stub.reset();
  const watcher = watchProcess(running.child.pid);
  const result = await runLoad({
    url: running.url,
    body: requestBody(contender.asks, scenario.pageSize, scenario.aliased),
    connections: scenario.connections,
    seconds,
    ...(scenario.rate === undefined ? {} : { rate: scenario.rate }),
    ...(validate ? { validate } : {}),
  });
  const usage = watcher.stop();
  const stats = await stub.stats();
  const problems: string[] = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx answers`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result.invalid.count > 0) problems.push(`${result.invalid.count} invalid bodies, first: ${result.invalid.first}`);
  if (stats.unauthorized > 0) problems.push(`${stats.unauthorized} upstream requests without a credential`);
  if (stats.badRequests > 0) problems.push(`${stats.badRequests} upstream requests the stub rejected`);
  if (running.child.exited()) problems.push('the server exited');
  return {
    ...result,
    upstreamRequests: stats.requests,
    unauthorized: stats.unauthorized,
    peakRssBytes: usage.peakRssBytes,
    cpuPercent: (usage.cpuSeconds / usage.seconds) * 100,
    cpuMsPerRequest: result.responses > 0 ? (usage.cpuSeconds * 1000) / result.responses : Number.NaN,
    problems,
  };
}

type LoadOptionsValidate = (status: number, body: string) => string | null;

function validatorFor(reference: string): LoadOptionsValidate {
  return (status, body) => {
    if (status !== 200) return `HTTP ${status}: ${body.slice(0, 120)}`;
    if (body.length !== reference.length || body !== reference) return `unexpected body: ${body.slice(0, 160)}`;
    return null;
  };
}

// ---------------------------------------------------------------------------------------------------------

function machine(): Report['machine'] {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: rootDir, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    v8: process.versions.v8,
    commit: dirty ? `${commit} (with uncommitted changes)` : commit,
    taskset: hasTaskset,
    priority: '',
    loadBefore: loadavg().map((value) => value.toFixed(2)).join(' '),
    loadAfter: '',
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);

export async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const started = Date.now();
  pinSelf(LOAD_CORE);
  const info = machine();
  info.priority = raisePriority() ? 'nice -10 for the stub, the contenders and the load generator' : 'default';

  const scenarios = SCENARIOS.filter((scenario) => !options.scenarios || options.scenarios.includes(scenario.id));
  const contenders = CONTENDERS.filter(
    (contender) =>
      options.contenders ? options.contenders.includes(contender.id) : !contender.variant || (options.levers && !contender.optional),
  );
  log(
    `Benchmark (${options.quick ? 'quick' : 'full'}): ${contenders.map((c) => c.id).join(', ')} x ${scenarios.map((s) => s.id).join(', ')}; ` +
      `warm-up ${options.warmupSeconds} s (${options.firstWarmupSeconds} s in the first scenario), ${options.runs} runs of ${options.seconds} s${hasTaskset ? '' : '; taskset not found: processes are not pinned'}`,
  );
  log(`The report will be written to ${options.out}${options.out.endsWith('bench/RESULTS.md') ? ' (the committed results)' : ''}.`);

  const outDir = mkdtempSync(join(tmpdir(), 'call-history-bench-'));
  const stub = await startStub();
  const running: Array<{ contender: Contender; running: Running }> = [];
  try {
    const supergraph = contenders.some((contender) => contender.shape === 'peer') ? compose(stub.url, outDir) : '';
    for (const contender of contenders) running.push({ contender, running: await contender.start(stub.url, supergraph) });
    await Promise.all(
      running.map(({ contender, running: server }) =>
        waitUntil(server.child, async () => (await post(server.url, requestBody(contender.asks, 1))).status === 200),
      ),
    );
    log(`Started the stub and ${running.length} contenders in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    // Each process's footprint after start-up and one answer, before any load: the floor under its peak RSS.
    const idleRssMiB: Record<string, number> = {};
    for (const { contender, running: server } of running) {
      const sample = procSample(server.child.pid);
      if (sample) idleRssMiB[contender.id] = sample.rssBytes / 2 ** 20;
    }

    const check = await checkSameCalls(stub, running, scenarios);
    for (const row of check.rows.filter((r) => !r.same)) log(`  NOT THE SAME CALLS: ${row.contender} pageSize ${row.pageSize}: ${row.problem}`);
    const mainIds = new Set(['b', 'c', 'd']);
    if (check.rows.some((row) => !row.same && (mainIds.has(row.contender) || row.contender === 'a'))) {
      throw new Error('The contenders do not return the same calls; nothing was timed.');
    }
    log(`Same-calls check passed (${check.rows.length} comparisons). Aliases: ${JSON.stringify(check.aliasUpstreamRequests)} upstream requests.`);
    const usable = running.filter(({ contender }) => check.rows.every((row) => row.contender !== contender.id || row.same));

    const cells: Cell[] = [];
    for (const scenario of scenarios) {
      await stub.delay(scenario.delayMs);
      const here = usable.filter(({ contender }) => appliesTo(scenario, contender));
      const byId = new Map<string, Cell>();
      for (const { contender, running: server } of here) {
        const reference = check.reference.get(referenceKey(contender, scenario)) ?? '';
        // The first scenario meets every process cold: V8 is still optimising the request path for its first seconds of load.
        const warmupSeconds = scenario === scenarios[0] ? options.firstWarmupSeconds : options.warmupSeconds;
        const warm = await measure(stub, contender, server, scenario, warmupSeconds, reference ? validatorFor(reference) : undefined);
        const warmProblems = reference ? warm.problems : ['no stable reference body: bodies not validated', ...warm.problems];
        const cell: Cell = { scenario: scenario.id, contender: contender.id, warmup: { problems: warmProblems, bytesPerResponse: warm.bytesPerResponse }, runs: [] };
        byId.set(contender.id, cell);
        cells.push(cell);
      }
      for (let run = 1; run <= options.runs; run++) {
        for (const { contender, running: server } of here) {
          const cell = byId.get(contender.id)!;
          const result = await measure(stub, contender, server, scenario, options.seconds);
          const expectedBytes = cell.warmup.bytesPerResponse;
          if (expectedBytes > 0 && Math.abs(result.bytesPerResponse - expectedBytes) / expectedBytes > 0.005) {
            result.problems.push(`response size ${result.bytesPerResponse.toFixed(0)} B differs from the validated warm-up's ${expectedBytes.toFixed(0)} B`);
          }
          cell.runs.push(result);
          log(
            `${scenario.id} ${contender.id.padEnd(11)} run ${run}: ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s, ` +
              `p50 ${result.p50.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
              `RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB, CPU ${result.cpuPercent.toFixed(0)}% (${result.cpuMsPerRequest.toFixed(2)} ms/req)` +
              (result.problems.length ? `  PROBLEMS: ${result.problems.join('; ')}` : ''),
          );
        }
      }
    }
    await stub.delay(0);

    // Where (c)'s CPU time goes, for the goals a run may not meet: a profile per throughput scenario (full runs).
    const profiles: Report['profiles'] = [];
    if (options.profiles && CONTENDERS.some((contender) => contender.id === 'c' && contenders.includes(contender))) {
      // The other contenders idle meanwhile; the profiled server has the contenders' core to itself but for them.
      for (const scenario of scenarios.filter((one) => one.rate === undefined && !one.aliased && one.connections > 1)) {
        log(`Profiling (c) under ${scenario.id}'s load for ${options.seconds} s...`);
        // A failed profile leaves the timed results intact.
        try {
          const port = await freePort();
          const summary = await profileServer({
            name: `ours-profile-${scenario.id}`,
            args: [...shippedNodeFlags(), 'dist/main.js'],
            env: ourEnv(stub.url, port),
            cwd: rootDir,
            core: hasTaskset ? SERVER_CORE : undefined,
            body: requestBody('ours', scenario.pageSize),
            connections: scenario.connections,
            seconds: options.seconds,
          });
          profiles.push({ scenario: scenario.id, summary });
        } catch (error) {
          log(`  profiling failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    info.loadAfter = loadavg().map((value) => value.toFixed(2)).join(' ');

    const report: Report = {
      mode: options.quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      elapsedSeconds: (Date.now() - started) / 1000,
      options: { runs: options.runs, warmupSeconds: options.warmupSeconds, firstWarmupSeconds: options.firstWarmupSeconds, seconds: options.seconds },
      machine: info,
      contenders: usable.map(({ contender }) => ({ id: contender.id, label: contender.label, variant: contender.variant })),
      scenarios,
      check,
      cells,
      profiles,
      idleRssMiB,
    };
    mkdirSync(dirname(options.out), { recursive: true });
    writeReport(options.out, report);
    log(`Wrote ${options.out} in ${report.elapsedSeconds.toFixed(0)} s.`);
  } finally {
    await Promise.all(running.map(({ running: server }) => server.child.stop()));
    await stub.child.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

