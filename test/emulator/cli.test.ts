import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_USAGE, CliUsageError, parseCliArgs } from '../../src/emulator/cli-options.js';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../../src/emulator/index.js';
import { callHistory, makeCall, records, sid } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'emulator-cli-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'scripts/emulator.ts', ...args], { cwd: root, stdio: 'pipe' });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function listening(child: ChildProcess): Promise<{ url: string; output: () => string }> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve({ url: match[1], output: () => stdout });
    });
    child.on('close', (code) => reject(new Error(`exited with ${code} before listening: ${stdout}`)));
  });
}

describe('cli', () => {
  it('prints usage with --help and exits 2 naming a bad flag', async () => {
    const help = await finished(cli(['--help']));
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(CLI_USAGE);
    const bad = await finished(cli(['--port', '70000']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port');
  });

  it.each([
    [['--port', '-1'], '--port'],
    [['--port', '4010x'], '--port'],
    [['--calls', 'many'], '--calls'],
    [['--seed', '1.5'], '--seed'],
    [['--envelope', 'xml'], '--envelope'],
    [['--host', ''], '--host'],
    [['--import', 'x.ndjson'], '--project'],
    [['--project', 'p'], '--project'],
    [['--bogus'], '--bogus'],
    [['--live-rate', '601'], '--live-rate'],
    [['--live-rate', '-1'], '--live-rate'],
    [['--live-rate', '1.5'], '--live-rate'],
    [['--webhook-secret', ''], '--webhook-secret'],
  ])('rejects %j naming the flag', (args, flag) => {
    expect(() => parseCliArgs(args)).toThrow(CliUsageError);
    expect(() => parseCliArgs(args)).toThrow(flag);
  });

  it('reads every flag', () => {
    expect(
      parseCliArgs(['--port', '4010', '--host', '0.0.0.0', '--calls', '100000', '--seed', '42', '--db', 'calls.db', '--envelope', 'array', '--chaos', '--import', 'f.ndjson', '--project', 'p']),
    ).toEqual({
      help: false,
      options: { port: 4010, host: '0.0.0.0', demo: true, chaos: true, db: 'calls.db', calls: 100_000, seed: 42, envelope: 'array' },
      importFile: 'f.ndjson',
      importProject: 'p',
    });
    expect(parseCliArgs(['--no-demo']).options).toEqual({ port: 4010, host: '127.0.0.1', demo: false, chaos: false });
    expect(parseCliArgs(['--live-rate', '12', '--webhook-secret', 's3cret', '--webhook-any-host']).options).toMatchObject({
      live: { callsPerMinute: 12 },
      webhookSecret: 's3cret',
      webhookAnyHost: true,
    });
    expect(parseCliArgs(['--live-rate', '0']).options.live).toBeUndefined();
  });

  it('starts, prints the URL, credentials and a curl example, imports a file, and stops on SIGTERM', async () => {
    const importFile = join(directory, 'calls.ndjson');
    writeFileSync(importFile, [makeCall({ sid: sid('f00d'), start: 1_700_000_000 })].map((call) => JSON.stringify(call)).join('\n'));
    const dbFile = join(directory, 'calls.db');
    const child = cli(['--port', '0', '--calls', '120', '--seed', '5', '--db', dbFile, '--import', importFile, '--project', 'imported']);
    const done = finished(child);
    const { url, output } = await listening(child);
    expect(output()).toContain(`x-api-key: ${DEMO_API_KEY}`);
    expect(output()).toContain('curl -s -X POST');
    expect(output()).toContain('Imported 1 calls into "imported"');
    expect(output()).toContain('live: off');

    const demo = await callHistory(url, { body: { projectId: DEMO_PROJECT_ID, pageSize: 1000 }, apiKey: DEMO_API_KEY });
    expect(records(demo)).toHaveLength(120);
    const imported = await callHistory(url, { body: { projectId: 'imported' }, apiKey: DEMO_API_KEY });
    expect(records(imported).map((record) => record.callSid)).toEqual([sid('f00d')]);

    child.kill('SIGTERM');
    expect((await done).code).toBe(0);

    // The file keeps the data: a second start loads no demo data and still serves the same calls, and
    // --live-rate adds calls to every project as time goes by.
    const again = cli(['--port', '0', '--calls', '999', '--db', dbFile, '--live-rate', '600']);
    const againDone = finished(again);
    const second = await listening(again);
    expect(second.output()).toContain(`${DEMO_PROJECT_ID} (120)`);
    expect(second.output()).toContain('live: 600 new calls per minute in each project');
    const deadline = Date.now() + 20_000;
    let reread = records(await callHistory(second.url, { body: { projectId: 'imported' }, apiKey: DEMO_API_KEY }));
    while (reread.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      reread = records(await callHistory(second.url, { body: { projectId: 'imported' }, apiKey: DEMO_API_KEY }));
    }
    expect(reread.length).toBeGreaterThanOrEqual(3);
    expect(reread.map((record) => record.callSid)).toContain(sid('f00d'));
    again.kill('SIGINT');
    expect((await againDone).code).toBe(0);
  });
});
