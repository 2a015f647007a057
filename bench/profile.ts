/**
 * A CPU profile of one server under the S2 load (or S3 with PAGE_SIZE=1000): starts the stub and the server
 * (ENTRY, default src/main.ts, with `--cpu-prof`), loads it for SECONDS, stops it, and prints the functions with
 * the most self time. `npm run bench:profile` (ENTRY, SECONDS, PAGE_SIZE, CONNECTIONS, NODE_FLAGS to vary).
 */
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnNode, waitUntil } from './lib/processes.js';
import { runLoad } from './lib/load.js';
import { requestBody } from './lib/queries.js';

const rootDir = join(import.meta.dirname, '..');
const seconds = Number(process.env.SECONDS ?? 10);
const pageSize = Number(process.env.PAGE_SIZE ?? 20);
const connections = Number(process.env.CONNECTIONS ?? 50);
const entry = process.env.ENTRY ?? 'src/main.ts';
const profileDir = mkdtempSync(join(tmpdir(), 'call-history-profile-'));

const stubPort = await freePort();
const stub = spawnNode({ name: 'stub', args: ['--import', 'tsx', 'bench/servers/stub.ts'], env: { PORT: String(stubPort) }, cwd: rootDir, core: 0 });
const port = await freePort();
const flags = (process.env.NODE_FLAGS ?? '--max-semi-space-size=64').split(/\s+/).filter(Boolean);
const server = spawnNode({
  name: 'server',
  args: [...flags, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry],
  env: { PORT: String(port), HOST: '127.0.0.1', UPSTREAM_URL: `http://127.0.0.1:${stubPort}`, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  cwd: rootDir,
  core: 1,
});
const url = `http://127.0.0.1:${port}/graphql`;
const body = requestBody('ours', pageSize);
await waitUntil(server, async () => (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-api-key': 'k' } })).status === 200);
await runLoad({ url, body, connections, seconds: 2 });
const result = await runLoad({ url, body, connections, seconds });
console.log(`${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, non-2xx ${result.non2xx}`);
await server.stop();
await stub.stop();

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }
const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile in ${profileDir}`);
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: Node[] };
const total = profile.nodes.reduce((sum, node) => sum + node.hitCount, 0);
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const { functionName, url: where, lineNumber } = node.callFrame;
  const short = where.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + node.hitCount);
  const pkg = where.includes('node_modules/')
    ? where.replace(/^.*node_modules\//, '').split('/').slice(0, where.includes('node_modules/@') ? 2 : 1).join('/')
    : where.startsWith('node:') ? 'node:*' : where.includes('/src/') ? 'src/' : functionName.startsWith('(') ? functionName : 'other';
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.hitCount);
}
const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
console.log(`profile: ${profileDir}/${file}\nTop self time:`);
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 30))) console.log(`  ${pct(hits).padStart(6)}  ${key}`);
console.log('By package:');
for (const [key, hits] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(hits).padStart(6)}  ${key}`);
process.exit(0);
