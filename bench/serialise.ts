/**
 * What the `DateTime` scalar costs a response, side by side in one process (no server, no network):
 * - JSON.stringify of a page of 20 calls (the S1/S2 selection) whose `startedAt` is what graphql-scalars' DateTime
 *   serialises to (a Date, turned into text by `Date#toJSON`) against what ours serialises to (the text);
 * - writing 1,000 instants with `Date#toISOString` against `rfc3339()`.
 * Run: npx tsx bench/serialise.ts (ROUNDS varies it).
 */
import { DateTimeResolver } from 'graphql-scalars';
import { DateTime } from '../src/schema/builder.js';
import { rfc3339 } from '../src/domain/rfc3339.js';

const rounds = Number(process.env.ROUNDS ?? 20_000);
const instants = Array.from({ length: 1000 }, (_, index) => Date.UTC(2026, 9, 31) - index * 7_777_777);

const page = (startedAt: (date: Date) => unknown) =>
  instants.slice(0, 20).map((ms, index) => ({
    sid: `CA${index.toString(16).padStart(32, '0')}`,
    status: 'COMPLETED',
    from: '+18575433965',
    to: '+13107540978',
    startedAt: startedAt(new Date(ms)),
    durationSeconds: 54,
    cost: 0.013,
  }));

/** Microseconds per call of `work`, after as many calls to warm it up. */
function timePerCall(work: () => unknown): number {
  for (let round = 0; round < rounds; round++) work();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) work();
  return ((performance.now() - started) * 1000) / rounds;
}

const withDates = { data: { callHistory: { nodes: page((date) => DateTimeResolver.serialize(date)) } } };
const withText = { data: { callHistory: { nodes: page((date) => DateTime.serialize(date)) } } };
if (JSON.stringify(withDates) !== JSON.stringify(withText)) throw new Error('the two pages do not serialise to the same text');

const stringifyDates = timePerCall(() => JSON.stringify(withDates));
const stringifyText = timePerCall(() => JSON.stringify(withText));
const dates = instants.map((ms) => new Date(ms));
const isoString = timePerCall(() => dates.map((date) => date.toISOString()));
const ours = timePerCall(() => dates.map((date) => rfc3339(date.getTime())));

console.log('| work | graphql-scalars / Date#toISOString | ours | ratio |\n|---|---|---|---|');
console.log(`| JSON.stringify of a page of 20 calls | ${stringifyDates.toFixed(1)} µs | ${stringifyText.toFixed(1)} µs | ${(stringifyDates / stringifyText).toFixed(2)} |`);
console.log(`| 1,000 instants as RFC 3339 text | ${isoString.toFixed(0)} µs | ${ours.toFixed(0)} µs | ${(isoString / ours).toFixed(2)} |`);
