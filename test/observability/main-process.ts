import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../src/config.js';
import { transportEnv } from '../support/transport.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The environment of the test process without any setting of ours, so a developer's shell cannot leak in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(base)) {
    if (name in SETTINGS || name.startsWith('OTEL_')) delete base[name];
  }
  return { ...base, ...transportEnv(), ...env };
}

/** `npm start` without npm and without the build: the same entry point, run from source by tsx. */
function spawnMain(env: Record<string, string>, args: string[], nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the server's entry point to its end (for `--help` and configuration errors). */
export function runMain(env: Record<string, string>, args: string[] = [], timeoutMs = 60_000): Promise<Exited> {
  const child = spawnMain(env, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`src/main.ts did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain before reporting what was printed.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

export interface RunningMain {
  /** The server's base URL, as printed on stderr. */
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
  /** Sends a signal to the process. */
  kill(signal: NodeJS.Signals): void;
  /** The exit code, once the process has exited (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Starts the server the way `npm start` does, on a free port, and waits until it prints where it listens. */
export async function startMain(
  env: Record<string, string> = {},
  { timeoutMs = 90_000, nodeArgs = [] }: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<RunningMain> {
  const child = spawnMain({ PORT: '0', HOST: '127.0.0.1', ...env }, [], nodeArgs);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms\n${stdout}\n${stderr}`)), timeoutMs);
    const check = () => {
      // The banner for a person goes to stderr; stdout holds only JSON logs.
      const match = /GraphQL API: (http:\/\/\S+)\/graphql/.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      child.stderr!.off('data', check);
      resolve(match[1]!);
    };
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`src/main.ts exited (${code}) before listening\n${stdout}\n${stderr}`));
    });
  });

  return {
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal) => void child.kill(signal),
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
