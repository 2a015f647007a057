/**
 * Loads 1,000,000 generated calls into one project, then times pages of 100 under the vendor's filters,
 * in the store and over HTTP. Run: npx tsx bench/emulator-store.ts [calls]
 */
import { Pool } from 'undici';
import { CallStore, iterateCalls, startEmulator, type CallFilters } from '../src/emulator/index.js';

const CALLS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 200;
const WARMUP = 20;
const PAGE_SIZE = 100;
const PROJECT = 'bench';
const KEY = 'bench-key';
const UNTIL = '2026-11-01';
const DAYS = 365;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

async function time(run: () => unknown): Promise<{ median: number; p95: number }> {
  for (let index = 0; index < WARMUP; index++) await run();
  const samples: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 0.5), p95: percentile(samples, 0.95) };
}

const store = new CallStore(':memory:');
const started = performance.now();
const loaded = store.insertCalls(
  PROJECT,
  iterateCalls({ projectId: PROJECT, count: CALLS, seed: 7, until: UNTIL, days: DAYS }),
);
const loadSeconds = (performance.now() - started) / 1000;
store.grant('api-key', KEY, [PROJECT]);

// An outbound call goes from one of the project's own numbers to a customer (phoneNumber is the customer).
const outbound = store.page(PROJECT, {}, 50).find((record) => record.to === record.phoneNumber);
const ownNumber = outbound?.from ?? '';
const customer = outbound?.to ?? '';

const cases: { name: string; filters: CallFilters }[] = [
  { name: 'no filter', filters: {} },
  { name: 'status=completed', filters: { status: 'completed' } },
  { name: 'status=busy', filters: { status: 'busy' } },
  { name: 'to=<own number> (inbound)', filters: { to: ownNumber } },
  { name: 'to=<a customer>', filters: { to: customer } },
  { name: 'from=<own number>', filters: { from: ownNumber } },
  { name: 'from=<own number>&status=ringing (rare)', filters: { from: ownNumber, status: 'ringing' } },
  { name: 'to=<a customer>&from=<own number>', filters: { to: customer, from: ownNumber } },
  { name: 'startTime=2026-06-15', filters: { startTime: '2026-06-15' } },
  { name: 'startTimeBefore=2025-12-01 (deep)', filters: { startTimeBefore: '2025-12-01' } },
  { name: 'status=completed&startTime=2026-06-15', filters: { status: 'completed', startTime: '2026-06-15' } },
  { name: 'endTime=2026-06-15', filters: { endTime: '2026-06-15' } },
  { name: 'endTimeAfter=2026-06-15', filters: { endTimeAfter: '2026-06-15' } },
  { name: 'endTimeBefore=2025-12-01 (deep)', filters: { endTimeBefore: '2025-12-01' } },
  { name: 'endTimeAfter=2027-01-01 (no match)', filters: { endTimeAfter: '2027-01-01' } },
];

const emulator = await startEmulator({ store, demo: false });
const pool = new Pool(emulator.url, { connections: 1, pipelining: 1 });
const body = JSON.stringify({ projectId: PROJECT, pageSize: PAGE_SIZE });

const rows: string[] = [];
for (const { name, filters } of cases) {
  const matches = store.page(PROJECT, filters, PAGE_SIZE).length;
  const inStore = await time(() => store.page(PROJECT, filters, PAGE_SIZE));
  const query = new URLSearchParams(filters as Record<string, string>).toString();
  const path = `/call/get-call-history${query ? `?${query}` : ''}`;
  const overHttp = await time(async () => {
    const response = await pool.request({
      method: 'POST',
      path,
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body,
    });
    await response.body.arrayBuffer();
  });
  rows.push(
    `| ${name} | ${matches} | ${inStore.median.toFixed(2)} | ${inStore.p95.toFixed(2)} ` +
      `| ${overHttp.median.toFixed(2)} | ${overHttp.p95.toFixed(2)} |`,
  );
}

await pool.close();
await emulator.close();
store.close();

console.log(
  `Loaded ${loaded.toLocaleString('en-US')} calls (generated and inserted) in ${loadSeconds.toFixed(1)} s; ` +
    `pageSize ${PAGE_SIZE}, ${RUNS} runs each after ${WARMUP} warm-up runs, times in ms.\n`,
);
console.log('| query | rows | store median | store p95 | HTTP median | HTTP p95 |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
