import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { Client, request } from 'undici';
import { endOnAbort, useStreamsEndOnDrain } from '../../src/http/drain.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningMain, startMain } from '../observability/main-process.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { type RecordingUpstream, startRecordingUpstream } from '../support/recording-upstream.js';

const QUERY = JSON.stringify({ query: '{ callHistory(projectId: "p", first: 1) { nodes { sid } } }' });

/** The real entry point (`npm start`) in front of an upstream on 127.0.0.1 that answers after `delayMs`. */
async function startSlowStack(delayMs: number, env: Record<string, string>) {
  const upstream = await startRecordingUpstream(async () => {
    await sleep(delayMs);
    return success([vendorRecord()]);
  });
  const main = await startMain({ UPSTREAM_URL: upstream.url, LOG_LEVEL: 'info', ...env });
  return { upstream, main };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('graceful drain on SIGTERM (the real entry point)', () => {
  const open: Array<{ upstream: RecordingUpstream; main: RunningMain; client?: Client }> = [];
  afterEach(async () => {
    for (const { upstream, main, client } of open.splice(0)) {
      await main.stop();
      await client?.destroy();
      await upstream.close();
    }
  });

  it('an in-flight request completes with data; readiness answers 503 meanwhile; new connections are refused; exit 0', async () => {
    const stack = await startSlowStack(1_500, { SHUTDOWN_GRACE_MS: '10000' });
    const { upstream, main } = stack;
    // One keep-alive connection that carries the slow request, then a readiness check pipelined behind it.
    const client = new Client(main.url, { pipelining: 2 });
    open.push({ ...stack, client });

    const slow = client.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: QUERY,
      // Let undici send the next request on this connection while this one runs (HTTP/1.1 pipelining).
      idempotent: true,
      blocking: false,
    });
    await until(() => upstream.requests.length === 1, 'the upstream to receive the request');

    main.kill('SIGTERM');
    await until(() => main.stdout().includes('shutting down'), 'the shutdown to start');

    const readiness = client.request({ path: '/readiness', method: 'GET' });
    const refused = await request(`${main.url}/health`).then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    expect(refused).toBe('ECONNREFUSED');

    const answer = await slow;
    expect(answer.statusCode).toBe(200);
    expect(await answer.body.json()).toEqual({ data: { callHistory: { nodes: [{ sid: vendorRecord().callSid }] } } });

    const ready = await readiness;
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toMatchObject({ status: 'not ready', reason: 'the server is shutting down' });
    expect(ready.headers.connection).toBe('close');

    expect(await main.exited).toBe(0);
  }, 120_000);

  it('when the grace time runs out, the remaining connections are cut and the exit code is 1', async () => {
    const stack = await startSlowStack(5_000, { SHUTDOWN_GRACE_MS: '300', UPSTREAM_TIMEOUT_MS: '20000', UPSTREAM_ATTEMPT_TIMEOUT_MS: '20000' });
    const { upstream, main } = stack;
    open.push(stack);
    const slow = request(`${main.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: QUERY,
    }).then(
      () => 'answered',
      (error: { code?: string }) => error.code ?? 'failed',
    );
    await until(() => upstream.requests.length === 1, 'the upstream to receive the request');
    const signalledAt = Date.now();
    main.kill('SIGTERM');
    expect(await main.exited).toBe(1);
    expect(Date.now() - signalledAt).toBeLessThan(4_000);
    expect(await slow).not.toBe('answered');
  }, 120_000);
});

describe('open streams complete cleanly on drain', () => {
  it('an SSE subscription ends with `event: complete` when the drain begins, and its source is stopped', async () => {
    let sourceStopped = false;
    const draining = new AbortController();
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { ok: Boolean } type Subscription { ticks: Int! }',
        resolvers: {
          Subscription: {
            ticks: {
              subscribe: async function* () {
                try {
                  for (let i = 0; ; i++) {
                    yield { ticks: i };
                    await sleep(20);
                  }
                } finally {
                  sourceStopped = true;
                }
              },
            },
          },
        },
      }),
      plugins: [useStreamsEndOnDrain(draining.signal)],
      logging: false,
    });
    const server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await request(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { ticks }' }),
      });
      let text = '';
      const read = (async () => {
        for await (const chunk of response.body) {
          text += String(chunk);
          if (text.includes('"ticks":2')) draining.abort();
        }
      })();
      await read;
      expect(text).toContain('"ticks":2');
      expect(text.trimEnd()).toMatch(/event: complete(\ndata:.*)?$/);
      expect(sourceStopped).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('endOnAbort passes values through until the source ends', async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    const seen: number[] = [];
    for await (const value of endOnAbort(three(), new AbortController().signal)) seen.push(value);
    expect(seen).toEqual([1, 2, 3]);
  });
});
