import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/demo.js';
import type { VendorRecord } from '../../src/emulator/record.js';
import { type EmulatorStack, startEmulatorStack } from '../support/emulator-app.js';
import { EVENTS_QUERY, type Subscription, liveCall, subscribeSse, until } from '../support/live-events.js';

const QUEUE = 20;
/** Calls changed per round: every round's events fit a queue that is read (the reader's). */
const CALLS_PER_ROUND = 15;
/** About 16 KB of recording URLs per call, so that each event is large and socket buffers fill in a few rounds. */
const RECORDINGS = Array.from({ length: 100 }, (_, i) => `https://recordings.example.com/${'r'.repeat(120)}/${i}.mp3`);
const MAX_ROUNDS = 80;

/** A stalled client: connected, subscribed, then reading nothing (its socket paused) until `resume`. */
interface StalledClient {
  /** The port of its end of the connection: the server-side socket has it as remote port. */
  localPort: number;
  resume(): void;
  /** What it read so far (after `resume`, everything the server had sent or still sends). */
  text(): string;
  closed(): boolean;
  destroy(): void;
}

/** An SSE subscription over a raw socket: the request by hand, the response headers read, then paused. */
async function stalledSse(baseUrl: string, body: string): Promise<StalledClient> {
  const url = new URL(baseUrl);
  const socket: Socket = connect({ host: '127.0.0.1', port: Number(url.port) });
  let text = '';
  let closed = false;
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(
    [
      'POST /graphql HTTP/1.1',
      `Host: ${url.host}`,
      'Content-Type: application/json',
      'Accept: text/event-stream',
      `x-api-key: ${DEMO_API_KEY}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  // The head and Yoga's first ping: the stream is open.
  await until(() => /^HTTP\/1\.1 200[\s\S]*\r\n\r\n[\s\S]*:\n\n/.test(text), 'the SSE response to open', 10_000);
  socket.pause();
  return { localPort: socket.localPort!, resume: () => socket.resume(), text: () => text, closed: () => closed, destroy: () => socket.destroy() };
}

/** A graphql-ws subscription whose socket is paused once subscribed. */
async function stalledWs(baseUrl: string, body: string): Promise<StalledClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  let text = '';
  let closed = false;
  ws.on('message', (data) => (text += `${String(data)}\n`));
  ws.on('close', () => (closed = true));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': DEMO_API_KEY } }));
  await until(() => text.includes('"connection_ack"'), 'connection_ack', 10_000);
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: JSON.parse(body) as object }));
  ws.pause();
  const raw = (ws as unknown as { _socket: Socket })._socket;
  return { localPort: raw.localPort!, resume: () => ws.resume(), text: () => text, closed: () => closed, destroy: () => ws.terminate() };
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe('callEvents: a subscriber over the network that stops reading', () => {
  let stack: EmulatorStack;
  const serverSockets: Socket[] = [];
  beforeAll(async () => {
    stack = await startEmulatorStack(
      { calls: 20 },
      // The WebSocket heartbeat would close a silent socket on its own: here the queue must be what ends it.
      { EVENTS_SUBSCRIBER_QUEUE: String(QUEUE), EVENTS_HEARTBEAT_MS: '120000' },
      { eventsPollIntervalMs: 150 },
    );
    stack.api.server.server.on('connection', (socket: Socket) => serverSockets.push(socket));
  });
  afterAll(() => stack.close());

  const stats = () => stack.app().events.stats();
  const pollsAfter = async (n: number) => {
    const first = stats().polls;
    await until(() => stats().polls >= first + n, `${n} polls`, 10_000);
  };

  /**
   * Rounds of changes, each read by the reader before the next, until the stalled subscription is let go (and
   * two rounds more). Returns the events produced and the most the server held for its subscriptions meanwhile.
   */
  async function produceUntilReleased(reader: Subscription, stalled: StalledClient) {
    const store = stack.emulator.store;
    const calls: VendorRecord[] = Array.from({ length: CALLS_PER_ROUND }, () => liveCall({ status: 'in-progress', recordingUrls: RECORDINGS }));
    let produced = 0;
    let mostWaiting = 0;
    let mostBuffered = 0;
    let releasedAtRound: number | undefined;
    const serverSide = () => serverSockets.find((socket) => socket.remotePort === stalled.localPort);
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      // Round 1 starts the calls (STARTED); each later one changes their cost (UPDATED).
      store.insertCalls(DEMO_PROJECT_ID, round === 1 ? calls : calls.map((call) => ({ ...call, cost: round / 100 })));
      produced += CALLS_PER_ROUND;
      const expected = reader.payloads.length + CALLS_PER_ROUND;
      await until(() => reader.payloads.length >= expected || reader.ended, `round ${round} at the reader`, 15_000);
      expect(reader.ended).toBe(false);
      mostWaiting = Math.max(mostWaiting, stats().waiting);
      mostBuffered = Math.max(mostBuffered, serverSide()?.writableLength ?? 0);
      if (releasedAtRound === undefined && stats().subscriptions === 1) releasedAtRound = round;
      if (releasedAtRound !== undefined && round >= releasedAtRound + 2) break;
    }
    return { produced, mostWaiting, mostBuffered, releasedAtRound, serverSocketFound: serverSide() !== undefined };
  }

  async function slowConsumerCase(open: (baseUrl: string, body: string) => Promise<StalledClient>) {
    const body = JSON.stringify({ query: EVENTS_QUERY, variables: { projectId: DEMO_PROJECT_ID } });
    const reader = await subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': DEMO_API_KEY });
    const stalled = await open(stack.api.url, body);
    await until(() => stats().subscriptions === 2, 'both subscriptions', 10_000);
    await pollsAfter(2);

    const { produced, mostWaiting, mostBuffered, releasedAtRound, serverSocketFound } = await produceUntilReleased(reader, stalled);
    // The stalled subscription was ended while its client still read nothing; the reader was not.
    expect(releasedAtRound).toBeDefined();
    expect(stats().subscriptions).toBe(1);
    expect(reader.payloads.length).toBe(produced);
    expect(reader.payloads.every((p) => p.errors === undefined)).toBe(true);
    // Memory is bounded by structure: at most a queue per subscription waits in the hub, and the stalled
    // socket's user-space buffer stays small (the transport waits for it to drain instead of piling up events).
    expect(mostWaiting).toBeLessThanOrEqual(2 * QUEUE);
    expect(serverSocketFound).toBe(true);
    expect(mostBuffered).toBeLessThan(256 * 1024);

    // Reading again, the client gets what the socket buffers held, then SLOW_CONSUMER, then the end.
    stalled.resume();
    await until(() => stalled.text().includes('SLOW_CONSUMER') && (/"complete"|event: complete/.test(stalled.text()) || stalled.closed()), 'SLOW_CONSUMER and the end', 15_000);
    const text = stalled.text();
    const delivered = count(text, '"callEvents":');
    // Nothing produced after the subscription was let go reached it.
    expect(delivered).toBeLessThanOrEqual(releasedAtRound! * CALLS_PER_ROUND);
    expect(text.lastIndexOf('"callEvents":')).toBeLessThan(text.indexOf('SLOW_CONSUMER'));
    expect(count(text, 'SLOW_CONSUMER')).toBe(1);
    stalled.destroy();
    reader.close();
    await until(() => stats().subscriptions === 0, 'every subscription to end', 10_000);
    return { produced, delivered, releasedAtRound: releasedAtRound! };
  }

  it('over SSE on a raw socket: ended with SLOW_CONSUMER while stalled, the other subscriber goes on, nothing piles up', async () => {
    const result = await slowConsumerCase(stalledSse);
    expect(result.delivered).toBeGreaterThan(0);
  }, 120_000);

  it('over WebSocket with its socket paused: the same', async () => {
    const result = await slowConsumerCase(stalledWs);
    expect(result.delivered).toBeGreaterThan(0);
  }, 120_000);
});
