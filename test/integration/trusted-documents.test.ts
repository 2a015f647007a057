import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { API_KEY, startTestApp, type TestApp } from '../support/app.js';
import { CONSUMER_MANIFEST, consumerManifest } from '../support/consumer.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };
const codeOf = (json: { errors?: Array<{ extensions?: { code?: unknown } }> }) => json.errors?.[0]?.extensions?.code;

describe('TRUSTED_DOCUMENTS set: only the manifest\'s documents run', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  const [[documentId, document]] = Object.entries(consumerManifest()) as [[string, string]];
  const variables = { projectId: 'p', first: 2 };

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url, { TRUSTED_DOCUMENTS: CONSUMER_MANIFEST });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    upstream.respondWith(() => success([vendorRecord()]));
  });

  it('a documentId from the manifest runs its document with the variables', async () => {
    const { status, json } = await api.post({ documentId, variables }, API_KEY);
    expect(status).toBe(200);
    expect(json.errors).toBeUndefined();
    expect(json.data.callHistory.edges[0].node.sid).toBe(vendorRecord().callSid);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body).toMatchObject({ projectId: 'p' });
  });

  it('the request\'s log line names the operation of the manifest\'s document', async () => {
    api.logs.length = 0;
    await api.post({ documentId, variables }, API_KEY);
    const line = api.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'graphql request');
    expect(line).toMatchObject({ operation: 'CallHistoryPage', operationType: 'query' });
  });

  it('a GET with documentId and variables in the URL runs too', async () => {
    const url = new URL(`${api.url}/graphql`);
    url.searchParams.set('documentId', documentId);
    url.searchParams.set('variables', JSON.stringify(variables));
    const response = await request(url, { headers: { ...API_KEY, accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    const json = (await response.body.json()) as { data?: { callHistory: { edges: unknown[] } }; errors?: unknown };
    expect(response.statusCode).toBe(200);
    expect(json.errors).toBeUndefined();
    expect(json.data!.callHistory.edges).toHaveLength(1);
  });

  it.each([
    ['an arbitrary query', { query: '{ callHistory(projectId: "p") { nodes { sid } } }' }],
    ['the manifest\'s own text sent as a query', { query: document, variables }],
    ['an introspection query', { query: '{ __schema { queryType { name } } }' }],
    ['a query and a documentId together', { query: document, documentId, variables }],
    ['neither a query nor a documentId', { variables }],
    ['a documentId that is not a string', { documentId: 42 }],
  ])('%s is refused with PERSISTED_QUERY_ONLY, before the upstream', async (_name, body) => {
    const legacy = await api.post(body, API_KEY);
    expect(legacy.status).toBe(200);
    expect(codeOf(legacy.json)).toBe('PERSISTED_QUERY_ONLY');
    expect(legacy.json.data).toBeUndefined();
    expect(legacy.json.errors[0].message).toMatch(/only trusted documents/);
    const modern = await api.post(body, { ...API_KEY, ...GRAPHQL_RESPONSE });
    expect(modern.status).toBe(400);
    expect(codeOf(modern.json)).toBe('PERSISTED_QUERY_ONLY');
    expect(upstream.requests).toHaveLength(0);
  });

  it('an unknown documentId is refused with PERSISTED_QUERY_NOT_FOUND, before the upstream', async () => {
    const unknown = `sha256:${createHash('sha256').update('{ __typename }').digest('hex')}`;
    const legacy = await api.post({ documentId: unknown, variables }, API_KEY);
    expect(legacy.status).toBe(200);
    expect(codeOf(legacy.json)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(legacy.json.errors).toHaveLength(1);
    const modern = await api.post({ documentId: unknown, variables }, { ...API_KEY, ...GRAPHQL_RESPONSE });
    expect(modern.status).toBe(400);
    expect(codeOf(modern.json)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(modern.json.errors[0].extensions).toEqual({ code: 'PERSISTED_QUERY_NOT_FOUND' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('GraphiQL is not served', async () => {
    const page = await request(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.body.text()).not.toMatch(/GraphiQL/i);
  });
});

describe('TRUSTED_DOCUMENTS with the response cache', () => {
  it('a documentId request is cached under its document: the second one is served without the upstream', async () => {
    const upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    const api = await startTestApp(upstream.url, { TRUSTED_DOCUMENTS: CONSUMER_MANIFEST, RESPONSE_CACHE_TTL_MS: '60000' });
    try {
      const [documentId] = Object.keys(consumerManifest()) as [string];
      const body = { documentId, variables: { projectId: 'p', first: 1 } };
      const first = await api.post(body, API_KEY);
      const second = await api.post(body, API_KEY);
      expect(first.json.errors).toBeUndefined();
      expect(second.json.data).toEqual(first.json.data);
      expect(upstream.requests).toHaveLength(1);
      const other = await api.post({ ...body, variables: { projectId: 'q', first: 1 } }, API_KEY);
      expect(other.json.errors).toBeUndefined();
      expect(upstream.requests).toHaveLength(2);
    } finally {
      await api.close();
      await upstream.close();
    }
  });
});

describe('TRUSTED_DOCUMENTS unset: any document runs, a documentId is refused', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  const [[documentId, document]] = Object.entries(consumerManifest()) as [[string, string]];

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  it('a query runs as always', async () => {
    const { json } = await api.post({ query: document, variables: { projectId: 'p', first: 1 } }, API_KEY);
    expect(json.errors).toBeUndefined();
    expect(json.data.callHistory.edges).toHaveLength(1);
  });

  it('a documentId, in a POST body or a GET URL, is refused with PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    const before = upstream.requests.length;
    const legacy = await api.post({ documentId, variables: { projectId: 'p' } }, API_KEY);
    expect(legacy.status).toBe(200);
    expect(codeOf(legacy.json)).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(legacy.json.errors[0].message).toMatch(/TRUSTED_DOCUMENTS is unset/);
    const withQuery = await api.post({ query: document, documentId, variables: { projectId: 'p' } }, { ...API_KEY, ...GRAPHQL_RESPONSE });
    expect(withQuery.status).toBe(400);
    expect(codeOf(withQuery.json)).toBe('PERSISTED_QUERY_NOT_SUPPORTED');

    const url = new URL(`${api.url}/graphql`);
    url.searchParams.set('documentId', documentId);
    const response = await request(url, { headers: { ...API_KEY, ...GRAPHQL_RESPONSE, 'x-graphql-yoga-csrf': '1' } });
    expect(response.statusCode).toBe(400);
    expect(codeOf((await response.body.json()) as never)).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(upstream.requests.length).toBe(before);
  });
});

describe('a bad manifest stops the app from being built', () => {
  it('with a ConfigError naming TRUSTED_DOCUMENTS', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'trusted-documents-')), 'manifest.json');
    writeFileSync(path, JSON.stringify({ stale: '{ callHistory(projectId: "p") { nodes { removedField } } }' }));
    const attempt = startTestApp('http://127.0.0.1:9', { TRUSTED_DOCUMENTS: path });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/^TRUSTED_DOCUMENTS: document stale is not valid against the schema: Cannot query field "removedField"/);
  });
});
