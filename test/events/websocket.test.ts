import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { EVENTS_QUERY, liveCall, putCall, subscribeSse, subscribeWs, wsClient } from '../support/live-events.js';

const POLL_MS = 150;

describe('callEvents over WebSocket (graphql-ws on /graphql)', () => {
  let stack: EmulatorStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  const start = async (env: Record<string, string> = {}) =>
    (stack = await startEmulatorStack({ calls: 100 }, env, { eventsPollIntervalMs: POLL_MS }));
  const pollsAfter = async (s: EmulatorStack, n: number) => {
    const first = s.app().events.stats().polls;
    while (s.app().events.stats().polls < first + n) await sleep(20);
  };

  it('the credential from connectionParams (or the upgrade headers); events as over SSE; errors keep their codes', async () => {
    const s = await start();
    const client = wsClient(s.api.url, { 'X-Api-Key': DEMO_API_KEY });
    const sub = subscribeWs(client, { projectId: DEMO_PROJECT_ID });
    const byHeader = wsClient(s.api.url, {}, { 'x-api-key': DEMO_API_KEY });
    const sub2 = subscribeWs(byHeader, { projectId: DEMO_PROJECT_ID });
    await pollsAfter(s, 2);
    const call = putCall(s.emulator.store, DEMO_PROJECT_ID, liveCall());
    await sub.waitFor(1);
    putCall(s.emulator.store, DEMO_PROJECT_ID, { ...call, status: 'ringing' });
    const payloads = await sub.waitFor(2);
    expect(payloads.map((p) => [p.data!.callEvents.kind, p.data!.callEvents.call.sid])).toEqual([
      ['STARTED', call.callSid],
      ['UPDATED', call.callSid],
    ]);
    expect((await sub2.waitFor(2)).length).toBe(2);

    const wrong = subscribeWs(wsClient(s.api.url, { 'x-api-key': 'no-such-key' }), { projectId: DEMO_PROJECT_ID });
    await wrong.waitForEnd();
    expect(wrong.payloads[0]!.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    // The same limits as over HTTP: graphql-armor's alias limit (MAX_ALIASES, 15).
    const aliases = Array.from({ length: 20 }, (_, i) => `c${i}: call { projectId }`).join(' ');
    const refused = subscribeWs(client, { projectId: DEMO_PROJECT_ID }, EVENTS_QUERY.replace('kind', `kind ${aliases}`));
    await refused.waitForEnd();
    expect(JSON.stringify(refused.error)).toMatch(/GRAPHQL_VALIDATION_FAILED.*Aliases limit|Aliases limit.*GRAPHQL_VALIDATION_FAILED/);
    await client.dispose();
    await byHeader.dispose();
  }, 30_000);

  it('an upgrade from a foreign origin is refused; the page own origin and listed ones are not', async () => {
    const s = await start({ CORS_ORIGINS: 'https://app.example.com' });
    const upgrade = (origin: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(`${s.api.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { origin } });
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('error', () => undefined);
      });
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(await upgrade('https://app.example.com')).toBe(101);
    expect(await upgrade(s.api.url)).toBe(101);
  }, 30_000);

  it('a subscriber that stops reading is ended with SLOW_CONSUMER once EVENTS_SUBSCRIBER_QUEUE events wait; the others go on', async () => {
    const s = await start({ EVENTS_SUBSCRIBER_QUEUE: '5' });
    const reader = await subscribeSse(s.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': DEMO_API_KEY });
    // A subscriber of the same feed that never reads (what a stalled transport leaves behind).
    const stalled = s.app().events.subscribe({ apiKey: DEMO_API_KEY }, DEMO_PROJECT_ID, () => true)[Symbol.asyncIterator]();
    await pollsAfter(s, 2);
    // Five events fill the stalled queue; the reader takes them as they come.
    s.emulator.store.insertCalls(DEMO_PROJECT_ID, Array.from({ length: 5 }, () => liveCall()));
    await reader.waitFor(5);
    putCall(s.emulator.store, DEMO_PROJECT_ID, liveCall());
    await reader.waitFor(6);
    const first = await stalled.next();
    expect(first.value).toMatchObject({ code: 'SLOW_CONSUMER', extensions: { limit: 5 } });
    expect(await stalled.next()).toEqual({ value: undefined, done: true });
    expect(s.app().events.stats().subscriptions).toBe(1);
    putCall(s.emulator.store, DEMO_PROJECT_ID, liveCall());
    expect(await reader.waitFor(7)).toHaveLength(7);
    reader.close();
  }, 30_000);

  it('the drain completes every stream: SSE with its complete event, WebSocket with close 1001', async () => {
    const s = await start();
    const sse = await subscribeSse(s.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': DEMO_API_KEY });
    const client = wsClient(s.api.url, { 'x-api-key': DEMO_API_KEY });
    const ws = subscribeWs(client, { projectId: DEMO_PROJECT_ID });
    await pollsAfter(s, 2);
    expect(s.app().events.stats().subscriptions).toBe(2);
    const inTime = await s.api.server.shutdown(5_000);
    expect(inTime).toBe(true);
    await sse.waitForEnd();
    expect(sse.raw()).toContain('event: complete');
    await ws.waitForEnd();
    expect(ws.error).toBeUndefined();
    expect(client.closes.map((c) => c.code)).toContain(1001);
    stack = undefined;
    await s.emulator.close();
  }, 30_000);
});
