/**
 * `npm run bench:profile`: a CPU profile of our server (the compiled build, as `npm start` runs it) under S2's load
 * (PAGE_SIZE=1000 for S3's), with the stub as upstream; prints the functions and parts with the most self time.
 * ENTRY, SECONDS, PAGE_SIZE, CONNECTIONS, NODE_FLAGS (npm start's by default) and any setting (e.g.
 * LEAN_TRANSPORT=false) vary it.
 */
import { join } from 'node:path';
import { profileServer } from './lib/profile.js';
import { buildOnce, ourEnv, shippedNodeFlags, startStub } from './lib/harness.js';
import { freePort } from './lib/processes.js';
import { requestBody } from './lib/queries.js';

const rootDir = join(import.meta.dirname, '..');
const entry = process.env.ENTRY ?? 'dist/main.js';
if (entry.startsWith('dist/')) buildOnce();
const stub = await startStub();
try {
  const summary = await profileServer({
    name: 'server',
    args: [...(process.env.NODE_FLAGS ?? shippedNodeFlags().join(' ')).split(/\s+/).filter(Boolean), ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry],
    env: ourEnv(stub.url, await freePort()),
    cwd: rootDir,
    core: 1,
    body: requestBody('ours', Number(process.env.PAGE_SIZE ?? 20)),
    connections: Number(process.env.CONNECTIONS ?? 50),
    seconds: Number(process.env.SECONDS ?? 10),
  });
  const pct = (share: number) => `${(100 * share).toFixed(1).padStart(5)}%`;
  console.log(`${summary.requestsPerSecond.toFixed(0)} req/s; ${summary.samples} samples (idle and start-up left out)`);
  console.log('Self time by function:');
  for (const { share, name } of summary.functions) console.log(`  ${pct(share)}  ${name}`);
  console.log('Self time by part:');
  for (const { share, name } of summary.parts) console.log(`  ${pct(share)}  ${name}`);
} finally {
  await stub.child.stop();
}
