import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { print } from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallHistoryPage } from '../support/operations.js';
import { startRecordingUpstream, type Reply, type RecordingUpstream } from '../support/recording-upstream.js';

/** A value that cannot appear anywhere by chance. */
const secret = (label: string) => `${label}-${randomUUID()}`;

const QUERY = print(CallHistoryPage);

describe('credentials and other secrets never reach a log line or a response', () => {
  const AUTHORIZATION = secret('bearer-token');
  const API_KEY = secret('api-key');
  const COOKIE = secret('session-cookie');
  const CUSTOM_HEADER = secret('custom-header');
  const PROJECT = secret('project');
  const TO = secret('to-number');
  const VARIABLE_SECRETS = Array.from({ length: 6 }, (_, i) => secret(`variable${i}`));
  const ALL = [AUTHORIZATION, API_KEY, COOKIE, CUSTOM_HEADER, PROJECT, TO, ...VARIABLE_SECRETS];

  let upstream: RecordingUpstream;
  let api: TestApp;
  const responses: string[] = [];

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url, {
      LOG_LEVEL: 'trace',
      UPSTREAM_TIMEOUT_MS: '1500',
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '500',
      UPSTREAM_MAX_RETRIES: '1',
    });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const headers = {
    authorization: `Bearer ${AUTHORIZATION}`,
    'x-api-key': API_KEY,
    cookie: `session=${COOKIE}`,
    'x-custom-token': CUSTOM_HEADER,
  };

  /** Sends one request with every secret header, keeping the whole response (status line, headers, body). */
  async function send(body: unknown, extraHeaders: Record<string, string> = {}): Promise<string> {
    const response = await request(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...extraHeaders },
      body: JSON.stringify(body),
    });
    const text = `${response.statusCode} ${JSON.stringify(response.headers)} ${await response.body.text()}`;
    responses.push(text);
    return text;
  }

  const upstreamAnswers: Array<[string, Reply]> = [
    ['200', success([vendorRecord()])],
    ['400', { status: 400, body: { message: `bad ${API_KEY}`, status: 'error' } }],
    ['401', { status: 401, body: { message: `unknown key ${API_KEY}`, status: 'error' } }],
    ['403', { status: 403, body: { message: 'forbidden', status: 'error' } }],
    ['429', { status: 429, headers: { 'retry-after': '30' }, body: { message: 'slow down' } }],
    ['500', { status: 500, body: { message: `stack trace with ${AUTHORIZATION}` } }],
    ['503', { status: 503, body: { message: 'unavailable' } }],
    ['html', { status: 200, headers: { 'content-type': 'text/html' }, rawBody: `<html>${COOKIE}</html>` }],
    ['renamed fields', success([{ call_sid: 'CA1', state: 'completed' }])],
  ];

  it.each(upstreamAnswers)('upstream answers %s: the credential goes upstream, and nowhere else', async (_name, reply) => {
    upstream.respondWith(() => reply);
    upstream.requests.length = 0;
    await send({ query: QUERY, variables: { projectId: PROJECT, filter: { to: TO }, first: 2 } });
    expect(upstream.requests.length).toBeGreaterThanOrEqual(1);
    for (const sent of upstream.requests) {
      // Exactly the caller's credential, and no other header of the caller.
      expect(sent.headers.authorization).toBe(`Bearer ${AUTHORIZATION}`);
      expect(sent.headers['x-api-key']).toBe(API_KEY);
      expect(sent.headers.cookie).toBeUndefined();
      expect(JSON.stringify(sent.headers)).not.toContain(CUSTOM_HEADER);
    }
  });

  it('secrets in rejected variables are not echoed', async () => {
    upstream.respondWith(() => success([vendorRecord()]));
    const [firstSecret, statusSecret, dateSecret, keySecret, afterSecret, instantSecret] = VARIABLE_SECRETS as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const variables = [
      { projectId: PROJECT, first: firstSecret },
      { projectId: PROJECT, filter: { status: statusSecret } },
      { projectId: PROJECT, filter: { started: { on: dateSecret } } },
      { projectId: PROJECT, filter: { [keySecret]: 1 } },
      { projectId: PROJECT, after: afterSecret },
      { projectId: PROJECT, filter: { startedAt: { before: instantSecret } } },
      { projectId: PROJECT, filter: { to: `${TO}\u0000` } },
      { projectId: [PROJECT] },
    ];
    for (const vars of variables) {
      const text = await send({ query: QUERY, variables: vars });
      expect(text).toMatch(/"code":"BAD_USER_INPUT"/);
    }
    // Production adds no leak of its own (and hides suggestions).
    const production = await startTestApp(upstream.url, { LOG_LEVEL: 'trace', NODE_ENV: 'production' });
    try {
      const response = await production.post({ query: QUERY, variables: variables[1] }, headers);
      responses.push(JSON.stringify(response));
      for (const line of production.logs) expect(ALL.filter((s) => line.includes(s))).toEqual([]);
    } finally {
      await production.close();
    }
  });

  it('a document that does not parse or validate, and GET requests, leak nothing either', async () => {
    await send({ query: `{ callHistory(projectId: "${PROJECT}") { nodez } }` });
    await send({ query: `query { callHistory(projectId: ${JSON.stringify(TO)}` });
    const get = await request(`${api.url}/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(JSON.stringify({ projectId: PROJECT }))}`, {
      headers: { ...headers, accept: 'application/json' },
    });
    responses.push(`${get.statusCode} ${JSON.stringify(get.headers)} ${await get.body.text()}`);
  });

  it('no log line and no response contains any of the secrets', () => {
    expect(responses.length).toBeGreaterThanOrEqual(upstreamAnswers.length + 8);
    // Trace-level logging was on and wrote about these requests.
    expect(api.logs.length).toBeGreaterThan(responses.length);
    const leaks = [...api.logs, ...responses].flatMap((text) => ALL.filter((s) => text.includes(s)).map((s) => `${s.split('-')[0]} in ${text.slice(0, 200)}`));
    expect(leaks).toEqual([]);
  });
});

describe('the credential goes to the upstream origin only: redirects are not followed', () => {
  let upstream: RecordingUpstream;
  let elsewhere: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    elsewhere = await startRecordingUpstream(() => success([vendorRecord()]));
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
    await elsewhere.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
    elsewhere.requests.length = 0;
  });

  it.each([301, 302, 303, 307, 308])('%i to another server on 127.0.0.1: UPSTREAM_BAD_RESPONSE, and that server receives nothing', async (status) => {
    upstream.respondWith(() => ({ status, headers: { location: `${elsewhere.url}/call/get-call-history` }, body: {} }));
    const key = secret('redirected-key');
    const result = await api.execute(CallHistoryPage, { projectId: 'p' }, { 'x-api-key': key });
    expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(JSON.stringify(result)).not.toContain(elsewhere.url);
    expect(upstream.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    for (const line of api.logs) expect(line).not.toContain(key);
  });
});

describe('UPSTREAM_API_KEY is used only for callers without a credential', () => {
  const SERVER_KEY = secret('server-key');
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    api = await startTestApp(upstream.url, { UPSTREAM_API_KEY: SERVER_KEY, LOG_LEVEL: 'trace' });
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  const sentHeaders = () => {
    expect(upstream.requests).toHaveLength(1);
    const { authorization, 'x-api-key': apiKey } = upstream.requests[0]!.headers;
    return { authorization, apiKey };
  };

  it('a caller without a credential is served with the server key', async () => {
    const result = await api.execute(CallHistoryPage, { projectId: 'p' }, {});
    expect(result.errors).toBeUndefined();
    expect(sentHeaders()).toEqual({ authorization: undefined, apiKey: SERVER_KEY });
  });

  it('empty credential headers count as none', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p' }, { 'x-api-key': '', authorization: '' });
    expect(sentHeaders()).toEqual({ authorization: undefined, apiKey: SERVER_KEY });
  });

  it('a caller with a bearer token sends only that token: the server key is not added', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p' }, { authorization: 'Bearer caller-token' });
    expect(sentHeaders()).toEqual({ authorization: 'Bearer caller-token', apiKey: undefined });
  });

  it('a caller with an x-api-key sends only that key', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p' }, { 'x-api-key': 'caller-key' });
    expect(sentHeaders()).toEqual({ authorization: undefined, apiKey: 'caller-key' });
  });

  it('a caller whose credential the upstream refuses is not retried with the server key', async () => {
    upstream.respondWith(() => ({ status: 401, body: { message: 'no', status: 'error' } }));
    const result = await api.execute(CallHistoryPage, { projectId: 'p' }, { 'x-api-key': 'revoked-key' });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(sentHeaders()).toEqual({ authorization: undefined, apiKey: 'revoked-key' });
    upstream.respondWith(() => success([vendorRecord()]));
  });

  it('the server key appears in no log line', () => {
    expect(api.logs.length).toBeGreaterThan(0);
    for (const line of api.logs) expect(line).not.toContain(SERVER_KEY);
  });

  it('without UPSTREAM_API_KEY a caller without a credential gets UNAUTHENTICATED and the upstream is not called', async () => {
    const strict = await startTestApp(upstream.url);
    try {
      const result = await strict.execute(CallHistoryPage, { projectId: 'p' }, {});
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });
});

describe('the logger redacts credential fields wherever a log call puts them', () => {
  it('headers, credentials and request objects logged whole come out redacted', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('trace', sink);
    const token = secret('token');
    const key = secret('key');
    const cookie = secret('cookie');
    const headers = { authorization: `Bearer ${token}`, 'x-api-key': key, cookie: `s=${cookie}` };
    logger.info({ headers }, 'headers');
    logger.info({ req: { method: 'POST', headers } }, 'a request');
    logger.info({ upstream: { headers } }, 'an upstream request');
    logger.info({ credential: { authorization: `Bearer ${token}`, apiKey: key } }, 'a credential');
    logger.info({ authorization: `Bearer ${token}`, apiKey: key }, 'fields');
    logger.child({ headers }).info('a child logger');
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(key);
      expect(line).not.toContain(cookie);
    }
  });
});
