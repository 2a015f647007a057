import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSY_PROJECT_ID,
  ChaosController,
  DEMO_API_KEY,
  DEMO_PROJECT_ID,
  FAULT_KINDS,
  MESSAGES,
  startEmulator,
  type VendorRecord,
  type FaultKind,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { callHistory, records } from './support.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ chaos: true, calls: 200 });
});

afterEach(() => {
  emulator.chaos?.clear();
});

afterAll(async () => {
  await emulator.close();
});

const askFor = (projectId: string, options: { fault?: FaultKind; headersTimeout?: number } = {}) =>
  callHistory(emulator.url, {
    body: { projectId, pageSize: 3 },
    apiKey: DEMO_API_KEY,
    ...(options.fault ? { headers: { 'x-emulator-fault': options.fault } } : {}),
    ...(options.headersTimeout ? { headersTimeout: options.headersTimeout } : {}),
  });

const setChaos = (rule: unknown) => callHistory(emulator.url, { path: '/__emulator/chaos', body: rule });

describe('faults by header', () => {
  it.each([
    ['500', 500],
    ['502', 502],
    ['503', 503],
  ] as const)('%s answers that status with an error body', async (fault, status) => {
    const response = await askFor(DEMO_PROJECT_ID, { fault });
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ status: 'error' });
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('429 carries Retry-After: 1', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: '429' });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('1');
  });

  it('429-no-retry-after has no Retry-After', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: '429-no-retry-after' });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('503-retry-after carries Retry-After: 1', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: '503-retry-after' });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
  });

  it('not-json answers 200 with a text body', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: 'not-json' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.json).toBeUndefined();
  });

  it('html answers 200 with an HTML error page', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: 'html' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toMatch(/^<!DOCTYPE html>/);
  });

  it('renamed-fields answers 200 with records under other key names', async () => {
    const response = await askFor(DEMO_PROJECT_ID, { fault: 'renamed-fields' });
    expect(response.status).toBe(200);
    const [first] = (response.json as { data: Record<string, unknown>[] }).data;
    expect(first).toHaveProperty('call_sid');
    expect(first).toHaveProperty('state');
    expect(first).toHaveProperty('started');
    expect(first).not.toHaveProperty('callSid');
    expect(first).not.toHaveProperty('status');
    expect(first).not.toHaveProperty('date');
  });

  it('truncated-json answers 200 with the first part of a valid answer', async () => {
    const complete = await askFor(DEMO_PROJECT_ID);
    const response = await askFor(DEMO_PROJECT_ID, { fault: 'truncated-json' });
    expect(response.status).toBe(200);
    expect(response.json).toBeUndefined();
    expect(response.text.length).toBeGreaterThan(0);
    expect(complete.text.startsWith(response.text)).toBe(true);
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.text));
  });

  it('reset destroys the socket without an answer', async () => {
    await expect(askFor(DEMO_PROJECT_ID, { fault: 'reset' })).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
  });

  it('hang never answers, so the client times out', async () => {
    const started = Date.now();
    await expect(askFor(DEMO_PROJECT_ID, { fault: 'hang', headersTimeout: 300 })).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('slow-body sends the headers and the start of the body, then dribbles the rest', async () => {
    const controller = new AbortController();
    const response = await request(`${emulator.url}/call/get-call-history`, {
      method: 'POST',
      headers: { 'x-api-key': DEMO_API_KEY, 'content-type': 'application/json', 'x-emulator-fault': 'slow-body' },
      body: JSON.stringify({ projectId: DEMO_PROJECT_ID, pageSize: 50 }),
      signal: controller.signal,
    });
    expect(response.statusCode).toBe(200);
    const total = Number(response.headers['content-length']);
    let received = '';
    const deadline = Date.now() + 700;
    for await (const chunk of response.body) {
      received += String(chunk);
      if (Date.now() > deadline) break;
    }
    expect(received.startsWith('{"message":')).toBe(true);
    expect(received.length).toBeLessThan(total);
    controller.abort();
  });

  it('rejects an unknown fault name with 400', async () => {
    const response = await callHistory(emulator.url, {
      body: { projectId: DEMO_PROJECT_ID },
      apiKey: DEMO_API_KEY,
      headers: { 'x-emulator-fault': 'explode' },
    });
    expect(response.status).toBe(400);
  });

  it('logs faulted requests with the fault and the status sent (0 for none)', async () => {
    emulator.clearRequests();
    await askFor(BUSY_PROJECT_ID, { fault: '502' });
    await askFor(BUSY_PROJECT_ID, { fault: 'reset' }).catch(() => undefined);
    expect(emulator.requests({ projectId: BUSY_PROJECT_ID })).toMatchObject([
      { fault: '502', status: 502, headers: { 'x-emulator-fault': '502' } },
      { fault: 'reset', status: 0 },
    ]);
  });
});

describe('chaos rules', () => {
  it('consumes a script one fault per request, then answers normally', async () => {
    expect((await setChaos({ faults: ['503', { kind: '429', retryAfter: 7 }, 500] })).status).toBe(200);
    const first = await askFor(DEMO_PROJECT_ID);
    const second = await askFor(DEMO_PROJECT_ID);
    const third = await askFor(DEMO_PROJECT_ID);
    const fourth = await askFor(DEMO_PROJECT_ID);
    expect([first.status, second.status, third.status, fourth.status]).toEqual([503, 429, 500, 200]);
    expect(second.headers['retry-after']).toBe('7');
  });

  it('scopes a rule to one project, so other projects are unaffected', async () => {
    await setChaos({ projectId: BUSY_PROJECT_ID, faults: ['502', '502'] });
    const concurrentDemo = await Promise.all(Array.from({ length: 8 }, () => askFor(DEMO_PROJECT_ID)));
    expect(concurrentDemo.map((response) => response.status)).toEqual(Array(8).fill(200));
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(502);
    expect((await askFor(DEMO_PROJECT_ID)).status).toBe(200);
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(502);
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(200);
  });

  it('prefers the project rule over the global rule, and falls back to it once the script is used', async () => {
    await setChaos({ faults: ['500', '500'] });
    await setChaos({ projectId: BUSY_PROJECT_ID, faults: ['503'] });
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(503);
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(500);
    expect((await askFor(DEMO_PROJECT_ID)).status).toBe(500);
    expect((await askFor(DEMO_PROJECT_ID)).status).toBe(200);
  });

  it('injects faults at a seeded rate, the same sequence for the same seed', async () => {
    const run = async () => {
      await setChaos({ projectId: DEMO_PROJECT_ID, rate: 0.5, rateFaults: ['502', '503'], seed: 7 });
      const statuses: number[] = [];
      for (let index = 0; index < 16; index++) statuses.push((await askFor(DEMO_PROJECT_ID)).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((status) => status === 502 || status === 503)).toBe(true);
    expect(first.every((status) => [200, 502, 503].includes(status))).toBe(true);
  });

  it('rate 1 faults every request until cleared with DELETE', async () => {
    await setChaos({ rate: 1, rateFaults: ['429-no-retry-after'] });
    expect((await askFor(DEMO_PROJECT_ID)).status).toBe(429);
    expect((await askFor(BUSY_PROJECT_ID)).status).toBe(429);
    const cleared = await callHistory(emulator.url, { path: '/__emulator/chaos', method: 'DELETE' });
    expect(cleared.json).toEqual({ status: 'success', rules: [] });
    expect((await askFor(DEMO_PROJECT_ID)).status).toBe(200);
  });

  it('lists the rules and their remaining script', async () => {
    await setChaos({ projectId: DEMO_PROJECT_ID, faults: ['hang', 'html'], retryAfter: 2 });
    const response = await callHistory(emulator.url, { path: '/__emulator/chaos', method: 'GET' });
    expect(response.json).toEqual({
      status: 'success',
      rules: [
        {
          projectId: DEMO_PROJECT_ID,
          remaining: [
            { kind: 'hang', retryAfter: 2 },
            { kind: 'html', retryAfter: 2 },
          ],
          rate: 0,
          rateFaults: expect.any(Array),
          seed: 1,
        },
      ],
    });
  });

  it.each([
    [{ faults: ['explode'] }],
    [{ rate: 2 }],
    [{ rateFaults: [] }],
    [{ faults: '500' }],
    [{ unknown: true }],
  ])('rejects an invalid rule %j with 400', async (rule) => {
    const response = await setChaos(rule);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ status: 'error' });
  });

  it('exposes the request log over HTTP', async () => {
    emulator.clearRequests();
    await askFor(DEMO_PROJECT_ID);
    const response = await callHistory(emulator.url, {
      path: '/__emulator/requests',
      method: 'GET',
      query: { projectId: DEMO_PROJECT_ID },
    });
    expect(response.json).toMatchObject({ requests: [{ path: '/call/get-call-history', status: 200 }] });
    await callHistory(emulator.url, { path: '/__emulator/requests', method: 'DELETE' });
    expect(emulator.requests()).toEqual([]);
  });

  it('applies faults before auth, so a fault needs no valid credential', async () => {
    await setChaos({ faults: ['503'] });
    const response = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID } });
    expect(response.status).toBe(503);
  });

  it('changes nothing else about normal answers', async () => {
    const response = await askFor(DEMO_PROJECT_ID);
    expect(response.json).toMatchObject({ message: MESSAGES.success, status: 'success' });
    expect(records(response)).toHaveLength(3);
  });
});

describe('ChaosController', () => {
  it('knows every fault kind', () => {
    const controller = new ChaosController();
    controller.set({ faults: [...FAULT_KINDS] });
    const seen = FAULT_KINDS.map(() => controller.next('any')?.kind);
    expect(seen).toEqual([...FAULT_KINDS]);
    expect(controller.next('any')).toBeUndefined();
    expect(controller.rules()).toEqual([]);
  });
});

describe('closing', () => {
  it('ends hanging and slow connections promptly', async () => {
    const closing = await startEmulator({ chaos: true, calls: 50 });
    const agent = new Agent();
    const hanging = request(`${closing.url}/call/get-call-history`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'x-api-key': DEMO_API_KEY, 'x-emulator-fault': 'hang' },
      body: JSON.stringify({ projectId: DEMO_PROJECT_ID }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    const slow = await request(`${closing.url}/call/get-call-history`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'x-api-key': DEMO_API_KEY, 'x-emulator-fault': 'slow-body' },
      body: JSON.stringify({ projectId: DEMO_PROJECT_ID }),
    });
    const slowBody = slow.body.text().then(
      () => 'complete',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await closing.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBe('failed');
    expect(await slowBody).toBe('failed');
    await agent.close();
  });

  it('delivers a slow body completely when given the time', async () => {
    const quick = await startEmulator({ chaos: true, calls: 50, slowBodyMs: 500 });
    try {
      const started = Date.now();
      const response = await callHistory(quick.url, {
        body: { projectId: DEMO_PROJECT_ID, pageSize: 5 },
        apiKey: DEMO_API_KEY,
        headers: { 'x-emulator-fault': 'slow-body' },
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect((response.json as { data: VendorRecord[] }).data).toHaveLength(5);
    } finally {
      await quick.close();
    }
  });
});
