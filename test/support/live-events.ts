import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { WebSocket } from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { CallStore } from '../../src/emulator/store.js';
import { formatRfc2822, type VendorRecord } from '../../src/emulator/record.js';

export const EVENTS_QUERY = `
  subscription Events($projectId: ID!, $filter: CallFilter) {
    callEvents(projectId: $projectId, filter: $filter) {
      kind
      previousStatus
      observedAt
      call { sid status durationSeconds cost recordingUrls from to startedAt }
    }
  }
`;

export interface EventPayload {
  data?: { callEvents: { kind: string; previousStatus: string | null; call: { sid: string; status: string } } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A call that starts now (or at `startedAtMs`), with a fresh SID, as the vendor would list it. */
export function liveCall(overrides: Partial<VendorRecord> & { startedAtMs?: number } = {}): VendorRecord {
  const { startedAtMs, ...rest } = overrides;
  return {
    callSid: `CA${randomBytes(16).toString('hex')}`,
    status: 'queued',
    from: '+14155550100',
    to: '+12065550100',
    phoneNumber: '+12065550100',
    date: formatRfc2822(Math.floor((startedAtMs ?? Date.now()) / 1000)),
    seconds: null,
    cost: null,
    recordingUrls: [],
    data: {},
    ...rest,
  };
}

/** Writes a call into the emulator's store (a new one, or a new state of one: the store replaces by SID). */
export function putCall(store: CallStore, projectId: string, record: VendorRecord): VendorRecord {
  store.insertCalls(projectId, [record]);
  return record;
}

/** A subscription read by a test: its payloads in order, and whether the stream ended. */
export interface Subscription {
  payloads: EventPayload[];
  ended: boolean;
  /** Waits until `count` payloads arrived (or the stream ended), then returns them all. */
  waitFor(count: number, timeoutMs?: number): Promise<EventPayload[]>;
  waitForEnd(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Waits (polling) until `condition` holds; fails with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function collector(close: () => void): Subscription {
  const sub: Subscription = {
    payloads: [],
    ended: false,
    async waitFor(count, timeoutMs = 15_000) {
      await until(() => sub.payloads.length >= count || sub.ended, `${count} events (have ${sub.payloads.length})`, timeoutMs);
      return sub.payloads;
    },
    async waitForEnd(timeoutMs = 15_000) {
      await until(() => sub.ended, 'the stream to end', timeoutMs);
    },
    close,
  };
  return sub;
}

/** A subscription over SSE (Yoga's, as GraphiQL uses it): POST with `accept: text/event-stream`. */
export async function subscribeSse(
  baseUrl: string,
  variables: Record<string, unknown>,
  headers: Record<string, string>,
  query = EVENTS_QUERY,
): Promise<Subscription & { status: number; comments: number; raw: () => string }> {
  const controller = new AbortController();
  const response = await request(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const sub = Object.assign(collector(() => controller.abort()), { status: response.statusCode, comments: 0, raw: () => text });
  let text = '';
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of response.body) {
        text += String(chunk);
        buffer += String(chunk);
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) sub.comments++;
          const data = block.split('\n').find((line) => line.startsWith('data:'))?.slice(5).trim();
          if (block.startsWith('event: next') && data) sub.payloads.push(JSON.parse(data) as EventPayload);
          if (block.startsWith('event: complete')) sub.ended = true;
        }
      }
    } catch {
      // aborted by the test
    }
    sub.ended = true;
  })();
  return sub;
}

/** A graphql-ws client on the server's `/graphql`, with `connectionParams` as the credential. */
export function wsClient(baseUrl: string, connectionParams: Record<string, string> = {}, headers: Record<string, string> = {}): Client & { closes: Array<{ code: number; reason: string }> } {
  const closes: Array<{ code: number; reason: string }> = [];
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: HeaderSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // The tests read each close from `closes`; graphql-ws would also print it to the console.
    onNonLazyError: () => undefined,
    on: { closed: (event) => closes.push({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }) },
  });
  return Object.assign(client, { closes });
}

/** A subscription over WebSocket through `client`. */
export function subscribeWs(client: Client, variables: Record<string, unknown>, query = EVENTS_QUERY): Subscription & { error?: unknown } {
  let stop: () => void = () => undefined;
  const sub: Subscription & { error?: unknown } = collector(() => stop());
  stop = client.subscribe<EventPayload['data']>(
    { query, variables },
    {
      next: (payload) => void sub.payloads.push(payload as EventPayload),
      error: (error) => {
        sub.error = error;
        sub.ended = true;
      },
      complete: () => void (sub.ended = true),
    },
  );
  return sub;
}
