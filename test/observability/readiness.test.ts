import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallSids } from '../support/operations.js';
import { startRecordingUpstream } from '../support/recording-upstream.js';

async function get(api: TestApp, path: string): Promise<{ status: number; body: any }> {
  const response = await request(`${api.url}${path}`);
  return { status: response.statusCode, body: await response.body.json() };
}

/** Yoga's built-in health check answers with a status and no body. */
async function health(api: TestApp): Promise<number> {
  const response = await request(`${api.url}/health`);
  await response.body.dump();
  return response.statusCode;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('/health and /readiness', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('are ready in front of the emulator, which answers a probe that carries no credential', async () => {
    const emulator = await startEmulator({ port: 0, demo: false });
    const api = await startTestApp(emulator.url, { UPSTREAM_API_KEY: 'server-side-key' });
    open.push(api, emulator);

    expect(await health(api)).toBe(200);
    const readiness = await get(api, '/readiness');
    expect(readiness.status).toBe(200);
    expect(readiness.body).toMatchObject({ status: 'ready', breaker: 'closed', upstream: 'answered probe' });

    const [probe, ...others] = emulator.requests();
    expect(others).toEqual([]);
    expect(probe!.status).toBe(401);
    expect(probe!.headers['x-api-key']).toBeUndefined();
    expect(probe!.headers.authorization).toBeUndefined();
  });

  it('use real traffic as proof instead of probing again', async () => {
    const upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    const api = await startTestApp(upstream.url);
    open.push(api, upstream);

    await api.execute(CallSids, { projectId: 'p1' });
    expect(upstream.requests).toHaveLength(1);
    const readiness = await get(api, '/readiness');
    expect(readiness).toMatchObject({ status: 200, body: { status: 'ready', upstream: 'answered recently' } });
    expect(upstream.requests).toHaveLength(1);
  });

  it('are alive but not ready when the upstream cannot be reached', async () => {
    const api = await startTestApp(`http://127.0.0.1:${await closedPort()}`);
    open.push(api);

    expect(await health(api)).toBe(200);
    const readiness = await get(api, '/readiness');
    expect(readiness.status).toBe(503);
    expect(readiness.body).toMatchObject({ status: 'not ready', breaker: 'closed', upstream: 'probe failed' });
  });

  it('are not ready when the upstream answers the probe with a 5xx', async () => {
    const upstream = await startRecordingUpstream(() => ({ status: 503, body: { message: 'down', status: 'error' } }));
    const api = await startTestApp(upstream.url);
    open.push(api, upstream);

    const readiness = await get(api, '/readiness');
    expect(readiness).toMatchObject({ status: 503, body: { upstream: 'probe failed' } });
    expect(upstream.requests).toHaveLength(1);
  });

  it('are not ready while the circuit breaker is open, and ready again once a trial probe succeeds', async () => {
    let healthy = false;
    const upstream = await startRecordingUpstream(() =>
      healthy ? success([vendorRecord()]) : { status: 500, body: { message: 'down', status: 'error' } },
    );
    const halfOpenMs = 1_000;
    const api = await startTestApp(upstream.url, {
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_THRESHOLD: '0.5',
      UPSTREAM_BREAKER_WINDOW_MS: '5000',
      UPSTREAM_BREAKER_MIN_RPS: '0.5',
      UPSTREAM_BREAKER_HALF_OPEN_MS: String(halfOpenMs),
    });
    open.push(api, upstream);

    for (let i = 0; i < 20 && api.app.source.policy.breakerState === 'closed'; i++) await api.execute(CallSids, { projectId: 'p1' });
    expect(api.app.source.policy.breakerState).toBe('open');
    const openedBy = Date.now();

    // The upstream answered (with 500s) just now, yet an open breaker means not ready, and nothing is sent.
    const sent = upstream.requests.length;
    const whileOpen = await get(api, '/readiness');
    expect(whileOpen).toMatchObject({ status: 503, body: { status: 'not ready', breaker: 'open', upstream: 'not checked' } });
    expect(upstream.requests).toHaveLength(sent);

    // With no traffic at all, a readiness check makes the breaker's trial request once its delay has passed.
    healthy = true;
    await sleep(Math.max(0, openedBy + halfOpenMs + 200 - Date.now()));
    const recovered = await get(api, '/readiness');
    expect(recovered).toMatchObject({ status: 200, body: { status: 'ready', breaker: 'closed', upstream: 'answered probe' } });
    expect(upstream.requests).toHaveLength(sent + 1);
    expect(upstream.requests.at(-1)!.headers['x-request-id']).toBe('readiness-probe');
  });

  it('share one probe between concurrent checks', async () => {
    const upstream = await startRecordingUpstream(async () => {
      await sleep(200);
      return { status: 401, body: { message: 'Unauthorized', status: 'error' } };
    });
    const api = await startTestApp(upstream.url);
    open.push(api, upstream);

    const checks = await Promise.all(Array.from({ length: 5 }, () => get(api, '/readiness')));
    expect(checks.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(upstream.requests).toHaveLength(1);
  });
});
