import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { duplicateKeys } from '../support/json-lines.js';
import { REPO_ROOT, startMain } from './main-process.js';

const RECORDER = join(REPO_ROOT, 'test/support/loaded-modules.ts');
const dir = mkdtempSync(join(tmpdir(), 'main-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  /** Every module URL the process loaded (builtins included). */
  loaded: string[];
  stdout: string;
  stderr: string;
}

/** Starts the real entry point (debug logs), sends one query, stops it, and returns what it loaded and printed. */
async function startQueryStop(name: string, env: Record<string, string>): Promise<Run> {
  const file = join(dir, `${name}.json`);
  const server = await startMain({ LOG_LEVEL: 'debug', LOADED_MODULES_FILE: file, ...env }, { nodeArgs: ['--import', RECORDER] });
  try {
    await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' },
      body: JSON.stringify({ query: '{ callHistory(projectId: "demo", first: 1) { nodes { sid } } }' }),
    });
  } finally {
    await server.stop();
  }
  return { loaded: JSON.parse(readFileSync(file, 'utf8')) as string[], stdout: server.stdout(), stderr: server.stderr() };
}

const emulatorModules = (urls: string[]) => urls.filter((url) => url.includes('/src/emulator/'));

/** stdout carries only JSON log lines, each without a repeated key. */
function expectJsonLogsOnly(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((line) => line !== '');
  expect(lines.length).toBeGreaterThan(2);
  return lines.map((line) => {
    expect(() => JSON.parse(line), line).not.toThrow();
    expect(duplicateKeys(line), line).toEqual([]);
    return JSON.parse(line) as Record<string, unknown>;
  });
}

// Two processes start through tsx: on a loaded machine that takes a while (startMain waits up to 90 s).
describe('npm start', { timeout: 120_000 }, () => {
  // Both runs as their own processes, side by side.
  const withUpstream = startQueryStop('upstream', {
    // Nothing listens on port 9: the query fails upstream, but the whole request path has run. The OTLP endpoint
    // turns tracing on, which logs a line of its own.
    UPSTREAM_URL: 'http://127.0.0.1:9',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  });
  const withEmulator = startQueryStop('emulator', {});
  // Settled here so that a failure is reported by the test that awaits it, not as an unhandled rejection.
  withUpstream.catch(() => undefined);
  withEmulator.catch(() => undefined);

  it('with UPSTREAM_URL set, loads no emulator module and not node:sqlite', async () => {
    const { loaded } = await withUpstream;
    expect(loaded.some((url) => url.endsWith('/src/server.ts'))).toBe(true);
    expect(emulatorModules(loaded)).toEqual([]);
    expect(loaded).not.toContain('node:sqlite');
  });

  it('without REDIS_URL, does not load the Redis client', async () => {
    const [upstream, emulator] = await Promise.all([withUpstream, withEmulator]);
    for (const { loaded } of [upstream, emulator]) {
      expect(loaded.some((url) => url.endsWith('/src/redis-client.ts'))).toBe(true);
      expect(loaded.filter((url) => url.includes('/node_modules/ioredis/'))).toEqual([]);
    }
  });

  it('without it, loads the emulator and its SQLite store (so the recorder does see them)', async () => {
    const { loaded } = await withEmulator;
    expect(emulatorModules(loaded)).toEqual(expect.arrayContaining([expect.stringMatching(/\/src\/emulator\/store\.ts$/)]));
    expect(loaded).toContain('node:sqlite');
  });

  it('writes only JSON logs to stdout, none with a repeated key, and the banner with the demo curl to stderr', async () => {
    const emulator = await withEmulator;
    const logs = expectJsonLogsOnly(emulator.stdout);
    expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'listening', emulator: true })]));
    expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'graphql request' })]));
    expect(emulator.stderr).toMatch(/^GraphQL API: http:\/\/127\.0\.0\.1:\d+\/graphql/m);
    expect(emulator.stderr).toContain("curl -s http://127.0.0.1:");
    expect(emulator.stderr).toContain("-H 'x-api-key: demo-key'");
    expect(emulator.stderr).toContain('Live demo: 6 new calls per minute in each project');

    const upstream = await withUpstream;
    const upstreamLogs = expectJsonLogsOnly(upstream.stdout);
    expect(upstreamLogs).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'tracing on', service: 'call-history-graphql' })]));
    expect(upstreamLogs).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'graphql request failed' })]));
    expect(upstream.stderr).toContain('Upstream: http://127.0.0.1:9');
  });
});
