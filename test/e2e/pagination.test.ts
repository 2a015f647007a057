import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCalls } from '../../src/emulator/generate.js';
import { formatRfc2822, type VendorRecord } from '../../src/emulator/record.js';
import type { CallFilters } from '../../src/emulator/filters.js';
import type { CallSidsQuery } from '../__generated__/graphql.js';
import type { GraphQLResponse } from '../support/app.js';
import { CallSids } from '../support/operations.js';
import { startEmulatorStack, type EmulatorStack } from '../support/emulator-app.js';

const KEY = { 'x-api-key': 'walker' };

function countUpstream(stack: EmulatorStack) {
  const source = stack.api.app.source;
  const original = source.fetch.bind(source);
  const counts = { requests: 0, rows: 0 };
  source.fetch = async (...args) => {
    const rows = await original(...args);
    counts.requests++;
    counts.rows += rows.length;
    return rows;
  };
  return counts;
}

async function walkAll(stack: EmulatorStack, projectId: string, first: number, filter?: Record<string, unknown>) {
  const sids: string[] = [];
  const requestsPerPage: number[] = [];
  const counts = countUpstream(stack);
  let after: string | null = null;
  for (let page = 0; page < 100_000; page++) {
    const before = counts.requests;
    const result: GraphQLResponse<CallSidsQuery> = await stack.api.execute(
      CallSids,
      { projectId, first, after, ...(filter ? { filter } : {}) },
      KEY,
    );
    if (result.errors) return { sids, requestsPerPage, counts, error: result.errors[0] };
    requestsPerPage.push(counts.requests - before);
    const connection = result.data!.callHistory;
    sids.push(...connection.nodes.map((n) => n.sid));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor!;
  }
  return { sids, requestsPerPage, counts, error: undefined };
}

describe('pagination over the emulator', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack({ demo: false }, { UPSTREAM_MAX_PAGE_SIZE: '1000' });
    stack.emulator.store.grant('api-key', 'walker', '*');
  });
  afterAll(() => stack.close());

  it('walks a 100,000-call project in pages of 100: every call once, bounded upstream cost', async () => {
    stack.emulator.store.insertCalls('big', generateCalls({ projectId: 'big', count: 100_000, seed: 7, days: 540 }));
    const started = Date.now();
    const { sids, requestsPerPage, counts, error } = await walkAll(stack, 'big', 100);
    expect(error).toBeUndefined();
    const reference = stack.emulator.store.list('big').map((r) => r.callSid);
    expect(sids).toHaveLength(100_000);
    expect(new Set(sids).size).toBe(100_000);
    expect(sids).toEqual(reference);
    const ratio = counts.rows / sids.length;
    const histogram = requestsPerPage.reduce<Record<number, number>>((h, n) => ({ ...h, [n]: (h[n] ?? 0) + 1 }), {});
    console.log(
      `walk of 100,000 calls in pages of 100: ${requestsPerPage.length} pages, ${counts.requests} upstream requests ` +
        `(per page: ${JSON.stringify(histogram)}), ${counts.rows} upstream rows = ${ratio.toFixed(2)}x the calls returned, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(ratio).toBeLessThanOrEqual(3);
    expect(Math.max(...requestsPerPage)).toBeLessThanOrEqual(2);
  }, 240_000);

  it('startedAt windows that cross midnight return exactly the calls inside them, across pages', async () => {
    const base = Date.parse('2026-10-10T22:00:00Z') / 1000;
    const records = Array.from({ length: 300 }, (_, i) => vendorRecord(`CA${hex(i, 32)}`, base + i * 37));
    stack.emulator.store.insertCalls('midnight', records);
    const onOrAfter = '2026-10-10T23:30:00Z';
    const before = '2026-10-11T00:45:00Z';
    const { sids, error } = await walkAll(stack, 'midnight', 7, { startedAt: { onOrAfter, before } });
    expect(error).toBeUndefined();
    const expected = stack.emulator.store
      .list('midnight')
      .filter((r) => Date.parse(r.date) >= Date.parse(onOrAfter) && Date.parse(r.date) < Date.parse(before))
      .map((r) => r.callSid);
    expect(expected.length).toBeGreaterThan(100);
    expect(sids).toEqual(expected);
  });

  it('a day with more calls than the upstream cap: reached up to the cap, then PAGINATION_LIMIT naming the day', async () => {
    const capped = await startEmulatorStack({ store: stack.emulator.store, demo: false }, { UPSTREAM_MAX_PAGE_SIZE: '50' });
    try {
      const day = Date.parse('2026-09-15T08:00:00Z') / 1000;
      stack.emulator.store.insertCalls(
        'dense',
        Array.from({ length: 80 }, (_, i) => ({
          ...vendorRecord(`CA${hex(1000 + i, 32)}`, day + i * 60),
          to: i % 2 === 0 ? '+15550000001' : '+15550000002',
        })),
      );
      const { sids, error } = await walkAll(capped, 'dense', 15);
      expect(sids).toEqual(stack.emulator.store.list('dense').slice(0, 50).map((r) => r.callSid));
      expect(error?.extensions).toMatchObject({ code: 'PAGINATION_LIMIT', day: '2026-09-15', limit: 50 });
      expect(error?.message).toMatch(/Narrow the filter/);
      // A narrower filter reaches the rest of that day.
      const narrowed = await walkAll(capped, 'dense', 15, { to: '+15550000001' });
      expect(narrowed.error).toBeUndefined();
      expect(narrowed.sids).toEqual(stack.emulator.store.list('dense', { to: '+15550000001' }).map((r) => r.callSid));
    } finally {
      await capped.close();
    }
  });

  it('property: random histories and filters; the pages concatenate to the store\'s filtered list', async () => {
    const capped = await startEmulatorStack({ store: stack.emulator.store, demo: false }, { UPSTREAM_MAX_PAGE_SIZE: '30' });
    const DAY = 86_400;
    const T0 = Date.parse('2026-06-01T00:00:00Z') / 1000;
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              day: fc.integer({ min: 0, max: 5 }),
              second: fc.oneof(fc.integer({ min: 0, max: DAY - 1 }), fc.constantFrom(0, 1, DAY - 2, DAY - 1, 43_200)),
              to: fc.constantFrom('+15550000001', '+15550000002'),
              status: fc.constantFrom('completed', 'busy', 'no-answer', 'voicemail', 'in-progress'),
              seconds: fc.option(fc.integer({ min: 0, max: 3 * 3600 }), { nil: null }),
            }),
            { maxLength: 90 },
          ),
          fc.integer({ min: 1, max: 25 }),
          fc.record({
            to: fc.option(fc.constant('+15550000001'), { nil: undefined }),
            status: fc.option(fc.constantFrom('COMPLETED', 'NO_ANSWER', 'VOICEMAIL'), { nil: undefined }),
            startedDay: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
            endedBeforeDay: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
            window: fc.option(fc.tuple(fc.integer({ min: 0, max: 6 * DAY }), fc.integer({ min: 60, max: 2 * DAY })), { nil: undefined }),
          }),
          async (raw, first, f) => {
            const projectId = `prop-${run++}`;
            stack.emulator.store.insertCalls(
              projectId,
              raw.map((r, i) => ({ ...vendorRecord(`CA${hex(i, 32)}`, T0 + r.day * DAY + r.second, r.seconds), to: r.to, status: r.status })),
            );
            const filter: Record<string, unknown> = {};
            const upstreamFilter: CallFilters = {};
            const iso = (d: number) => new Date((T0 + d * DAY) * 1000).toISOString().slice(0, 10);
            if (f.to) (filter.to = f.to), (upstreamFilter.to = f.to);
            if (f.status) filter.status = f.status;
            if (f.startedDay !== undefined) filter.started = { onOrAfter: iso(f.startedDay) };
            if (f.startedDay !== undefined) upstreamFilter.startTimeAfter = iso(f.startedDay);
            if (f.endedBeforeDay !== undefined) (filter.ended = { before: iso(f.endedBeforeDay) }), (upstreamFilter.endTimeBefore = iso(f.endedBeforeDay));
            const window = f.window && [(T0 + f.window[0]) * 1000, (T0 + f.window[0] + f.window[1]) * 1000];
            if (window) filter.startedAt = { onOrAfter: new Date(window[0]!).toISOString(), before: new Date(window[1]!).toISOString() };

            const expected = stack.emulator.store
              .list(projectId, upstreamFilter)
              .filter((r) => !f.status || r.status === f.status.toLowerCase().replace('_', '-'))
              .filter((r) => !window || (Date.parse(r.date) >= window[0]! && Date.parse(r.date) < window[1]!))
              .map((r) => r.callSid);
            const { sids, error } = await walkAll(capped, projectId, Math.min(first, 29), filter);
            if (error) {
              // Only a day holding more matching rows than the cap may stop a walk, and only after a prefix.
              expect(error.extensions?.code).toBe('PAGINATION_LIMIT');
              expect(expected.slice(0, sids.length)).toEqual(sids);
              const perDay = new Map<string, number>();
              for (const r of stack.emulator.store.list(projectId)) perDay.set(r.date.slice(0, 16), (perDay.get(r.date.slice(0, 16)) ?? 0) + 1);
              expect(Math.max(...perDay.values())).toBeGreaterThanOrEqual(30);
            } else {
              expect(sids).toEqual(expected);
            }
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await capped.close();
    }
  }, 120_000);
});

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function vendorRecord(callSid: string, startSeconds: number, seconds: number | null = 90): VendorRecord {
  return {
    callSid,
    status: 'completed',
    from: '+15550000099',
    to: '+15550000001',
    phoneNumber: '+15550000001',
    date: formatRfc2822(startSeconds),
    seconds,
    cost: 0.02,
    recordingUrls: [],
    data: {},
  };
}
