/**
 * `npm run bench:alloc`: garbage per request, side by side. Each contender runs alone on its core under S2's load
 * (50 connections, pageSize 20; `--page-size 1000` for S3's) with V8's GC trace (`--trace-gc-nvp`), and the bytes
 * V8 reports allocated and promoted between the collections of the timed window are divided by the responses.
 *
 * Unlike requests per second, these figures hardly move with whatever else the machine runs: they are the noise-free
 * view of "allocate per request only what the request needs". The differences split our server's garbage as the
 * full run splits its CPU: (j) − (b) is execution inside Yoga's envelop, (h) − (j) Yoga's request handling, (c) − (h)
 * what our server adds.
 *
 * Options: --contenders b,j,h,c (any id of `npm run bench`'s but the peer, whose gateway forks its worker),
 * --seconds S (timed window, default 8), --warmup S (default 5), --connections N (50), --page-size N (20).
 */
import type { Collection, LineSplitter as Splitter } from './lib/gc-trace.js';

const USAGE = 'Usage: npm run bench:alloc -- [--contenders b,j,h,c] [--seconds 8] [--warmup 5] [--connections 50] [--page-size 20]\n';
const args = process.argv.slice(2);
// Before the harness is loaded: --help and bad arguments need nothing from bench/node_modules.
if (args.includes('--help')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : (args[at + 1] ?? fallback);
};
const whole = (name: string, fallback: string): number => {
  const value = Number(option(name, fallback));
  if (Number.isInteger(value) && value > 0) return value;
  process.stderr.write(`--${name} takes a whole number above 0\n${USAGE}`);
  process.exit(2);
};
const ids = option('contenders', 'b,j,h,c').split(',').filter(Boolean);
const seconds = whole('seconds', '8');
const warmup = whole('warmup', '5');
const connections = whole('connections', '50');
const pageSize = whole('page-size', '20');

const { LineSplitter, parseGcLine } = await import('./lib/gc-trace.js');
const { runLoad } = await import('./lib/load.js');
const { CONTENDERS, buildOnce, startStub } = await import('./lib/harness.js');
const { pinSelf, spawnHooks, waitUntil } = await import('./lib/processes.js');
const { requestBody } = await import('./lib/queries.js');
const contenders = ids.map((id) => {
  const contender = CONTENDERS.find((candidate) => candidate.id === id);
  if (!contender || contender.shape === 'peer') throw new Error(`unknown or unsupported contender: ${id}`);
  return contender;
});

let listening: string | undefined;
let collections: Collection[] = [];
const splitters = new Map<string, Splitter>();
spawnHooks.nodeFlags = ['--trace-gc-nvp'];
spawnHooks.onStdout = (name, chunk) => {
  let splitter = splitters.get(name);
  if (!splitter) splitters.set(name, (splitter = new LineSplitter()));
  const lines = splitter.push(chunk.toString('utf8'));
  if (name !== listening) return;
  for (const line of lines) {
    const collection = parseGcLine(line);
    if (collection) collections.push(collection);
  }
};

pinSelf(0);
if (contenders.some((contender) => contender.id.startsWith('c'))) buildOnce();
const stub = await startStub();
const body = requestBody('ours', pageSize);
const rows: Array<{ id: string; label: string; responses: number; allocatedKiB: number; promotedKiB: number; scavenges: number; others: number; pausePerRequestUs: number }> = [];
try {
  for (const contender of contenders) {
    const running = await contender.start(stub.url, '');
    try {
      await waitUntil(running.child, async () => {
        const response = await fetch(running.url, { method: 'POST', body: requestBody(contender.asks, 1), headers: { 'content-type': 'application/json', 'x-api-key': 'alloc' } });
        return response.status === 200;
      });
      await runLoad({ url: running.url, body, connections, seconds: warmup });
      collections = [];
      listening = running.child.name;
      const load = await runLoad({ url: running.url, body, connections, seconds });
      listening = undefined;
      const sum = (pick: (collection: Collection) => number) => collections.reduce((total, collection) => total + pick(collection), 0);
      rows.push({
        id: contender.id,
        label: contender.label,
        responses: load.responses,
        allocatedKiB: sum((c) => c.allocatedBytes) / 1024 / load.responses,
        promotedKiB: sum((c) => c.promotedBytes) / 1024 / load.responses,
        scavenges: collections.filter((c) => c.kind === 's').length,
        others: collections.filter((c) => c.kind !== 's').length,
        pausePerRequestUs: (1000 * sum((c) => c.pauseMs)) / load.responses,
      });
      if (load.non2xx > 0 || load.errors > 0) throw new Error(`${contender.id}: ${load.non2xx} non-2xx answers, ${load.errors} errors`);
    } finally {
      await running.child.stop();
    }
  }
} finally {
  await stub.child.stop();
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
console.log(`\nGarbage per request: ${connections} connections, pageSize ${pageSize}, ${seconds} s timed after ${warmup} s warm-up, one contender at a time.\n`);
console.log('| contender | responses | KiB allocated / req | KiB promoted / req | scavenges | other GCs | GC pause µs / req |');
console.log('|---|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(`| ${row.label} | ${row.responses} | ${fixed(row.allocatedKiB)} | ${fixed(row.promotedKiB, 2)} | ${row.scavenges} | ${row.others} | ${fixed(row.pausePerRequestUs)} |`);
}
const of = (id: string) => rows.find((row) => row.id === id)?.allocatedKiB;
const parts: Array<[string, string, string]> = [
  ['execution inside Yoga\'s envelop, (j) − (b)', 'j', 'b'],
  ['Yoga\'s request handling, (h) − (j)', 'h', 'j'],
  ['our additions, (c) − (h)', 'c', 'h'],
];
const split = parts.filter(([, high, low]) => of(high) !== undefined && of(low) !== undefined);
if (split.length > 0) {
  console.log('\n| part | KiB allocated / req |\n|---|---|');
  for (const [name, high, low] of split) console.log(`| ${name} | ${fixed(of(high)! - of(low)!)} |`);
}
