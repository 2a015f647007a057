import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';

export interface RunningRedis {
  url: string;
  port: number;
  /** A client for inspecting what the server stores. */
  client: Redis;
  close(): Promise<void>;
}

/** `redis-server` on PATH (or REDIS_SERVER), or a failure that says how to get it. */
function findRedisServer(): string {
  const candidates = process.env.REDIS_SERVER
    ? [process.env.REDIS_SERVER]
    : [...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'redis-server')), '/usr/bin/redis-server'];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'redis-server is not installed, and the scale-out tests need a real one: install it (Debian/Ubuntu: ' +
      '`apt-get install redis-server`) or point REDIS_SERVER at the binary.',
  );
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** A throw-away redis-server on 127.0.0.1 and a free port (or `port`: to restart one), with persistence off. */
export async function startRedisServer(options: { port?: number } = {}): Promise<RunningRedis> {
  const binary = findRedisServer();
  let lastError: unknown;
  // The free port may be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited(child);
    };
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await waitUntilReady(client, child, () => output);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        client,
        close: async () => {
          client.disconnect();
          await stop();
        },
      };
    } catch (error) {
      lastError = error;
      client.disconnect();
      await stop();
    }
  }
  throw lastError;
}

async function waitUntilReady(client: Redis, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output().trim()}`);
    try {
      if (client.status !== 'ready') await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer within 15 s: ${output().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
