import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallHistoryPage } from '../support/operations.js';
import { sharedRecordingStack } from '../support/recording-stack.js';

/** A page of one vendor record holding a `nested` array this deep, written as text (stringifying it would overflow). */
const nestedPage = (depth: number) => ({
  rawBody: JSON.stringify(success([vendorRecord()]).body).replace(
    '"partnerId"',
    `"nested":${'['.repeat(depth)}${']'.repeat(depth)},"partnerId"`,
  ),
});
const ALIASES = `{
  deep: callHistory(projectId: "deep", first: 1) { nodes { sid raw } }
  fine: callHistory(projectId: "fine", first: 1) { nodes { sid raw } }
}`;
const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Project { id callHistory(first: 1) { nodes { sid raw } } } }
}`;
const representations = [
  { __typename: 'Project', id: 'deep' },
  { __typename: 'Project', id: 'fine' },
];

describe('untrusted upstream data', () => {
  const stack = sharedRecordingStack();
  beforeEach(() => {
    stack.upstream.requests.length = 0;
  });

  const byProject = (hostile: () => { body?: unknown } | { rawBody: string }) =>
    stack.upstream.respondWith((request) =>
      (request.body as { projectId: string }).projectId === 'deep' ? hostile() : success([vendorRecord()]),
    );

  it('a record holding a 5,000-deep array: UPSTREAM_BAD_RESPONSE on that field naming the bound, not an HTTP 500', async () => {
    byProject(() => nestedPage(5_000));
    const { status, json } = await stack.api.post({ query: ALIASES }, API_KEY);
    expect(status).toBe(200);
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0]).toMatchObject({
      path: ['deep'],
      extensions: { code: 'UPSTREAM_BAD_RESPONSE' },
      message: expect.stringMatching(/deeper than 64 levels \(UPSTREAM_MAX_JSON_DEPTH\)/),
    });
  });

  it('through _entities, the other projects keep their data', async () => {
    byProject(() => nestedPage(5_000));
    const { status, json } = await stack.api.post({ query: ENTITIES, variables: { representations } }, API_KEY);
    expect(status).toBe(200);
    expect(json.data._entities[0]).toBeNull();
    expect(json.data._entities[1].callHistory.nodes[0].raw.callSid).toBe('CA26e39c970fd416515799f5a165718be3');
    expect(json.errors.map((e: { path: unknown[]; extensions: { code: string } }) => [e.path, e.extensions.code])).toEqual([
      [['_entities', 0, 'callHistory'], 'UPSTREAM_BAD_RESPONSE'],
    ]);
  });

  it('raw nested up to the bound is served whole', async () => {
    // The envelope, the list and the record take three of the 64 levels.
    byProject(() => nestedPage(61));
    const { json } = await stack.api.post({ query: ALIASES }, API_KEY);
    expect(json.errors).toBeUndefined();
    expect(JSON.stringify(json.data.deep.nodes[0].raw.nested)).toBe(`${'['.repeat(61)}${']'.repeat(61)}`);
  });

  it('UPSTREAM_MAX_JSON_DEPTH at its maximum (512) still serialises safely', async () => {
    const deepest = await startTestApp(stack.upstream.url, { UPSTREAM_MAX_JSON_DEPTH: '512' });
    try {
      byProject(() => nestedPage(509));
      const { status, json } = await deepest.post({ query: ALIASES }, API_KEY);
      expect(status).toBe(200);
      expect(json.errors).toBeUndefined();
      expect(json.data.fine.nodes).toHaveLength(1);
    } finally {
      await deepest.close();
    }
  });

  it('more records than the pageSize asked: UPSTREAM_BAD_RESPONSE naming both numbers', async () => {
    byProject(() => success([1, 2, 3, 4, 5].map((n) => vendorRecord({ callSid: `CA${n}` }))));
    const { json } = await stack.api.post({ query: ALIASES }, API_KEY);
    expect(json.errors).toEqual([
      expect.objectContaining({
        path: ['deep'],
        extensions: { code: 'UPSTREAM_BAD_RESPONSE' },
        // first: 1 without hasNextPage asks for exactly 1 record.
        message: expect.stringContaining('lists 5 records for a pageSize of 1'),
      }),
    ]);
  });

  it('a body over UPSTREAM_MAX_RESPONSE_BYTES (default 8 MB): UPSTREAM_BAD_RESPONSE naming the bound', async () => {
    const filler = 'x'.repeat(1_000);
    const page = JSON.stringify({ data: Array.from({ length: 9_000 }, () => filler) });
    stack.upstream.respondWith(() => ({ rawBody: page }));
    const result = await stack.api.execute(CallHistoryPage, { projectId: 'p', first: 1 });
    expect(result.errors?.[0]).toMatchObject({
      extensions: { code: 'UPSTREAM_BAD_RESPONSE' },
      message: expect.stringContaining('larger than 8000000 bytes (UPSTREAM_MAX_RESPONSE_BYTES)'),
    });
  });

  it('values out of range are null on their field; the rest of the call is served without error', async () => {
    stack.upstream.respondWith(() => ({
      rawBody: JSON.stringify(
        success([
          vendorRecord({
            seconds: 3e9,
            date: 'Sat, 13 Sep 275760 00:00:00 +0000',
            recordingUrls: ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'https://x.test/r.mp3'],
          }),
          vendorRecord({ callSid: 'CA2', seconds: -60 }),
        ]).body,
      ).replace('"cost":0.077', '"cost":1e999'),
    }));
    const result = await stack.api.execute(CallHistoryPage, { projectId: 'p', first: 5 });
    expect(result.errors).toBeUndefined();
    const [first, second] = result.data!.callHistory.edges.map((e) => e.node);
    expect(first).toMatchObject({
      sid: 'CA26e39c970fd416515799f5a165718be3',
      startedAt: null,
      durationSeconds: null,
      endedAt: null,
      cost: null,
      recordingUrls: ['https://x.test/r.mp3'],
      from: '+14152148508',
    });
    expect(second).toMatchObject({ sid: 'CA2', startedAt: '2024-01-30T13:39:53.000Z', durationSeconds: null, endedAt: null });
  });
});

describe('the deadline ends a slow upstream body', () => {
  let server: Server;
  let api: TestApp;
  let bytesSent = 0;
  let finished = false;

  beforeAll(async () => {
    // Headers at once, then a 15 MB page a little at a time: 150 KB every 20 ms, about 2 s in all.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":[');
      const chunk = `${'"x",'.repeat(37_500)}`;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (bytesSent >= 15_000_000) {
          clearInterval(timer);
          finished = true;
          return res.end('"x"]}');
        }
        bytesSent += chunk.length;
        res.write(chunk);
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    api = await startTestApp(`http://127.0.0.1:${port}`, {
      UPSTREAM_TIMEOUT_MS: '500',
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_MAX_RESPONSE_BYTES: '100000000',
    });
  });
  afterAll(async () => {
    await api.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers UPSTREAM_TIMEOUT at the deadline and stops reading the body there', async () => {
    const started = performance.now();
    const result = await api.execute(CallHistoryPage, { projectId: 'p', first: 1 });
    const elapsed = performance.now() - started;
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(elapsed).toBeLessThan(1_500);
    // The connection is closed at the deadline: the upstream stops well short of the 15 MB.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(finished).toBe(false);
    expect(bytesSent).toBeLessThan(8_000_000);
  });
});
