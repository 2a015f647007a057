import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ADD_WEBHOOK_PATH,
  ADMIN_CALLS_PATH,
  CallChangeError,
  DEMO_API_KEY,
  DEMO_PROJECT_ID,
  MESSAGES,
  OTHER_API_KEY,
  OTHER_PROJECT_ID,
  WEBHOOK_SECRET_HEADER,
  mulberry32,
  parseRfc2822,
  startEmulator,
  type CallStatusPayload,
  type RunningEmulator,
  type VendorRecord,
} from '../../src/emulator/index.js';
import { callBySid, callHistory, records, sid } from './support.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  payload: CallStatusPayload;
}

/** A webhook receiver on 127.0.0.1 that records what it gets; `hang` makes it never answer. */
async function startReceiver(options: { hang?: boolean } = {}) {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, payload: JSON.parse(body) as CallStatusPayload });
      for (const wake of waiters.splice(0)) wake();
      if (!options.hang) res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/call-status`;
  return {
    url,
    received,
    /** Resolves once `count` payloads have arrived. */
    async waitFor(count: number): Promise<Received[]> {
      const deadline = Date.now() + 10_000;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${received.length} of ${count} webhooks arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const admin = (emulator: RunningEmulator, method: 'POST' | 'PATCH' | 'GET', path: string, body?: unknown) =>
  callHistory(emulator.url, { path: `${ADMIN_CALLS_PATH}${path}`, method: method as 'POST', body });

const addWebhook = (emulator: RunningEmulator, body: unknown, apiKey: string | null = DEMO_API_KEY) =>
  callHistory(emulator.url, { path: ADD_WEBHOOK_PATH, body, ...(apiKey === null ? {} : { apiKey }) });

const history = async (emulator: RunningEmulator, query: Record<string, string> = {}) =>
  records(await callHistory(emulator.url, { query, body: { projectId: DEMO_PROJECT_ID, pageSize: 5 }, apiKey: DEMO_API_KEY }));

const oneCall = async (emulator: RunningEmulator, callSid: string) =>
  (await callBySid(emulator.url, { body: { sid: callSid, projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY })).json as {
    data: VendorRecord;
  };

describe('live mode over HTTP, with a fake clock', () => {
  let now = Date.parse('2026-12-01T12:00:00Z');
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      calls: 40,
      live: { callsPerMinute: 30, projects: [DEMO_PROJECT_ID], clock: () => now, random: mulberry32(3) },
    });
  });
  afterAll(() => emulator.close());

  it('shows a new call at the top of the history, and each change at once on both endpoints', async () => {
    const before = await history(emulator);
    let arrived: VendorRecord[] = [];
    while (arrived.length === 0) {
      now += 1_000;
      arrived = emulator.live!.runDue().filter((change) => change.previousStatus === null).map((change) => change.record);
    }
    const created = (await history(emulator))[0]!;
    expect(arrived).toContainEqual(created);
    expect(before.map((record) => record.callSid)).not.toContain(created.callSid);
    expect((await oneCall(emulator, created.callSid)).data).toEqual(created);
    expect((await history(emulator, { status: 'queued' }))[0]?.callSid).toBe(created.callSid);

    // Run the clock on until the call has a final status and a price.
    let latest = created;
    for (let step = 0; step < 600 && (latest.cost === null || latest.cost === undefined); step++) {
      now += 1_000;
      for (const change of emulator.live!.runDue()) {
        if (change.record.callSid === created.callSid) latest = change.record;
      }
      const shown = (await oneCall(emulator, created.callSid)).data;
      expect(shown).toEqual(latest);
    }
    expect(['completed', 'no-answer', 'busy', 'failed', 'canceled']).toContain(latest.status);
    expect(latest.seconds).not.toBeNull();
    const page = await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID, pageSize: 100 }, apiKey: DEMO_API_KEY });
    expect(records(page).find((record) => record.callSid === created.callSid)).toEqual(latest);
  });

  it('lets go of a live call that is changed by hand', async () => {
    while (emulator.live!.liveCalls().length === 0) {
      now += 1_000;
      emulator.live!.runDue();
    }
    const live = emulator.live!.liveCalls()[0]!.record;
    const patched = await admin(emulator, 'PATCH', `/${live.callSid}`, { status: 'in-progress', data: { note: 'by hand' } });
    expect(patched.status).toBe(200);
    now += 60 * 60_000;
    expect(emulator.live!.runDue().some((change) => change.record.callSid === live.callSid)).toBe(false);
    expect((await oneCall(emulator, live.callSid)).data).toMatchObject({ status: 'in-progress', data: { note: 'by hand' } });
  });
});

describe('live mode started mid-stream (startAt before now)', () => {
  it('writes the calls that would have arrived since then at once, backdated, each in the state it reached', async () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const emulator = await startEmulator({
      calls: 40,
      live: { callsPerMinute: 30, projects: [DEMO_PROJECT_ID], clock: () => now, random: mulberry32(5), startAt: now - 3 * 60_000 },
    });
    try {
      // The first timer runs what is due at once; with the fake clock, nothing after it.
      emulator.live!.runDue();
      const page = records(await callHistory(emulator.url, { body: { projectId: DEMO_PROJECT_ID, pageSize: 1000 }, apiKey: DEMO_API_KEY }));
      const started = page.map((record) => parseRfc2822(record.date)! * 1000);
      const backdated = page.filter((_, i) => started[i]! >= now - 3 * 60_000);
      expect(backdated.length).toBeGreaterThan(60);
      expect(backdated.length).toBeLessThan(130);
      expect(Math.max(...started)).toBeLessThanOrEqual(now);
      const statuses = new Set(backdated.map((record) => record.status));
      expect(statuses.has('completed')).toBe(true);
      expect(statuses.has('in-progress')).toBe(true);
      // The calls still under way are the ones live mode moves on.
      const underWay = new Set(emulator.live!.liveCalls().map(({ record }) => record.callSid));
      for (const record of backdated) {
        if (['queued', 'ringing', 'in-progress'].includes(String(record.status))) expect(underWay.has(record.callSid)).toBe(true);
      }
    } finally {
      await emulator.close();
    }
  });
});

describe('live mode in real time', () => {
  it('startEmulator({ live }) makes calls that reach a final status without anyone driving it', async () => {
    const emulator = await startEmulator({
      calls: 20,
      live: {
        callsPerMinute: 600,
        projects: [DEMO_PROJECT_ID],
        timings: { queued: [0, 0.1], ringing: [0, 0.1], unanswered: [0, 0.1], talking: [0.1, 0.3], pricing: [0, 0.1] },
      },
    });
    try {
      expect(emulator.live?.callsPerMinute).toBe(600);
      const deadline = Date.now() + 15_000;
      let finished: VendorRecord[] = [];
      while (finished.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Demo data ends on 2026-11-01: whatever starts later is live.
        const completed = await callHistory(emulator.url, {
          query: { status: 'completed', startTimeAfter: '2026-11-02' },
          body: { projectId: DEMO_PROJECT_ID },
          apiKey: DEMO_API_KEY,
        });
        if (completed.status === 200) finished = records(completed).filter((record) => record.cost !== null);
      }
      expect(finished.length).toBeGreaterThan(0);
      expect(finished[0]!.seconds).toBeGreaterThan(0);
    } finally {
      await emulator.close();
    }
  });

  it('is off with callsPerMinute 0, and a bad rate stops the start', async () => {
    const off = await startEmulator({ calls: 5, live: { callsPerMinute: 0 } });
    expect(off.live).toBeUndefined();
    await off.close();
    await expect(startEmulator({ calls: 5, live: { callsPerMinute: 10_000 } })).rejects.toThrow(RangeError);
  });
});

describe('admin routes and in-process controls', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ calls: 30 });
  });
  afterAll(() => emulator.close());

  it('POST /__emulator/calls creates a call (queued, started now by default) that both endpoints show', async () => {
    const response = await admin(emulator, 'POST', '', { projectId: DEMO_PROJECT_ID, to: '+12065550199', extra: 'kept' });
    expect(response.status).toBe(201);
    const created = (response.json as { data: VendorRecord }).data;
    expect(created).toMatchObject({ status: 'queued', to: '+12065550199', seconds: null, cost: null, extra: 'kept' });
    expect(created.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(Math.abs(Date.parse(created.date) - Date.now())).toBeLessThan(5_000);
    expect((await history(emulator))[0]).toEqual(created);
    expect((await oneCall(emulator, created.callSid)).data).toEqual(created);
  });

  it('PATCH /__emulator/calls/<sid> changes fields, and the change shows in filtered history at once', async () => {
    const callSid = sid('cafe01');
    await admin(emulator, 'POST', '', { projectId: DEMO_PROJECT_ID, callSid, status: 'ringing', date: 'Tue, 01 Dec 2026 10:00:00 +0000' });
    const response = await admin(emulator, 'PATCH', `/${callSid}`, { status: 'completed', seconds: 90, cost: 0.026 });
    expect(response.status).toBe(200);
    expect((response.json as { data: VendorRecord }).data).toMatchObject({ callSid, status: 'completed', seconds: 90, cost: 0.026 });
    const ended = await callHistory(emulator.url, {
      query: { status: 'completed', endTime: '2026-12-01' },
      body: { projectId: DEMO_PROJECT_ID },
      apiKey: DEMO_API_KEY,
    });
    expect(records(ended).map((record) => record.callSid)).toContain(callSid);
    const ringing = await callHistory(emulator.url, { query: { status: 'ringing', startTime: '2026-12-01' }, body: { projectId: DEMO_PROJECT_ID }, apiKey: DEMO_API_KEY });
    expect(ringing.status).toBe(404);
  });

  it.each([
    ['POST', '', { projectId: '' }, 400, MESSAGES.projectIdRequired],
    ['POST', '', { projectId: DEMO_PROJECT_ID, callSid: 'nope' }, 400, 'callSid'],
    ['POST', '', { projectId: DEMO_PROJECT_ID, date: '2026-12-01T10:00:00Z' }, 400, 'RFC 2822'],
    ['POST', '', { projectId: DEMO_PROJECT_ID, seconds: -1 }, 400, 'seconds'],
    ['PATCH', `/${sid('dead')}`, { status: 'completed' }, 404, 'No call'],
    ['PATCH', `/${sid('cafe01')}`, { callSid: sid('beef') }, 400, 'callSid'],
    ['PATCH', `/${sid('cafe01')}`, { status: 42 }, 400, 'status'],
    ['GET', '', undefined, 405, 'use POST'],
    ['POST', `/${sid('cafe01')}`, {}, 405, 'use PATCH'],
  ] as const)('%s %s %j answers %s', async (method, path, body, status, message) => {
    const response = await admin(emulator, method, path, body);
    expect(response.status).toBe(status);
    expect((response.json as { message: string }).message).toContain(message);
  });

  it('asks for projectId when the SID is in several projects', async () => {
    const callSid = sid('ab12');
    emulator.calls.start(DEMO_PROJECT_ID, { callSid });
    emulator.calls.start(OTHER_PROJECT_ID, { callSid });
    const ambiguous = await admin(emulator, 'PATCH', `/${callSid}`, { status: 'busy' });
    expect(ambiguous.status).toBe(409);
    const named = await admin(emulator, 'PATCH', `/${callSid}`, { projectId: OTHER_PROJECT_ID, status: 'busy' });
    expect(named.status).toBe(200);
    expect(emulator.store.call(OTHER_PROJECT_ID, callSid)?.status).toBe('busy');
    expect(emulator.store.call(DEMO_PROJECT_ID, callSid)?.status).toBe('queued');
  });

  it('emulator.calls.start / update work in-process and throw CallChangeError', () => {
    const created = emulator.calls.start(DEMO_PROJECT_ID, { status: 'ringing' });
    expect(emulator.calls.update(created.callSid, { status: 'in-progress' })).toMatchObject({ callSid: created.callSid, status: 'in-progress' });
    expect(() => emulator.calls.update(sid('0'), { status: 'busy' })).toThrow(CallChangeError);
    expect(() => emulator.calls.start('', {})).toThrow(CallChangeError);
  });
});

describe('call-status webhooks', () => {
  const secret = 'a-shared-webhook-secret';
  let emulator: RunningEmulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    emulator = await startEmulator({ calls: 20, webhookSecret: secret });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await emulator.webhooks.idle();
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('the vendor\'s add-webhookurl registers a URL per project', async () => {
    const response = await addWebhook(emulator, { projectId: DEMO_PROJECT_ID, webhookURL: receiver.url });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ message: 'added webhook url.', status: 'success' });
    expect(emulator.store.webhook(DEMO_PROJECT_ID)).toBe(receiver.url);
  });

  it.each([
    ['no credential', { projectId: DEMO_PROJECT_ID, webhookURL: 'http://127.0.0.1:1/x' }, null, 401],
    ['a project the key may not read', { projectId: DEMO_PROJECT_ID, webhookURL: 'http://127.0.0.1:1/x' }, OTHER_API_KEY, 403],
    ['no URL', { projectId: DEMO_PROJECT_ID }, DEMO_API_KEY, 400],
    ['no project', { webhookURL: 'http://127.0.0.1:1/x' }, DEMO_API_KEY, 400],
    ['an ftp URL', { projectId: DEMO_PROJECT_ID, webhookURL: 'ftp://127.0.0.1/x' }, DEMO_API_KEY, 400],
    ['a relative URL', { projectId: DEMO_PROJECT_ID, webhookURL: '/webhooks' }, DEMO_API_KEY, 400],
    ['a URL with a password', { projectId: DEMO_PROJECT_ID, webhookURL: 'http://u:p@127.0.0.1/x' }, DEMO_API_KEY, 400],
    ['another machine', { projectId: DEMO_PROJECT_ID, webhookURL: 'https://hooks.example.com/x' }, DEMO_API_KEY, 400],
  ] as const)('add-webhookurl refuses %s', async (_name, body, apiKey, status) => {
    const before = emulator.store.webhook(DEMO_PROJECT_ID);
    const response = await addWebhook(emulator, body, apiKey);
    expect(response.status).toBe(status);
    expect(emulator.store.webhook(DEMO_PROJECT_ID)).toBe(before);
  });

  it('posts each status change of the project\'s calls with the secret header, not a change of cost alone', async () => {
    await addWebhook(emulator, { projectId: DEMO_PROJECT_ID, webhookURL: receiver.url });
    const created = emulator.calls.start(DEMO_PROJECT_ID);
    const [first] = await receiver.waitFor(1);
    emulator.calls.update(created.callSid, { status: 'ringing' });
    await receiver.waitFor(2);
    emulator.calls.update(created.callSid, { cost: 0.5 });
    emulator.calls.start(OTHER_PROJECT_ID); // a project without a webhook
    await emulator.webhooks.idle();
    expect(receiver.received).toHaveLength(2);

    expect(first!.headers[WEBHOOK_SECRET_HEADER]).toBe(secret);
    expect(first!.headers['content-type']).toBe('application/json');
    expect(first!.payload).toMatchObject({ event: 'call.status', projectId: DEMO_PROJECT_ID, sid: created.callSid, status: 'queued', previousStatus: null });
    expect(Math.abs(Date.parse(first!.payload.timestamp) - Date.now())).toBeLessThan(5_000);
    const payloads = receiver.received.map((entry) => entry.payload);
    // Deliveries are concurrent, so compare as a set.
    expect(payloads.map((payload) => `${payload.previousStatus}->${payload.status}`).sort()).toEqual(['null->queued', 'queued->ringing']);
    expect(emulator.webhooks.stats()).toMatchObject({ delivered: 2, failed: 0, dropped: 0, inFlight: 0 });
  });

  it('admin route changes post webhooks too', async () => {
    await addWebhook(emulator, { projectId: DEMO_PROJECT_ID, webhookURL: receiver.url });
    const response = await admin(emulator, 'POST', '', { projectId: DEMO_PROJECT_ID, status: 'ringing' });
    const [received] = await receiver.waitFor(1);
    expect(received!.payload).toMatchObject({ sid: (response.json as { data: VendorRecord }).data.callSid, status: 'ringing' });
  });
});

describe('webhook deliveries are bounded', () => {
  it('a receiver that never answers is cut at the timeout; past maxInFlight deliveries are dropped; nothing blocks', async () => {
    const receiver = await startReceiver({ hang: true });
    const emulator = await startEmulator({ calls: 10, webhookTimeoutMs: 300, webhookMaxInFlight: 2 });
    try {
      await addWebhook(emulator, { projectId: DEMO_PROJECT_ID, webhookURL: receiver.url });
      const started = performance.now();
      for (let index = 0; index < 5; index++) emulator.calls.start(DEMO_PROJECT_ID);
      expect(performance.now() - started).toBeLessThan(250); // the changes did not wait for the receiver
      expect(emulator.webhooks.stats()).toMatchObject({ inFlight: 2, dropped: 3 });
      await emulator.webhooks.idle();
      expect(emulator.webhooks.stats()).toMatchObject({ delivered: 0, failed: 2, dropped: 3, inFlight: 0 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      // Without a secret option no secret header is sent.
      await receiver.waitFor(2);
      expect(receiver.received[0]!.headers[WEBHOOK_SECRET_HEADER]).toBeUndefined();
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });

  it('webhookAnyHost accepts other hosts at registration', async () => {
    const emulator = await startEmulator({ calls: 5, webhookAnyHost: true });
    try {
      const response = await addWebhook(emulator, { projectId: DEMO_PROJECT_ID, webhookURL: 'https://hooks.example.com/x' });
      expect(response.status).toBe(200);
    } finally {
      await emulator.close();
    }
  });
});

describe('the request log', () => {
  it('the admin routes stay out of the request log', async () => {
    const emulator = await startEmulator({ calls: 5, chaos: true });
    try {
      await request(`${emulator.url}${ADMIN_CALLS_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ projectId: DEMO_PROJECT_ID }),
      }).then((response) => response.body.dump());
      expect(emulator.requests()).toEqual([]);
    } finally {
      await emulator.close();
    }
  });
});
