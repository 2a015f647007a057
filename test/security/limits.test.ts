import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

type Json = { errors?: Array<{ message: string; extensions?: { code?: string } }>; data?: unknown };

const codes = (json: Json) => (json.errors ?? []).map((e) => e.extensions?.code);
const messages = (json: Json) => (json.errors ?? []).map((e) => e.message).join('\n');
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: callHistory(projectId: "p", first: 1) { pageInfo { hasNextPage } }`).join(' ')} }`;

describe('operation limits (graphql-armor and the operation cost), body limit, batching and CSRF', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  const started: TestApp[] = [];
  const startApp = async (env: Record<string, string>) => {
    const app = await startTestApp(upstream.url, env);
    started.push(app);
    return app;
  };

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    api = await startApp({});
  });
  afterAll(async () => {
    for (const app of started) await app.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  /** The request was refused before execution: the code, and no upstream traffic. */
  async function expectRefused(app: TestApp, body: unknown, code: string, message: RegExp) {
    const { json } = await app.post(body, API_KEY);
    expect(codes(json)).toEqual([code]);
    expect(messages(json)).toMatch(message);
    // A limit is not a syntax error (graphql-armor's own wording says it is).
    expect(messages(json)).not.toMatch(/Syntax Error/);
    expect(json.data).toBeUndefined();
    expect(upstream.requests).toHaveLength(0);
  }

  it('aliases: 15 by default are served, 16 refused', async () => {
    const { json } = await api.post({ query: aliased(15) }, API_KEY);
    expect(json.errors).toBeUndefined();
    upstream.requests.length = 0;
    await expectRefused(api, { query: aliased(16) }, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15 exceeded/);
  });

  it('aliases: MAX_ALIASES is configurable', async () => {
    const strict = await startApp({ MAX_ALIASES: '2' });
    await expectRefused(strict, { query: aliased(3) }, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 2 exceeded/);
  });

  it('depth: MAX_DEPTH refuses deeper selections', async () => {
    const shallow = await startApp({ MAX_DEPTH: '3' });
    const { json } = await shallow.post({ query: '{ callHistory(projectId: "p") { pageInfo { hasNextPage } } }' }, API_KEY);
    expect(json.errors).toBeUndefined();
    upstream.requests.length = 0;
    await expectRefused(
      shallow,
      { query: '{ callHistory(projectId: "p") { edges { node { sid } } } }' },
      'GRAPHQL_VALIDATION_FAILED',
      /depth limit of 3 exceeded/,
    );
  });

  it('tokens: more than MAX_TOKENS (1000 by default) is refused while parsing', async () => {
    const query = `{ ${Array.from({ length: 1_000 }, () => '__typename').join(' ')} }`;
    await expectRefused(api, { query }, 'GRAPHQL_PARSE_FAILED', /Token limit of 1000 exceeded/);
  });

  it('cost: MAX_COST refuses an expensive operation, literal or variable `first` alike, with its own code', async () => {
    const cheap = await startApp({ MAX_COST: '20' });
    const selection = '{ edges { cursor node { sid status from to startedAt cost raw data } } }';
    await expectRefused(cheap, { query: `{ callHistory(projectId: "p", first: 2) ${selection} }` }, 'MAX_COST_EXCEEDED', /would cost 23, more than the limit of 20 \(MAX_COST\)/);
    await expectRefused(
      cheap,
      { query: `query ($f: Int) { callHistory(projectId: "p", first: $f) ${selection} }`, variables: { f: 2 } },
      'MAX_COST_EXCEEDED',
      /would cost 23, more than the limit of 20 \(MAX_COST\)/,
    );
    const { json } = await cheap.post({ query: '{ callHistory(projectId: "p", first: 2) { nodes { sid } } }' }, API_KEY);
    expect(json.errors).toBeUndefined();
  });

  it('directives: more than 50 are refused', async () => {
    const query = `{ callHistory(projectId: "p") { pageInfo { hasNextPage ${'@include(if: true) '.repeat(51)} } } }`;
    await expectRefused(api, { query }, 'GRAPHQL_VALIDATION_FAILED', /Directives limit of 50 exceeded/);
  });

  it('a body over MAX_REQUEST_BODY_BYTES is refused with 413 and a code', async () => {
    const small = await startApp({ MAX_REQUEST_BODY_BYTES: '2048' });
    const fits = await small.post({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_900) } }, API_KEY);
    expect(fits.status).toBe(200);
    const tooLarge = await small.post({ query: '{ __typename }', variables: { pad: 'x'.repeat(2_100) } }, API_KEY);
    expect(tooLarge.status).toBe(413);
    expect(codes(tooLarge.json)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it('batching is off: an array of operations is refused', async () => {
    const { status, json } = await api.post([{ query: '{ __typename }' }, { query: '{ __typename }' }], API_KEY);
    expect(status).toBe(400);
    expect(codes(json)).toEqual(['BAD_REQUEST']);
  });

  describe('CSRF prevention: requests a browser sends without a preflight need the x-graphql-yoga-csrf header', () => {
    const simplePost = (contentType: string, extra: Record<string, string> = {}) =>
      request(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...API_KEY, ...extra },
        body: JSON.stringify({ query: '{ callHistory(projectId: "p") { pageInfo { hasNextPage } } }' }),
      });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('a %s POST is refused with 403', async (type) => {
      const response = await simplePost(type);
      expect(response.statusCode).toBe(403);
      expect(codes((await response.body.json()) as Json)).toEqual(['BAD_REQUEST']);
      expect(upstream.requests).toHaveLength(0);
    });

    it('a GET query without the header is refused; with it, it is served', async () => {
      const url = `${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`;
      const refused = await request(url, { headers: { accept: 'application/json' } });
      expect(refused.statusCode).toBe(403);
      expect(codes((await refused.body.json()) as Json)).toEqual(['BAD_REQUEST']);
      const served = await request(url, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
      expect(served.statusCode).toBe(200);
      expect(await served.body.json()).toEqual({ data: { __typename: 'Query' } });
    });

    it('a JSON POST (which a browser preflights) needs no header', async () => {
      const response = await simplePost('application/json');
      expect(response.statusCode).toBe(200);
      await response.body.dump();
    });
  });
});

describe('production: unexpected errors masked, suggestions hidden, introspection and GraphiQL as configured', () => {
  let upstream: RecordingUpstream;
  const apps: TestApp[] = [];
  const startApp = async (env: Record<string, string>) => {
    const app = await startTestApp(upstream.url, env);
    apps.push(app);
    return app;
  };

  let production: TestApp;
  let development: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    production = await startApp({ NODE_ENV: 'production' });
    development = await startApp({});
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await upstream.close();
  });

  const SUGGESTING = [
    ['a misspelt field', { query: '{ callHistory(projectId: "p") { nodez { sid } } }' }],
    ['a misspelt argument', { query: '{ callHistory(projectId: "p", firts: 2) { nodes { sid } } }' }],
    ['a misspelt enum literal', { query: '{ callHistory(projectId: "p", filter: { status: COMPLETE }) { nodes { sid } } }' }],
    ['a misspelt input field', { query: '{ callHistory(projectId: "p", filter: { stauts: COMPLETED }) { nodes { sid } } }' }],
    ['a misspelt type', { query: 'query ($f: CallFiltr) { callHistory(projectId: "p", filter: $f) { nodes { sid } } }' }],
    [
      'a misspelt enum value in variables',
      { query: 'query ($f: CallFilter) { callHistory(projectId: "p", filter: $f) { nodes { sid } } }', variables: { f: { status: 'COMPLETE' } } },
    ],
    [
      'a misspelt input field in variables',
      { query: 'query ($f: CallFilter) { callHistory(projectId: "p", filter: $f) { nodes { sid } } }', variables: { f: { stauts: 'COMPLETED' } } },
    ],
  ] as const;

  it.each(SUGGESTING)('%s: no "Did you mean" in production; the error keeps its code', async (_name, body) => {
    const { json } = await production.post(body, API_KEY);
    expect(json.errors?.length).toBeGreaterThan(0);
    expect(messages(json)).not.toMatch(/Did you mean|Suggestion/);
    for (const code of codes(json)) expect(code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
  });

  it.each(SUGGESTING)('%s: outside production the suggestion is shown', async (_name, body) => {
    const { json } = await development.post(body, API_KEY);
    expect(messages(json)).toMatch(/Did you mean/);
  });

  it('an unexpected error is masked: "Unexpected error." with INTERNAL_SERVER_ERROR', async () => {
    const broken = await startApp({ NODE_ENV: 'production' });
    broken.app.source.fetch = async () => {
      throw new Error('connection string postgres://admin:hunter2@db.internal/calls');
    };
    const { status, json } = await broken.post({ query: '{ callHistory(projectId: "p") { nodes { sid } } }' }, API_KEY);
    expect(status).toBe(200);
    expect(json.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(json)).not.toContain('hunter2');
  });

  it('introspection and GraphiQL stay available in production by default', async () => {
    const { json } = await production.post({ query: '{ __schema { queryType { name } } }' }, API_KEY);
    expect(json).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const page = await request(`${production.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toMatch(/<html[\s\S]*GraphiQL/i);
  });

  it('INTROSPECTION=false and GRAPHIQL=false turn them off', async () => {
    const closed = await startApp({ NODE_ENV: 'production', INTROSPECTION: 'false', GRAPHIQL: 'false' });
    const { json } = await closed.post({ query: '{ __schema { queryType { name } } }' }, API_KEY);
    expect(json.data).toBeUndefined();
    expect(new Set(codes(json))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(messages(json)).toMatch(/introspection/i);
    const page = await request(`${closed.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.body.text()).not.toMatch(/GraphiQL/i);
  });
});
