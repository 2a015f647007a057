import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';

// 1,500 calls, one a minute: more than one upstream page of 1,000, spread over two UTC days.
const records = Array.from({ length: 1500 }, (_, i) =>
  vendorRecord({
    callSid: `CA${String(10_000 - i).padStart(32, '0')}`,
    date: new Date(Date.UTC(2024, 0, 30, 12, 0, 0) - i * 60_000).toUTCString().replace('GMT', '+0000'),
  }),
);

// Upstream requests per page at first = 1000 (the upstream's largest page): hasNextPage costs one more.
describe('what a page of 1000 costs upstream', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((request) => {
      const { pageSize } = request.body as { pageSize: number };
      const before = request.query.startTimeBefore;
      const rows = before === undefined ? records : records.filter((r) => new Date(String(r.date)).getTime() < Date.parse(`${before}T00:00:00Z`));
      return success(rows.slice(0, pageSize));
    });
    api = await startTestApp(upstream.url, { MAX_COST: '1000000' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  type Page = { nodes: Array<{ sid: string }>; pageInfo: { hasNextPage?: boolean; endCursor: string | null } };
  const run = async (query: string, variables: Record<string, unknown> = {}) => {
    const { json } = await api.post({ query, variables }, API_KEY);
    const result = json as { data?: Record<string, Page>; errors?: unknown[] };
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  it('without hasNextPage: exactly one request, of 1000 rows, and endCursor leads to the next page', async () => {
    const data = await run('{ callHistory(projectId: "p", first: 1000) { nodes { sid } pageInfo { endCursor } } }');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body).toEqual({ projectId: 'p', pageSize: 1000 });
    expect(data.callHistory!.nodes).toHaveLength(1000);

    upstream.requests.length = 0;
    const next = await run('query ($after: String) { callHistory(projectId: "p", first: 1000, after: $after) { nodes { sid } pageInfo { endCursor } } }', {
      after: data.callHistory!.pageInfo.endCursor,
    });
    expect(next.callHistory!.nodes.map((n) => n.sid)).toEqual(records.slice(1000).map((r) => r.callSid));
  });

  it('with hasNextPage: the exact answer, at the cost of a second request', async () => {
    const data = await run('{ callHistory(projectId: "p", first: 1000) { nodes { sid } pageInfo { hasNextPage endCursor } } }');
    expect(data.callHistory!.pageInfo.hasNextPage).toBe(true);
    expect(data.callHistory!.nodes).toHaveLength(1000);
    expect(upstream.requests).toHaveLength(2);
  });

  it('hasNextPage selected through a named fragment (aliased) or an inline fragment counts as selected', async () => {
    const named = await run(`
      { callHistory(projectId: "p", first: 1000) { nodes { sid } ...Paging } }
      fragment Paging on CallConnection { pageInfo { more: hasNextPage } }`);
    expect(named.callHistory!.pageInfo).toEqual({ more: true });
    expect(upstream.requests).toHaveLength(2);

    upstream.requests.length = 0;
    const inline = await run('{ callHistory(projectId: "p", first: 1000) { ... on CallConnection { pageInfo { hasNextPage } } } }');
    expect(inline.callHistory!.pageInfo.hasNextPage).toBe(true);
    expect(upstream.requests).toHaveLength(2);
  });

  it('a fragment without hasNextPage costs one request', async () => {
    await run(`
      { callHistory(projectId: "p", first: 1000) { ...Rows } }
      fragment Rows on CallConnection { nodes { sid } pageInfo { endCursor } }`);
    expect(upstream.requests).toHaveLength(1);
  });

  it('two aliases, one with hasNextPage and one without, share their first request: 2 in all', async () => {
    const data = await run(`{
      a: callHistory(projectId: "p", first: 1000) { nodes { sid } pageInfo { hasNextPage } }
      b: callHistory(projectId: "p", first: 1000) { nodes { sid } }
    }`);
    expect(data.a!.nodes).toEqual(data.b!.nodes);
    expect(data.a!.pageInfo.hasNextPage).toBe(true);
    expect(upstream.requests).toHaveLength(2);
  });
});
