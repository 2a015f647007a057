import { parse } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { CallRecord } from '../../src/domain/record.js';
import type { UpstreamRequest } from '../../src/domain/request.js';
import { EXAMPLE_QUERY } from '../../src/example.js';
import { MAX_FIRST } from '../../src/history/translate.js';
import { createLogger } from '../../src/logger.js';
import { operationCost, useOperationCost } from '../../src/plugins/operation-cost.js';
import { subgraphSchema } from '../../src/schema/index.js';
import { createApp, listen } from '../../src/server.js';
import { normaliseRecords } from '../../src/upstream/records.js';
import { API_KEY, type TestApp } from '../support/app.js';
import { sharedRecordingUpstream } from '../support/recording-stack.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { startRecordingUpstream } from '../support/recording-upstream.js';
import { transportEnv } from '../support/transport.js';

type Json = { errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>; data?: any };
const codes = (json: Json) => (json.errors ?? []).map((e) => e.extensions?.code);

/** The README's first example: every field of a call but `raw`, with cursors and page info. */
const README_SELECTION = `edges { cursor node { sid status rawStatus from to startedAt durationSeconds endedAt cost recordingUrls data } } pageInfo { hasNextPage endCursor }`;
const FULL_SELECTION = `edges { cursor node { sid status rawStatus from to phoneNumber startedAt durationSeconds endedAt cost recordingUrls data raw } } pageInfo { hasNextPage endCursor }`;

const costOf = (query: string, variables: Record<string, unknown> = {}) => operationCost(subgraphSchema, parse(query), undefined, variables, MAX_FIRST)!;

const records = (count: number, status = 'completed') =>
  Array.from({ length: count }, (_, i) =>
    vendorRecord({
      callSid: `CA${String(100_000 - i).padStart(32, '0')}`,
      status,
      date: new Date(Date.UTC(2024, 0, 30, 12, 0, 0) - i * 60_000).toUTCString().replace('GMT', '+0000'),
    }),
  );

describe('operation cost, with variables applied (pure)', () => {
  it('a variable `first` costs what the same literal costs', () => {
    const literal = costOf(`{ callHistory(projectId: "p", first: 1000) { ${README_SELECTION} } }`);
    const variable = costOf(`query ($f: Int) { callHistory(projectId: "p", first: $f) { ${README_SELECTION} } }`, { f: 1000 });
    expect(variable).toEqual(literal);
    // 1 (callHistory) + 1000 × (edge 1 + cursor 1 + node 1 + 11 fields) + pageInfo (1 + 2)
    expect(literal.cost).toBe(1 + 1000 * 14 + 3);
  });

  it('the default `first` (20) applies when it is absent; a page costs `first` times its selection', () => {
    expect(costOf('{ callHistory(projectId: "p") { nodes { sid } } }').cost).toBe(1 + 20 * 2);
    expect(costOf('{ callHistory(projectId: "p", first: 7) { nodes { sid } } }').cost).toBe(1 + 7 * 2);
  });

  it('a `first` above 1000 counts as 1000: the field itself refuses it, without any upstream request', () => {
    expect(costOf('{ callHistory(projectId: "p", first: 100000000) { nodes { sid } } }').cost).toBe(1 + 1000 * 2);
  });

  it('fragments, inline fragments and variables in @skip/@include are followed', () => {
    const query = `query ($skip: Boolean!) {
      callHistory(projectId: "p", first: 10) { ...Page }
      other: callHistory(projectId: "q", first: 10) @skip(if: $skip) { nodes { sid } }
    }
    fragment Page on CallConnection { nodes { ... on Call { sid status } } pageInfo { __typename } }`;
    expect(costOf(query, { skip: true }).cost).toBe(1 + 10 * 3 + 1);
    expect(costOf(query, { skip: false }).cost).toBe(1 + 10 * 3 + 1 + (1 + 10 * 2));
  });

  it('_entities charges its selection once per representation, and counts the representations', () => {
    const query = `query ($r: [_Any!]!, $f: Int) { _entities(representations: $r) { ... on Project { callHistory(first: $f) { nodes { sid } } } } }`;
    const representations = Array.from({ length: 700 }, (_, i) => ({ __typename: 'Project', id: `p${i}` }));
    const measured = costOf(query, { r: representations, f: 1000 });
    expect(measured.representations).toBe(700);
    expect(measured.cost).toBe(700 * (1 + 1 + 1000 * 2));
  });

  it('variables that do not coerce give no cost: execution reports them', () => {
    expect(operationCost(subgraphSchema, parse('query ($f: Int) { callHistory(projectId: "p", first: $f) { nodes { sid } } }'), undefined, { f: 'x' }, MAX_FIRST)).toBeUndefined();
  });

  it('one parsed document (as Yoga caches it) is measured with each request\'s own variables, however often it runs', () => {
    const plugin = useOperationCost({ maxCost: 1 + 50 * 2, maxRepresentations: 10, maxFirst: MAX_FIRST }) as Required<Plugin>;
    const document = parse('query ($f: Int, $p: ID!) { callHistory(projectId: $p, first: $f) { nodes { sid } } }');
    const refusedCode = (variables: Record<string, unknown>): unknown => {
      let refused: unknown;
      const setResultAndStopExecution = (result: { errors: Array<{ extensions: { code: unknown } }> }) => (refused = result.errors[0]!.extensions.code);
      (plugin.onExecute as (payload: unknown) => void)({ args: { schema: subgraphSchema, document, variableValues: variables }, setResultAndStopExecution });
      return refused;
    };
    // Alternating, and past the number of variable sets kept per document: no answer leaks into another.
    for (let round = 0; round < 3; round++) {
      for (let project = 0; project < 100; project++) {
        expect(refusedCode({ f: 50, p: `p${project}` })).toBeUndefined();
        expect(refusedCode({ f: 51, p: `p${project}` })).toBe('MAX_COST_EXCEEDED');
      }
    }
    // Variables too large to be kept are still measured.
    expect(refusedCode({ f: 51, p: 'p'.repeat(10_000) })).toBe('MAX_COST_EXCEEDED');
    expect(refusedCode({ f: 50, p: 'p'.repeat(10_000) })).toBeUndefined();
  });
});

describe('bounded work per operation (over HTTP)', () => {
  const shared = sharedRecordingUpstream();
  const startApp = shared.startApp;
  let api: TestApp;

  beforeAll(async () => {
    api = await startApp();
  });
  beforeEach(() => {
    shared.upstream.respondWith((request) => success(records(Math.min((request.body as { pageSize: number }).pageSize, 3))));
  });

  it.each([1, 20, 1000])('the README example selection with first = %i (a variable) passes at default limits', async (first) => {
    const { json } = await api.post(
      { query: `query ($f: Int) { callHistory(projectId: "p", first: $f) { ${README_SELECTION} } }`, variables: { f: first } },
      API_KEY,
    );
    expect(json.errors).toBeUndefined();
    expect(json.data.callHistory.edges.length).toBeGreaterThan(0);
  });

  it("GraphiQL's example query with first = 1000 passes at default limits", async () => {
    const { json } = await api.post({ query: EXAMPLE_QUERY, variables: { projectId: 'demo', first: 1000 } }, API_KEY);
    expect(json.errors).toBeUndefined();
  });

  it('`first: $f` no longer escapes the cost limit: 15 aliases × 1000 calls are refused before any upstream request', async () => {
    const fields = Array.from({ length: 15 }, (_, i) => `a${i}: callHistory(projectId: "p${i}", first: $f) { ${FULL_SELECTION} }`).join('\n');
    const { status, json } = await api.post({ query: `query ($f: Int) { ${fields} }`, variables: { f: 1000 } }, API_KEY);
    expect(status).toBe(200);
    expect(codes(json)).toEqual(['MAX_COST_EXCEEDED']);
    expect(json.errors![0]!.message).toMatch(/more than the limit of 50000 \(MAX_COST\)/);
    expect(json.errors![0]!.message).not.toMatch(/Syntax Error/);
    expect(json.errors![0]!.extensions).toMatchObject({ limit: 50_000 });
    expect(json.data).toBeUndefined();
    expect(shared.upstream.requests).toHaveLength(0);
  });

  const entities = (count: number) => ({
    query: `query ($r: [_Any!]!, $f: Int) { _entities(representations: $r) { ... on Project { callHistory(first: $f) { ${FULL_SELECTION} } } } }`,
    variables: { r: Array.from({ length: count }, (_, i) => ({ __typename: 'Project', id: `p${i}` })), f: 1000 },
  });

  it('700 entities × first 1000 is refused before any upstream request: more representations than the cap (100)', async () => {
    const { json } = await api.post(entities(700), API_KEY);
    expect(codes(json)).toEqual(['BAD_USER_INPUT']);
    expect(json.errors![0]!.message).toMatch(/At most 100 _entities representations .*found 700/);
    expect(json.errors![0]!.extensions).toMatchObject({ argument: 'representations', limit: 100 });
    expect(shared.upstream.requests).toHaveLength(0);
  });

  it('with the cap raised, the same request is refused by its cost, still before any upstream request', async () => {
    const lenient = await startApp({ MAX_ENTITY_REPRESENTATIONS: '1000' });
    const { json } = await lenient.post(entities(700), API_KEY);
    expect(codes(json)).toEqual(['MAX_COST_EXCEEDED']);
    expect(shared.upstream.requests).toHaveLength(0);
  });

  it('100 representations of a small page are served', async () => {
    const body = entities(100);
    body.query = body.query.replace(FULL_SELECTION, 'nodes { sid }');
    body.variables.f = 5;
    const { json } = await api.post(body, API_KEY);
    expect(json.errors).toBeUndefined();
    expect(json.data._entities).toHaveLength(100);
    expect(shared.upstream.requests).toHaveLength(100);
  });

  it('UPSTREAM_MAX_REQUESTS_PER_OPERATION bounds the total upstream requests; the fields beyond it get UPSTREAM_REQUEST_LIMIT', async () => {
    const capped = await startApp({ UPSTREAM_MAX_REQUESTS_PER_OPERATION: '3' });
    const body = entities(5);
    body.query = body.query.replace(FULL_SELECTION, 'nodes { sid }');
    body.variables.f = 2;
    const { json } = await capped.post(body, API_KEY);
    expect(shared.upstream.requests).toHaveLength(3);
    // Each entity is its own field: three are served, the two past the budget carry the code.
    expect(json.data._entities.filter((entity: unknown) => entity !== null)).toHaveLength(3);
    expect(codes(json)).toEqual(['UPSTREAM_REQUEST_LIMIT', 'UPSTREAM_REQUEST_LIMIT']);
    expect(json.errors![0]!.message).toMatch(/more than 3 upstream requests \(UPSTREAM_MAX_REQUESTS_PER_OPERATION\)/);
    expect(json.errors![0]!.extensions).toMatchObject({ limit: 3 });
  });

  it('MAX_RESPONSE_BYTES: a response over the limit is answered with RESPONSE_TOO_LARGE, not sent', async () => {
    const small = await startApp({ MAX_RESPONSE_BYTES: '4096' });
    shared.upstream.respondWith((request) => success(records((request.body as { pageSize: number }).pageSize)));
    const fits = await small.post({ query: '{ callHistory(projectId: "p", first: 2) { nodes { sid } } }' }, API_KEY);
    expect(fits.json.errors).toBeUndefined();
    const big = await small.post({ query: `{ callHistory(projectId: "p", first: 50) { ${FULL_SELECTION} } }` }, API_KEY);
    expect(big.status).toBe(200);
    expect(big.json).toEqual({
      data: null,
      errors: [expect.objectContaining({ extensions: { code: 'RESPONSE_TOO_LARGE', limitBytes: 4096 } })],
    });
    expect(big.json.errors[0].message).toMatch(/larger than 4096 bytes \(MAX_RESPONSE_BYTES\)/);
  });
});

describe('the request deadline covers in-process work', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  const busy = (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // the process is busy: no timer can run
    }
  };

  async function startWith(env: Record<string, string>, plugins: Plugin[] = []) {
    const upstream = await startRecordingUpstream((request) => success(records(Math.min((request.body as { pageSize: number }).pageSize, 3))));
    const config = loadConfig({ LOG_LEVEL: 'silent', ...transportEnv(), ...env });
    const app = createApp({ ...config, UPSTREAM_URL: upstream.url }, createLogger('silent'), { plugins });
    const server = await listen(app, '127.0.0.1', 0);
    open.push(server, upstream);
    const post = async (query: string) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...API_KEY },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as Json;
    };
    return { app, upstream, post };
  }

  it('between pages: a page that needs another upstream request after the deadline passed stops with UPSTREAM_TIMEOUT', async () => {
    const { app, post } = await startWith({ UPSTREAM_TIMEOUT_MS: '200' });
    const asked: UpstreamRequest[] = [];
    // Records the layer filters out (not voicemail), a full page of them: the page needs another request.
    app.source.fetch = async (request): Promise<CallRecord[]> => {
      asked.push(request);
      busy(300);
      return normaliseRecords(records(request.pageSize), request.projectId, () => undefined);
    };
    const json = await post('{ callHistory(projectId: "p", first: 5, filter: { status: VOICEMAIL }) { nodes { sid } } }');
    expect(codes(json)).toEqual(['UPSTREAM_TIMEOUT']);
    expect(asked).toHaveLength(1);
  });

  it('before serialisation: a result completed after the deadline is not sent; UPSTREAM_TIMEOUT instead', async () => {
    const slowAfterData: Plugin = { onExecute: () => ({ onExecuteDone: () => busy(300) }) };
    const { post } = await startWith({ UPSTREAM_TIMEOUT_MS: '200' }, [slowAfterData]);
    const json = await post('{ callHistory(projectId: "p", first: 2) { nodes { sid } } }');
    expect(json.data).toBeNull();
    expect(codes(json)).toEqual(['UPSTREAM_TIMEOUT']);
  });

  it('within the deadline the same work is served', async () => {
    const { post } = await startWith({ UPSTREAM_TIMEOUT_MS: '5000' }, [{ onExecute: () => ({ onExecuteDone: () => busy(100) }) }]);
    const json = await post('{ callHistory(projectId: "p", first: 2) { nodes { sid } } }');
    expect(json.errors).toBeUndefined();
    expect(json.data.callHistory.nodes).toHaveLength(2);
  });
});
