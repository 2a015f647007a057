import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Position } from '../../src/history/cursor.js';
import { fetchHistoryPage, type HistoryPage } from '../../src/history/paginate.js';
import type { HistoryQuery } from '../../src/history/query.js';
import type { CallRecord } from '../../src/domain/record.js';
import { call, referenceList, referenceUpstream } from '../support/reference-upstream.js';

const DAY = 86_400_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');
const query = (overrides: Partial<HistoryQuery> = {}): HistoryQuery => ({
  projectId: 'p',
  started: {},
  ended: {},
  startedAt: {},
  first: 10,
  ...overrides,
});

/** Everything the layer should return for a query: the upstream list, then the layer's own exact filters. */
function expected(records: CallRecord[], q: HistoryQuery): string[] {
  return upstreamMatches(records, q)
    .filter((r) => (q.status === 'VOICEMAIL' ? r.rawStatus === 'voicemail' : true))
    .filter((r) => q.startedAt.onOrAfter === undefined || r.startedAt!.getTime() >= q.startedAt.onOrAfter)
    .filter((r) => q.startedAt.before === undefined || r.startedAt!.getTime() < q.startedAt.before)
    .map((r) => r.sid);
}

/** What the upstream lists for a query's own filters (exact instants widened to whole days). */
function upstreamMatches(records: CallRecord[], q: HistoryQuery): CallRecord[] {
  const filters: Array<[string, string]> = [];
  const iso = (d: number) => new Date(d * DAY).toISOString().slice(0, 10);
  if (q.to) filters.push(['to', q.to]);
  if (q.status && ['COMPLETED', 'BUSY'].includes(q.status)) filters.push(['status', q.status.toLowerCase()]);
  if (q.started.on !== undefined) filters.push(['startTime', iso(q.started.on)]);
  if (q.started.before !== undefined) filters.push(['startTimeBefore', iso(q.started.before)]);
  const after = Math.max(q.started.onOrAfter ?? -Infinity, q.startedAt.onOrAfter === undefined ? -Infinity : Math.floor(q.startedAt.onOrAfter / DAY));
  if (after !== -Infinity) filters.push(['startTimeAfter', iso(after)]);
  return referenceList(records, filters);
}

async function walk(records: CallRecord[], q: HistoryQuery, cap: number) {
  const upstream = referenceUpstream(records);
  const pages: HistoryPage[] = [];
  let after: Position | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await fetchHistoryPage(q, after, cap, upstream.fetch);
    pages.push(page);
    if (!page.hasNextPage) break;
    expect(page.edges.length).toBeGreaterThan(0);
    after = page.edges.at(-1)!.position;
  }
  return { sids: pages.flatMap((p) => p.edges.map((e) => e.record.sid)), pages, upstream };
}

describe('history/paginate', () => {
  it('walks a history page by page, each call once, in upstream order', async () => {
    const records = Array.from({ length: 95 }, (_, i) => call(T0 - i * 3_600_000));
    const { sids, pages, upstream } = await walk(records, query({ first: 10 }), 1000);
    expect(sids).toEqual(expected(records, query()));
    expect(pages).toHaveLength(10);
    expect(pages.every((p) => p.upstreamRequests === 1)).toBe(true);
    // Each page asks for the calls of the cursor's day up to the cursor, plus first + 1.
    for (const request of upstream.requests) expect(request.pageSize).toBeLessThanOrEqual(24 + 11);
  });

  it('without hasNextPage: the same pages, one row fewer asked, and a page at the cap costs one request', async () => {
    const records = Array.from({ length: 95 }, (_, i) => call(T0 - i * 3_600_000));
    const upstream = referenceUpstream(records);
    const sids: string[] = [];
    let after: Position | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page = await fetchHistoryPage(query({ first: 10 }), after, 1000, upstream.fetch, false);
      expect(page.hasNextPage).toBeNull();
      expect(page.upstreamRequests).toBe(1);
      if (page.edges.length === 0) break;
      sids.push(...page.edges.map((e) => e.record.sid));
      after = page.edges.at(-1)!.position;
    }
    expect(sids).toEqual(expected(records, query()));
    expect(upstream.requests[0]!.pageSize).toBe(10);
    for (const request of upstream.requests) expect(request.pageSize).toBeLessThanOrEqual(24 + 10);

    // first = the cap: one request without hasNextPage; the exact answer needs first + 1 rows, so a second one.
    const lean = await fetchHistoryPage(query({ first: 20 }), null, 20, referenceUpstream(records).fetch, false);
    expect(lean).toMatchObject({ hasNextPage: null, upstreamRequests: 1 });
    const exact = await fetchHistoryPage(query({ first: 20 }), null, 20, referenceUpstream(records).fetch);
    expect(exact).toMatchObject({ hasNextPage: true, upstreamRequests: 2 });
    expect(exact.edges.map((e) => e.record.sid)).toEqual(lean.edges.map((e) => e.record.sid));
  });

  it('narrows each next page with startTimeBefore = the cursor day + 1', async () => {
    const records = Array.from({ length: 30 }, (_, i) => call(T0 - i * 6 * 3_600_000));
    const { upstream } = await walk(records, query({ first: 5 }), 1000);
    expect(upstream.requests[0]!.filters).toEqual([]);
    const second = Object.fromEntries(upstream.requests[1]!.filters);
    const lastOfFirst = referenceList(records, []).at(4)!;
    const bound = new Date((Math.floor(lastOfFirst.startedAt!.getTime() / DAY) + 1) * DAY).toISOString().slice(0, 10);
    expect(second).toEqual({ startTimeBefore: bound });
  });

  it('is stable when newer calls arrive between pages, including on the cursor day', async () => {
    const records = Array.from({ length: 40 }, (_, i) => call(T0 - i * 600_000));
    const upstream = referenceUpstream(records);
    const first = await fetchHistoryPage(query({ first: 10 }), null, 1000, upstream.fetch);
    // 15 newer calls arrive, some at the top of the same day as the cursor.
    for (let i = 1; i <= 15; i++) records.push(call(T0 + i * 1000));
    const second = await fetchHistoryPage(query({ first: 10 }), first.edges.at(-1)!.position, 1000, upstream.fetch);
    const original = referenceList(records, []).filter((r) => r.startedAt!.getTime() <= T0);
    expect([...first.edges, ...second.edges].map((e) => e.record.sid)).toEqual(original.slice(0, 20).map((r) => r.sid));
    expect(second.upstreamRequests).toBeLessThanOrEqual(2);
  });

  it('recovers when the cursor call itself disappeared', async () => {
    const records = Array.from({ length: 20 }, (_, i) => call(T0 - Math.floor(i / 4) * 1000));
    const upstream = referenceUpstream(records);
    const first = await fetchHistoryPage(query({ first: 6 }), null, 1000, upstream.fetch);
    const cursorSid = first.edges.at(-1)!.record.sid;
    records.splice(records.findIndex((r) => r.sid === cursorSid), 1);
    const second = await fetchHistoryPage(query({ first: 100 }), first.edges.at(-1)!.position, 1000, upstream.fetch);
    const expectedRest = referenceList(records, []).map((r) => r.sid).slice(5);
    expect(second.edges.map((e) => e.record.sid)).toEqual(expectedRest);
  });

  it('reaches a dense day up to the upstream cap, then answers PAGINATION_LIMIT naming the day', async () => {
    const denseDay = T0 + 5 * DAY;
    const records = [
      ...Array.from({ length: 30 }, (_, i) => call(denseDay + 3600_000 + i * 1000)),
      ...Array.from({ length: 5 }, (_, i) => call(T0 + i * 1000)),
    ];
    const upstream = referenceUpstream(records);
    const q = query({ first: 8 });
    let after: Position | null = null;
    const seen: string[] = [];
    let error: unknown;
    try {
      for (;;) {
        const page = await fetchHistoryPage(q, after, 20, upstream.fetch);
        seen.push(...page.edges.map((e) => e.record.sid));
        if (!page.hasNextPage) break;
        after = page.edges.at(-1)!.position;
      }
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(expected(records, q).slice(0, 20));
    expect(error).toMatchObject({ extensions: { code: 'PAGINATION_LIMIT', day: '2024-03-06', limit: 20 } });
  });

  it('keeps fetching for exact instants until first calls are found', async () => {
    const records = Array.from({ length: 200 }, (_, i) => call(T0 - i * 600_000));
    const q = query({ first: 7, startedAt: { onOrAfter: T0 - 30 * 3_600_000, before: T0 - 20 * 3_600_000 } });
    const { sids } = await walk(records, q, 1000);
    expect(sids).toEqual(expected(records, q));
    expect(sids.length).toBe(60);
  });

  it('property: the pages concatenate to the filtered list, each call once, in order', async () => {
    const recordArb = fc.record({
      dayOffset: fc.integer({ min: 0, max: 6 }),
      second: fc.oneof(fc.integer({ min: 0, max: 86_399 }), fc.constantFrom(0, 1, 86_398, 86_399)),
      to: fc.constantFrom('+1', '+2'),
      status: fc.constantFrom('completed', 'busy', 'voicemail'),
      seconds: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 120 }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 3, max: 40 }),
        fc.record({
          to: fc.option(fc.constantFrom('+1', '+2'), { nil: undefined }),
          status: fc.option(fc.constantFrom('COMPLETED' as const, 'BUSY' as const, 'VOICEMAIL' as const), { nil: undefined }),
          startedAfterDay: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
          window: fc.option(fc.tuple(fc.integer({ min: 0, max: 7 * 86_400 }), fc.integer({ min: 1, max: 3 * 86_400 })), {
            nil: undefined,
          }),
        }),
        async (raw, first, cap, filter) => {
          const records = raw.map((r) =>
            call(T0 + r.dayOffset * DAY + r.second * 1000, { to: r.to, rawStatus: r.status, durationSeconds: r.seconds }),
          );
          const q = query({ first: Math.min(first, cap - 1) });
          if (filter.to) q.to = filter.to;
          if (filter.status) q.status = filter.status;
          if (filter.startedAfterDay !== undefined) q.started = { onOrAfter: T0 / DAY + filter.startedAfterDay };
          if (filter.window) {
            q.startedAt = { onOrAfter: T0 + filter.window[0] * 1000, before: T0 + (filter.window[0] + filter.window[1]) * 1000 };
          }
          const want = expected(records, q);
          try {
            const { sids } = await walk(records, q, cap);
            expect(sids).toEqual(want);
          } catch (error) {
            // Only a day with more matching rows than the cap may stop a walk, and never silently.
            expect(error).toMatchObject({ extensions: { code: 'PAGINATION_LIMIT' } });
            const upstreamPerDay = new Map<number, number>();
            for (const r of upstreamMatches(records, q)) {
              const d = Math.floor(r.startedAt!.getTime() / DAY);
              upstreamPerDay.set(d, (upstreamPerDay.get(d) ?? 0) + 1);
            }
            expect(Math.max(...upstreamPerDay.values())).toBeGreaterThanOrEqual(cap);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('history/paginate under a made-up or badly shifted cursor', () => {
  it('grows its requests geometrically when every row lies at or before the position', async () => {
    const day = T0 + 10 * DAY;
    const records = Array.from({ length: 900 }, (_, i) => call(day + 3_600_000 + i * 1000));
    const upstream = referenceUpstream(records);
    // A position at the very start of a 900-call day, claiming to be its first call.
    const page = await fetchHistoryPage(query({ first: 1 }), { orderMs: day, sid: 'A', dayRank: 1 }, 1000, upstream.fetch);
    expect(page.edges).toEqual([]);
    expect(upstream.requests.length).toBeLessThanOrEqual(12);
  });
});
