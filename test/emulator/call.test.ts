import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSY_PROJECT_ID,
  CALL_PATH,
  DEMO_API_KEY,
  DEMO_BEARER_TOKEN,
  DEMO_PROJECT_ID,
  FAULT_KINDS,
  MESSAGES,
  OTHER_API_KEY,
  OTHER_PROJECT_ID,
  startEmulator,
  type VendorRecord,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { UNAUTHORIZED_CREDENTIALS, callBySid, callHistory, sid } from './support.js';

// The contract of `POST /call {sid, projectId}` ("Get call data"): the same credentials, checks in the same
// order and error bodies as the history endpoint; 404 when the project has no call with that SID.
let emulator: RunningEmulator;
/** The newest calls of the demo project, straight from the store. */
let newest: VendorRecord[];

beforeAll(async () => {
  emulator = await startEmulator({ chaos: true, calls: 200 });
  newest = emulator.store.page(DEMO_PROJECT_ID, {}, 5);
});

afterEach(() => {
  emulator.chaos?.clear();
});

afterAll(async () => {
  await emulator.close();
});

const ask = (body: unknown, credential: { apiKey?: string; bearer?: string } = { apiKey: DEMO_API_KEY }, headers?: Record<string, string>) =>
  callBySid(emulator.url, { body, ...credential, ...(headers ? { headers } : {}) });

describe('success', () => {
  it('answers 200 with the record in the vendor envelope, exactly as the history endpoint lists it', async () => {
    const target = newest[2]!;
    const response = await ask({ sid: target.callSid, projectId: DEMO_PROJECT_ID });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json).toEqual({ message: MESSAGES.callSuccess, status: 'success', data: target });
  });

  it('accepts a bearer token and fields in any order', async () => {
    const target = newest[0]!;
    const response = await callBySid(emulator.url, {
      rawBody: `{"projectId":"${DEMO_PROJECT_ID}","sid":"${target.callSid}"}`,
      bearer: DEMO_BEARER_TOKEN,
    });
    expect(response.status).toBe(200);
    expect((response.json as { data: VendorRecord }).data.callSid).toBe(target.callSid);
  });

  it('answers the bare record with envelope: array (errors keep their object shape)', async () => {
    const bare = await startEmulator({ envelope: 'array', calls: 20 });
    try {
      const target = bare.store.page(DEMO_PROJECT_ID, {}, 1)[0]!;
      const ok = await callBySid(bare.url, { body: { sid: target.callSid, projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual(target);
      const missing = await callBySid(bare.url, { body: { sid: sid('f'), projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY });
      expect(missing.json).toEqual({ message: MESSAGES.callNotFound, status: 'error' });
    } finally {
      await bare.close();
    }
  });
});

describe('not found', () => {
  it('answers 404 for a well-formed SID the project does not have', async () => {
    const response = await ask({ sid: sid('abc'), projectId: DEMO_PROJECT_ID });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: MESSAGES.callNotFound, status: 'error' });
  });

  it('answers 404 for a call of another project the credential may read (a SID belongs to one project)', async () => {
    const response = await ask({ sid: newest[0]!.callSid, projectId: BUSY_PROJECT_ID });
    expect(response.status).toBe(404);
  });
});

describe('request validation', () => {
  it.each([
    ['no sid', { projectId: DEMO_PROJECT_ID }, 'sid'],
    ['an empty sid', { sid: '', projectId: DEMO_PROJECT_ID }, 'sid'],
    ['a numeric sid', { sid: 42, projectId: DEMO_PROJECT_ID }, 'sid'],
    ['a sid that is not CA + 32 hex', { sid: 'CA123', projectId: DEMO_PROJECT_ID }, 'sid'],
    ['a sid with upper-case hex', { sid: `CA${'A'.repeat(32)}`, projectId: DEMO_PROJECT_ID }, 'sid'],
    ['no projectId', { sid: sid('1') }, 'projectId'],
    ['an empty projectId', { sid: sid('1'), projectId: '' }, 'projectId'],
    ['an array body', [sid('1')], 'JSON object'],
  ])('answers 400 for %s', async (_name, body, mentions) => {
    const response = await ask(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: expect.stringContaining(mentions), status: 'error' });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await callBySid(emulator.url, { rawBody: '{sid: x}', apiKey: DEMO_API_KEY });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ message: MESSAGES.bodyNotJson, status: 'error' });
  });
});

describe('auth', () => {
  it.each(UNAUTHORIZED_CREDENTIALS)('answers 401 for %s, before looking at the body', async (_name, credential) => {
    const response = await callBySid(emulator.url, { rawBody: 'not json', ...credential });
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ message: expect.stringContaining('Unauthorized'), status: 'error' });
  });

  it('answers 403 for a project the credential may not read, even for a SID it has', async () => {
    const target = newest[0]!.callSid;
    const bearerOnBusy = await ask({ sid: target, projectId: BUSY_PROJECT_ID }, { bearer: DEMO_BEARER_TOKEN });
    expect(bearerOnBusy.status).toBe(403);
    expect(bearerOnBusy.json).toEqual({ message: MESSAGES.forbidden, status: 'error' });
    const otherOnDemo = await ask({ sid: target, projectId: DEMO_PROJECT_ID }, { apiKey: OTHER_API_KEY });
    expect(otherOnDemo.status).toBe(403);
    const otherSid = emulator.store.page(OTHER_PROJECT_ID, {}, 1)[0]!.callSid;
    expect((await ask({ sid: otherSid, projectId: OTHER_PROJECT_ID }, { apiKey: OTHER_API_KEY })).status).toBe(200);
  });

  it('validates the body before checking the project', async () => {
    const response = await ask({ sid: 'nope', projectId: BUSY_PROJECT_ID }, { bearer: DEMO_BEARER_TOKEN });
    expect(response.status).toBe(400);
  });
});

describe('routing and the request log', () => {
  it('answers 405 for other methods', async () => {
    const response = await callBySid(emulator.url, { method: 'GET', apiKey: DEMO_API_KEY });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
  });

  it('logs each request with its path, body and status, filterable by project', async () => {
    emulator.clearRequests();
    await ask({ sid: newest[0]!.callSid, projectId: DEMO_PROJECT_ID });
    await ask({ sid: sid('2'), projectId: BUSY_PROJECT_ID });
    expect(emulator.requests()).toMatchObject([
      { method: 'POST', path: CALL_PATH, body: { sid: newest[0]!.callSid, projectId: DEMO_PROJECT_ID }, status: 200 },
      { path: CALL_PATH, status: 404 },
    ]);
    expect(emulator.requests({ projectId: BUSY_PROJECT_ID })).toHaveLength(1);
  });
});

describe('chaos mode covers POST /call', () => {
  const target = () => ({ sid: newest[1]!.callSid, projectId: DEMO_PROJECT_ID });

  it.each([
    ['500', 500],
    ['502', 502],
    ['503', 503],
    ['429', 429],
  ] as const)('the %s fault by header answers that status', async (fault, status) => {
    const response = await ask(target(), undefined, { 'x-emulator-fault': fault });
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ status: 'error' });
    if (fault === '429') expect(response.headers['retry-after']).toBe('1');
  });

  it('renamed-fields renames the record\'s keys inside the envelope', async () => {
    const response = await ask(target(), undefined, { 'x-emulator-fault': 'renamed-fields' });
    expect(response.status).toBe(200);
    const { data } = response.json as { status: string; data: Record<string, unknown> };
    expect(data).toHaveProperty('call_sid', newest[1]!.callSid);
    expect(data).not.toHaveProperty('callSid');
  });

  it('truncated-json cuts a valid answer in half', async () => {
    const complete = await ask(target());
    const response = await ask(target(), undefined, { 'x-emulator-fault': 'truncated-json' });
    expect(response.json).toBeUndefined();
    expect(complete.text.startsWith(response.text)).toBe(true);
  });

  it('a scripted rule scoped to the project applies to /call and history alike, one fault per request', async () => {
    await callHistory(emulator.url, { path: '/__emulator/chaos', body: { projectId: DEMO_PROJECT_ID, faults: ['503', '429', 'not-json'] } });
    const first = await ask(target());
    const second = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY });
    const third = await ask(target());
    const fourth = await ask(target());
    expect([first.status, second.status, third.status, fourth.status]).toEqual([503, 429, 200, 200]);
    expect(third.json).toBeUndefined();
    expect(fourth.json).toMatchObject({ status: 'success' });
  });

  it('a random rate injects faults into /call too', async () => {
    await callHistory(emulator.url, { path: '/__emulator/chaos', body: { rate: 1, rateFaults: ['500'] } });
    expect((await ask(target())).status).toBe(500);
  });

  it('knows every fault kind on this route (none crashes the server)', async () => {
    for (const fault of FAULT_KINDS.filter((kind) => !['hang', 'reset', 'slow-body'].includes(kind))) {
      const response = await ask(target(), undefined, { 'x-emulator-fault': fault });
      expect(response.status).toBeGreaterThanOrEqual(200);
    }
    expect((await ask(target())).status).toBe(200);
  });
});
