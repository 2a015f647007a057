/**
 * `npm run bench:fresh-start`: our server (the compiled build, as `npm start` runs it) meeting S2's load (50
 * connections, pageSize 20) from its first requests, as a replica started under traffic does, with npm start's node
 * flags and with V8's allocation-site pretenuring left on. `npm run bench` cannot show this: its processes serve
 * S1's single connection first. Fresh processes, one at a time on the contenders' core, the two settings
 * alternating; prints requests/s, CPU per request and peak RSS of each run, then the median and the worst of each
 * setting. What pretenuring does is intermittent (V8 decides it from the first minor collections, so not every
 * fresh process is hit), and the worst run shows it. ROUNDS (default 5) and SECONDS vary it.
 */
import { join } from 'node:path';
import { buildOnce, ourEnv, shippedNodeFlags, startStub } from './lib/harness.js';
import { runLoad } from './lib/load.js';
import { freePort, spawnNode, waitUntil, watchProcess } from './lib/processes.js';
import { requestBody } from './lib/queries.js';

const rootDir = join(import.meta.dirname, '..');
const rounds = Number(process.env.ROUNDS ?? 5);
const seconds = Number(process.env.SECONDS ?? 8);
const WARMUP_SECONDS = 2;
const body = requestBody('ours', 20);

const settings = [
  { name: "npm start's flags", flags: shippedNodeFlags() },
  { name: 'pretenuring left on', flags: shippedNodeFlags().filter((flag) => flag !== '--no-allocation-site-pretenuring') },
];

buildOnce();
const stub = await startStub();

const rows: Array<{ setting: string; round: number; rps: number; cpuUsPerRequest: number; peakRssMiB: number }> = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const setting of settings) {
      const port = await freePort();
      const server = spawnNode({
        name: 'server',
        args: [...setting.flags, 'dist/main.js'],
        env: ourEnv(stub.url, port),
        cwd: rootDir,
        core: 1,
      });
      const url = `http://127.0.0.1:${port}/graphql`;
      try {
        // One request shows it is up; then the load starts at once.
        await waitUntil(server, async () => (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-api-key': 'ready' } })).status === 200);
        await runLoad({ url, body, connections: 50, seconds: WARMUP_SECONDS });
        const watch = watchProcess(server.pid);
        const load = await runLoad({ url, body, connections: 50, seconds });
        const used = watch.stop();
        if (load.non2xx > 0 || load.errors > 0) throw new Error(`${load.non2xx} non-2xx answers and ${load.errors} errors`);
        rows.push({
          setting: setting.name,
          round,
          rps: load.requestsPerSecond,
          cpuUsPerRequest: (used.cpuSeconds * 1e6) / load.responses,
          peakRssMiB: used.peakRssBytes / 2 ** 20,
        });
        const row = rows.at(-1)!;
        console.log(`round ${round}, ${setting.name}: ${row.rps.toFixed(0)} req/s, ${row.cpuUsPerRequest.toFixed(0)} µs CPU per request, peak RSS ${row.peakRssMiB.toFixed(0)} MiB`);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await stub.child.stop();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log('\n| setting | req/s, median | CPU µs per request, median / worst | peak RSS MiB, median / worst |\n|---|---|---|---|');
for (const setting of settings) {
  const mine = rows.filter((row) => row.setting === setting.name);
  const cpu = mine.map((row) => row.cpuUsPerRequest);
  const rss = mine.map((row) => row.peakRssMiB);
  console.log(
    `| ${setting.name} | ${median(mine.map((row) => row.rps)).toFixed(0)} | ${median(cpu).toFixed(0)} / ${Math.max(...cpu).toFixed(0)} | ` +
      `${median(rss).toFixed(0)} / ${Math.max(...rss).toFixed(0)} |`,
  );
}
