import { once } from 'node:events';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallStore, createEmulatorServer, generateCalls, type EmulatorServer } from '../../src/emulator/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CallSids } from '../support/operations.js';

const KEY = 'disconnect-key';
const PROJECT = 'disconnect';

/**
 * A caller that goes away must not leave work behind: the upstream request made for it is aborted and its
 * socket closed, seen from the emulator's side of the connection.
 */
describe('a client disconnect aborts its upstream work', () => {
  let store: CallStore;
  let emulator: EmulatorServer;
  let emulatorUrl: string;
  /** The emulator-side socket of every call-history request, in arrival order. */
  const upstreamSockets: Socket[] = [];

  beforeAll(async () => {
    store = new CallStore(':memory:');
    store.insertCalls(PROJECT, generateCalls({ projectId: PROJECT, count: 10 }));
    store.grant('api-key', KEY, [PROJECT]);
    emulator = createEmulatorServer({ store, chaos: true });
    emulator.server.on('request', (req) => {
      if (req.url?.startsWith('/call/get-call-history')) upstreamSockets.push(req.socket);
    });
    await new Promise<void>((resolve) => emulator.server.listen(0, '127.0.0.1', resolve));
    emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await emulator.close();
    store.close();
  });
  afterEach(() => {
    emulator.chaos!.clear();
    emulator.clearRequests();
    upstreamSockets.length = 0;
  });

  /** Sends a GraphQL request and keeps the connection, so the test can drop it. */
  function startQuery(api: TestApp, first = 5): ClientRequest {
    const body = JSON.stringify({ query: print(CallSids), variables: { projectId: PROJECT, first } });
    const req = httpRequest(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', () => undefined); // the test destroys it on purpose
    req.end(body);
    return req;
  }

  async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const closedWithin = async (socket: Socket, ms: number): Promise<boolean> => {
    if (socket.destroyed) return true;
    const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
    return Promise.race([once(socket, 'close').then(() => true), timer]);
  };

  // Deadlines far beyond the test: only the disconnect can end the upstream request this soon.
  const PATIENT = { UPSTREAM_TIMEOUT_MS: '30000', UPSTREAM_ATTEMPT_TIMEOUT_MS: '30000' };

  it('the upstream socket closes soon after the client hangs up, and the request is not retried', async () => {
    const api = await startTestApp(emulatorUrl, PATIENT);
    try {
      emulator.chaos!.set({ projectId: PROJECT, faults: ['hang'] });
      const client = startQuery(api);
      await until(() => upstreamSockets.length === 1);
      const upstreamSocket = upstreamSockets[0]!;
      expect(upstreamSocket.destroyed).toBe(false);

      const hungUpAt = performance.now();
      client.destroy();
      expect(await closedWithin(upstreamSocket, 2_000)).toBe(true);
      expect(performance.now() - hungUpAt).toBeLessThan(2_000);

      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(emulator.requests()).toHaveLength(1);
      expect(api.app.inFlight.size).toBe(0);
    } finally {
      await api.close();
    }
  });

  it('a shared upstream request survives one caller leaving and is aborted when the last one leaves', async () => {
    const api = await startTestApp(emulatorUrl, PATIENT);
    try {
      // Counts the callers that asked the shared in-flight table for this list.
      let parties = 0;
      const inFlight = api.app.inFlight;
      const run = inFlight.run.bind(inFlight);
      inFlight.run = (...args) => {
        parties++;
        return run(...args);
      };
      emulator.chaos!.set({ projectId: PROJECT, faults: ['hang'] });
      const first = startQuery(api);
      await until(() => upstreamSockets.length === 1);
      const second = startQuery(api);
      await until(() => parties >= 2);
      expect(emulator.requests()).toHaveLength(1); // the second caller joined the first's request
      const upstreamSocket = upstreamSockets[0]!;

      first.destroy();
      expect(await closedWithin(upstreamSocket, 500)).toBe(false);

      second.destroy();
      expect(await closedWithin(upstreamSocket, 2_000)).toBe(true);
      await until(() => api.app.inFlight.size === 0, 1_000);
    } finally {
      await api.close();
    }
  });

  it('the deadline closes the upstream socket too, and the caller gets UPSTREAM_TIMEOUT', async () => {
    const api = await startTestApp(emulatorUrl, { UPSTREAM_TIMEOUT_MS: '800', UPSTREAM_ATTEMPT_TIMEOUT_MS: '800' });
    try {
      emulator.chaos!.set({ projectId: PROJECT, faults: ['hang'] });
      const result = await api.execute(CallSids, { projectId: PROJECT, first: 5 }, { 'x-api-key': KEY });
      expect(result.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
      expect(await closedWithin(upstreamSockets[0]!, 1_000)).toBe(true);
    } finally {
      await api.close();
    }
  });
});
