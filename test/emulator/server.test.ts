import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSY_DAY,
  BUSY_PROJECT_ID,
  CALL_HISTORY_PATH,
  CALL_PATH,
  CALL_SID_PATTERN,
  CallStore,
  DEMO_API_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_PROJECT_ID,
  MESSAGES,
  OTHER_API_KEY,
  OTHER_PROJECT_ID,
  parseRfc2822,
  startEmulator,
  type VendorRecord,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { UNAUTHORIZED_CREDENTIALS, callHistory, makeCall, records, sid } from './support.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

const demo = (body: unknown = { projectId: DEMO_PROJECT_ID }, query?: Record<string, string>) =>
  callHistory(emulator.url, { body, apiKey: DEMO_API_KEY, ...(query ? { query } : {}) });

describe('success', () => {
  it('answers 200 with the vendor envelope and 20 records by default', async () => {
    const response = await demo();
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json).toMatchObject({ message: MESSAGES.success, status: 'success' });
    expect(records(response)).toHaveLength(20);
  });

  it('returns records in the vendor shape', async () => {
    const list = records(await demo({ projectId: DEMO_PROJECT_ID, pageSize: 200 }));
    for (const record of list) {
      expect(record.callSid).toMatch(CALL_SID_PATTERN);
      expect(record.date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
      expect(typeof record.status).toBe('string');
      expect(record.from).toMatch(/^\+1\d{10}$/);
      expect(record.to).toMatch(/^\+1\d{10}$/);
      expect([record.from, record.to]).toContain(record.phoneNumber);
      expect(record.seconds === null || Number.isInteger(record.seconds)).toBe(true);
      expect(record.cost === null || typeof record.cost === 'number').toBe(true);
      expect(Array.isArray(record.recordingUrls)).toBe(true);
      for (const value of Object.values(record.data)) expect(typeof value).toBe('string');
    }
    const starts = list.map((record) => parseRfc2822(record.date) ?? NaN);
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
  });

  it('accepts pageSize from 1 to 1000', async () => {
    expect(records(await demo({ projectId: DEMO_PROJECT_ID, pageSize: 1 }))).toHaveLength(1);
    expect(records(await demo({ projectId: DEMO_PROJECT_ID, pageSize: 1000 }))).toHaveLength(1000);
  });

  it('serves a dense day of more than 1,000 calls one page of 1,000 at a time', async () => {
    const response = await callHistory(emulator.url, {
      query: { startTime: BUSY_DAY },
      body: { projectId: BUSY_PROJECT_ID, pageSize: 1000 },
      apiKey: DEMO_API_KEY,
    });
    const list = records(response);
    expect(list).toHaveLength(1000);
    const day = Date.parse(`${BUSY_DAY}T00:00:00Z`) / 1000;
    for (const record of list) expect((parseRfc2822(record.date) ?? 0) - day).toBeLessThan(86_400);
    expect(emulator.store.count(BUSY_PROJECT_ID, { startTime: BUSY_DAY })).toBeGreaterThan(1000);
  });

  it('accepts a bearer token', async () => {
    const response = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID }, bearer: DEMO_BEARER_TOKEN });
    expect(response.status).toBe(200);
  });

  it('keeps the connection alive for 5 s', async () => {
    const response = await demo();
    expect(response.headers.connection).toBe('keep-alive');
    expect(response.headers['keep-alive']).toBe('timeout=5');
  });

  it('serves many requests over one kept-alive connection', async () => {
    let connects = 0;
    const agent = new Agent({ connections: 1, connect: { timeout: 1000 } }).on('connect', () => connects++);
    for (let index = 0; index < 5; index++) {
      const response = await request(`${emulator.url}/call/get-call-history`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'x-api-key': DEMO_API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: DEMO_PROJECT_ID, pageSize: 5 }),
      });
      expect(response.statusCode).toBe(200);
      await response.body.text();
    }
    expect(connects).toBe(1);
    await agent.close();
  });
});

describe('request validation', () => {
  it.each([
    ['pageSize 0', { projectId: DEMO_PROJECT_ID, pageSize: 0 }, 'pageSize'],
    ['pageSize 1001', { projectId: DEMO_PROJECT_ID, pageSize: 1001 }, 'pageSize'],
    ['pageSize 2.5', { projectId: DEMO_PROJECT_ID, pageSize: 2.5 }, 'pageSize'],
    ['pageSize as a string', { projectId: DEMO_PROJECT_ID, pageSize: '20' }, 'pageSize'],
    ['pageSize null', { projectId: DEMO_PROJECT_ID, pageSize: null }, 'pageSize'],
    ['no projectId', { pageSize: 20 }, 'projectId'],
    ['an empty projectId', { projectId: '' }, 'projectId'],
    ['a numeric projectId', { projectId: 42 }, 'projectId'],
    ['an array body', [DEMO_PROJECT_ID], 'JSON object'],
  ])('answers 400 for %s', async (_name, body, mentions) => {
    const response = await demo(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: expect.stringContaining(mentions), status: 'error' });
  });

  it.each([
    ['not JSON', '{projectId: demo}'],
    ['empty', ''],
  ])('answers 400 for a body that is %s', async (_name, rawBody) => {
    const response = await callHistory(emulator.url, { rawBody, apiKey: DEMO_API_KEY });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: MESSAGES.bodyNotJson, status: 'error' });
  });
});

describe('auth', () => {
  it.each(UNAUTHORIZED_CREDENTIALS)('answers 401 for %s', async (_name, credential) => {
    const response = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID }, ...credential });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ message: expect.stringContaining('Unauthorized'), status: 'error' });
  });

  it('checks the credential before the body', async () => {
    const response = await callHistory(emulator.url, { rawBody: 'not json', apiKey: 'nope' });
    expect(response.status).toBe(401);
  });

  it('answers 403 for a project the credential may not read', async () => {
    const bearerOnBusy = await callHistory(emulator.url, { body: { projectId: BUSY_PROJECT_ID }, bearer: DEMO_BEARER_TOKEN });
    expect(bearerOnBusy.status).toBe(403);
    expect(bearerOnBusy.json).toEqual({ message: MESSAGES.forbidden, status: 'error' });
    const otherOnDemo = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID }, apiKey: OTHER_API_KEY });
    expect(otherOnDemo.status).toBe(403);
    const otherOnOther = await callHistory(emulator.url, { body: { projectId: OTHER_PROJECT_ID }, apiKey: OTHER_API_KEY });
    expect(otherOnOther.status).toBe(200);
  });

  it('validates the request before checking the project', async () => {
    const response = await callHistory(emulator.url, {
      body: { projectId: BUSY_PROJECT_ID },
      query: { status: 'nope' },
      bearer: DEMO_BEARER_TOKEN,
    });
    expect(response.status).toBe(400);
  });
});

describe('empty results', () => {
  it('answers 404 when the filters match nothing', async () => {
    const response = await demo({ projectId: DEMO_PROJECT_ID }, { to: '+10000000000' });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: MESSAGES.empty, status: 'error' });
  });

  it('answers 404 for a readable project with no calls', async () => {
    emulator.store.grant('api-key', 'empty-project-key', ['empty']);
    const response = await callHistory(emulator.url, { body: { projectId: 'empty' }, apiKey: 'empty-project-key' });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: MESSAGES.empty, status: 'error' });
  });
});

describe('routing', () => {
  it('answers 404 for other paths', async () => {
    const response = await callHistory(emulator.url, { path: '/call/history', body: { projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ status: 'error' });
  });

  it('answers 405 for other methods on the path', async () => {
    const response = await callHistory(emulator.url, { method: 'GET', apiKey: DEMO_API_KEY });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });

  it('does not expose the chaos endpoints without chaos mode', async () => {
    const response = await callHistory(emulator.url, { path: '/__emulator/chaos', body: { faults: ['500'] } });
    expect(response.status).toBe(404);
    const withHeader = await callHistory(emulator.url, {
      body: { projectId: DEMO_PROJECT_ID },
      apiKey: DEMO_API_KEY,
      headers: { 'x-emulator-fault': '500' },
    });
    expect(withHeader.status).toBe(200);
  });
});

describe('envelope and failures', () => {
  it('answers a bare array with envelope: array (errors keep their object shape)', async () => {
    const arrayEmulator = await startEmulator({ envelope: 'array', calls: 50 });
    try {
      const ok = await callHistory(arrayEmulator.url, { body: { projectId: DEMO_PROJECT_ID, pageSize: 3 }, apiKey: DEMO_API_KEY });
      expect(ok.status).toBe(200);
      expect(Array.isArray(ok.json)).toBe(true);
      expect((ok.json as VendorRecord[]).map((record) => record.callSid)).toHaveLength(3);
      const empty = await callHistory(arrayEmulator.url, {
        body: { projectId: DEMO_PROJECT_ID },
        query: { to: '+10000000000' },
        apiKey: DEMO_API_KEY,
      });
      expect(empty.json).toEqual({ message: MESSAGES.empty, status: 'error' });
    } finally {
      await arrayEmulator.close();
    }
  });

  it.each([
    [CALL_HISTORY_PATH, { projectId: 'p' }, MESSAGES.storeFailed],
    [CALL_PATH, { sid: sid('1'), projectId: 'p' }, MESSAGES.callStoreFailed],
  ])('%s answers 500 without internals when the store fails', async (path, body, message) => {
    const store = new CallStore();
    store.insertCalls('p', [makeCall({ sid: sid('1'), start: 1_700_000_000 })]);
    store.grant('api-key', 'k', ['p']);
    const broken = await startEmulator({ store, demo: false });
    try {
      expect((await callHistory(broken.url, { path, body, apiKey: 'k' })).status).toBe(200);
      store.close();
      const response = await callHistory(broken.url, { path, body, apiKey: 'k' });
      expect(response.status).toBe(500);
      expect(response.json).toEqual({ message, status: 'error' });
      expect(response.text).not.toMatch(/sqlite|database|stack|Error:/i);
    } finally {
      await broken.close();
    }
  });
});

describe('request log', () => {
  it('records each request with its query, parsed body, headers and status', async () => {
    emulator.clearRequests();
    await callHistory(emulator.url, {
      query: { status: 'completed', extra: 'kept' },
      body: { projectId: DEMO_PROJECT_ID, pageSize: 2 },
      apiKey: DEMO_API_KEY,
      headers: { 'X-Trace-Id': 'abc' },
    });
    await callHistory(emulator.url, { rawBody: 'nope', apiKey: DEMO_API_KEY });
    await callHistory(emulator.url, { body: { projectId: BUSY_PROJECT_ID }, apiKey: DEMO_API_KEY });
    const [first, second, third] = emulator.requests();
    expect(first).toEqual({
      method: 'POST',
      path: '/call/get-call-history',
      query: { status: 'completed', extra: 'kept' },
      body: { projectId: DEMO_PROJECT_ID, pageSize: 2 },
      headers: expect.objectContaining({ 'x-api-key': DEMO_API_KEY, 'x-trace-id': 'abc' }),
      status: 200,
    });
    expect(second).toMatchObject({ body: null, status: 400 });
    expect(third).toMatchObject({ body: { projectId: BUSY_PROJECT_ID }, status: 200 });
    expect(emulator.requests({ projectId: BUSY_PROJECT_ID })).toHaveLength(1);

    emulator.clearRequests({ projectId: BUSY_PROJECT_ID });
    expect(emulator.requests()).toHaveLength(2);
    emulator.clearRequests();
    expect(emulator.requests()).toEqual([]);
  });
});
