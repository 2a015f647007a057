import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';

const records = Array.from({ length: 60 }, (_, i) =>
  vendorRecord({ callSid: `CA${String(100 - i).padStart(32, '0')}`, date: new Date(Date.UTC(2024, 0, 30, 12, 0, 0) - i * 60_000).toUTCString().replace('GMT', '+0000') }),
);

// One upstream request per distinct need (issue: DataLoader deduplication and superset batching).
describe('upstream requests are deduplicated', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  let inFlight = 0;
  let maxInFlight = 0;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url, { MAX_ALIASES: '40', MAX_TOKENS: '5000', MAX_COST: '100000' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    inFlight = 0;
    maxInFlight = 0;
    upstream.respondWith(async (request) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(50);
      inFlight--;
      const size = (request.body as { pageSize: number }).pageSize;
      return success(records.slice(0, size));
    });
  });

  const run = (query: string, headers: Record<string, string> = { 'x-api-key': 'k1' }) =>
    api.post({ query }, headers).then((r) => r.json as { data?: Record<string, { nodes: Array<{ sid: string }> }>; errors?: unknown[] });

  it('5 aliases with the same arguments: 1 upstream request', async () => {
    const fields = [1, 2, 3, 4, 5].map((i) => `a${i}: callHistory(projectId: "p", first: 10) { nodes { sid } }`).join('\n');
    const result = await run(`{ ${fields} }`);
    expect(result.errors).toBeUndefined();
    expect(Object.values(result.data!).every((c) => c.nodes.length === 10)).toBe(true);
    expect(upstream.requests).toHaveLength(1);
  });

  it('first: 5 and first: 50 on the same filter: 1 request of the larger size, each sliced', async () => {
    const result = await run(`{
      top5: callHistory(projectId: "p", first: 5, filter: { status: COMPLETED }) { nodes { sid } }
      top50: callHistory(projectId: "p", first: 50, filter: { status: COMPLETED }) { nodes { sid } }
    }`);
    expect(result.data!.top5!.nodes).toHaveLength(5);
    expect(result.data!.top50!.nodes).toHaveLength(50);
    expect(result.data!.top50!.nodes.slice(0, 5)).toEqual(result.data!.top5!.nodes);
    expect(upstream.requests).toHaveLength(1);
    // Neither selects hasNextPage: no extra row is asked for.
    expect(upstream.requests[0]!.body).toEqual({ projectId: 'p', pageSize: 50 });
  });

  it('two filters: 2 requests', async () => {
    await run(`{
      a: callHistory(projectId: "p", filter: { status: COMPLETED }) { nodes { sid } }
      b: callHistory(projectId: "p", filter: { status: BUSY }) { nodes { sid } }
    }`);
    expect(upstream.requests).toHaveLength(2);
  });

  it('two concurrent operations with the same credential and arguments: 1 request', async () => {
    const query = '{ callHistory(projectId: "p", first: 10) { nodes { sid } } }';
    const [a, b] = await Promise.all([run(query), run(query)]);
    expect(a.data).toEqual(b.data);
    expect(upstream.requests).toHaveLength(1);
    expect(api.app.inFlight.size).toBe(0);
  });

  it('two concurrent operations with different credentials: 2 requests, each with its own credential', async () => {
    const query = '{ callHistory(projectId: "p", first: 10) { nodes { sid } } }';
    await Promise.all([run(query, { 'x-api-key': 'k1' }), run(query, { 'x-api-key': 'k2' })]);
    expect(upstream.requests).toHaveLength(2);
    expect(upstream.requests.map((r) => r.headers['x-api-key']).sort()).toEqual(['k1', 'k2']);
  });

  it('nothing is kept after an operation: the same request later goes upstream again', async () => {
    const query = '{ callHistory(projectId: "p", first: 10) { nodes { sid } } }';
    await run(query);
    await run(query);
    expect(upstream.requests).toHaveLength(2);
  });

  it('one operation never has more than UPSTREAM_MAX_IN_FLIGHT (8) upstream requests in flight', async () => {
    const fields = Array.from({ length: 20 }, (_, i) => `a${i}: callHistory(projectId: "p${i}", first: 1) { nodes { sid } }`).join('\n');
    const result = await run(`{ ${fields} }`);
    expect(result.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(20);
    expect(maxInFlight).toBe(8);
  });
});
