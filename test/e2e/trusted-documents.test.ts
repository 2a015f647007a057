import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, GraphQLRequestError, walkCallHistory } from '../../examples/consumer/src/client.js';
import { CallHistoryPageDocument } from '../../examples/consumer/src/documents.js';
import type { CallSummaryFragment } from '../../examples/consumer/src/gql/graphql.js';
import { DEMO_API_KEY, DEMO_CALLS, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { type RunningMain, runMain, startMain } from '../observability/main-process.js';
import { CONSUMER_MANIFEST } from '../support/consumer.js';

// The example consumer (examples/consumer) against the server started as `npm start` starts it, with the
// manifest codegen wrote for that consumer, over the embedded emulator's demo data.
describe('the example consumer against `npm start` with TRUSTED_DOCUMENTS', () => {
  let server: RunningMain;
  const sent: unknown[] = [];
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    // The walk counts every call of the demo project, so the demo data must stay still.
    server = await startMain({ TRUSTED_DOCUMENTS: CONSUMER_MANIFEST, DEMO_CALLS_PER_MINUTE: '0' });
    client = createClient({
      url: `${server.url}/graphql`,
      headers: { 'x-api-key': DEMO_API_KEY },
      fetch: (input, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return fetch(input, init);
      },
    });
    // Starting the real entry point (tsx, emulator, demo data) is slow on a loaded machine.
  }, 120_000);
  afterAll(() => server?.stop());

  it('walks every call of the demo project page by page, newest first, sending only documentIds', async () => {
    sent.length = 0;
    const calls: CallSummaryFragment[] = [];
    for await (const call of walkCallHistory(client, DEMO_PROJECT_ID, { pageSize: 1000 })) calls.push(call);

    expect(calls).toHaveLength(DEMO_CALLS);
    expect(new Set(calls.map((call) => call.sid)).size).toBe(DEMO_CALLS);
    const starts = calls.map((call) => Date.parse(call.startedAt!));
    expect(starts.every((start, i) => i === 0 || start <= starts[i - 1]!)).toBe(true);
    // The typed scalars hold what the wire carries: DateTime and URL strings, JSONObject objects.
    expect(calls[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const recorded = calls.find((call) => call.recordingUrls.length > 0)!;
    expect(new URL(recorded.recordingUrls[0]!).protocol).toMatch(/^https?:$/);
    expect(calls.some((call) => call.data !== null && typeof call.data === 'object')).toBe(true);

    // One request per page of at most 1,000, each a documentId and variables, never a document.
    expect(sent).toHaveLength(Math.ceil(DEMO_CALLS / 1000));
    for (const body of sent) {
      expect(Object.keys(body as object).sort()).toEqual(['documentId', 'variables']);
      expect((body as { documentId: string }).documentId).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  }, 60_000);

  it('a Date filter travels as a string and bounds the walk', async () => {
    const onOrAfter = '2026-10-25';
    const calls: CallSummaryFragment[] = [];
    for await (const call of walkCallHistory(client, DEMO_PROJECT_ID, { filter: { started: { onOrAfter } }, pageSize: 100 })) {
      calls.push(call);
    }
    expect(calls.length).toBeGreaterThan(100);
    expect(calls.length).toBeLessThan(DEMO_CALLS);
    for (const call of calls) expect(call.startedAt! >= `${onOrAfter}T00:00:00`).toBe(true);
  }, 60_000);

  it('an arbitrary query is refused with PERSISTED_QUERY_ONLY', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-api-key': DEMO_API_KEY },
      body: JSON.stringify({ query: '{ callHistory(projectId: "demo", first: 1) { nodes { sid } } }' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    expect(body.data).toBeUndefined();
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['PERSISTED_QUERY_ONLY']);
  });

  it('an unknown documentId is refused with PERSISTED_QUERY_NOT_FOUND', async () => {
    const stale = { __meta__: { hash: `sha256:${'0'.repeat(64)}` } } as unknown as typeof CallHistoryPageDocument;
    const refused = await client.execute(stale, { projectId: DEMO_PROJECT_ID, first: 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GraphQLRequestError);
    expect((refused as GraphQLRequestError).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((refused as GraphQLRequestError).status).toBe(400);
  });
});

describe('`npm start` with a bad manifest', () => {
  it('stops with exit code 2 and a message naming TRUSTED_DOCUMENTS', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'trusted-documents-')), 'manifest.json');
    writeFileSync(path, '{"sha256:abc": ');
    const { code, stderr } = await runMain({ TRUSTED_DOCUMENTS: path, PORT: '0' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Configuration error: TRUSTED_DOCUMENTS: the manifest is not JSON/m);
    expect(stderr).not.toMatch(/at \S+ \(/); // a message, not a stack trace
  }, 90_000);
});
