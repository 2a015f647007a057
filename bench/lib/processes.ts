/** Child processes of the benchmark: spawned on a chosen core, watched through /proc, stopped by pid. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { createServer } from 'node:net';

export const hasTaskset = ((): boolean => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins this process (every thread) to a core, when taskset exists. */
export function pinSelf(core: number): void {
  if (hasTaskset) execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

/**
 * Raises this process's scheduling priority (children inherit it), so that other work on a shared machine
 * disturbs the measurement less. Needs root; returns whether it worked.
 */
export function raisePriority(niceness = -10): boolean {
  try {
    setPriority(0, niceness);
    return getPriority(0) === niceness;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  pid: number;
  /** Everything it printed, for the error message when it fails to start. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  args: string[];
  env?: Record<string, string>;
  cwd: string;
  core?: number;
}

/**
 * What every spawned process also gets: node flags before its own (`bench/alloc.ts` adds V8's GC trace), and a reader
 * of its standard output.
 */
export const spawnHooks: { nodeFlags: string[]; onStdout?: (name: string, chunk: Buffer) => void } = { nodeFlags: [] };

/** Starts `node <args>` (on `core` when taskset exists). taskset execs node, so the pid is node's own. */
export function spawnNode(options: SpawnOptions): Child {
  const command = hasTaskset && options.core !== undefined ? 'taskset' : process.execPath;
  const nodeArgs = [...spawnHooks.nodeFlags, ...options.args];
  const args = hasTaskset && options.core !== undefined ? ['-c', String(options.core), process.execPath, ...nodeArgs] : nodeArgs;
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  const onStdout = spawnHooks.onStdout;
  if (onStdout) child.stdout?.on('data', (chunk: Buffer) => onStdout(options.name, chunk));
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  if (child.pid === undefined) throw new Error(`${options.name} did not start`);
  return {
    name: options.name,
    pid: child.pid,
    output: () => output,
    exited: () => exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Waits until `probe` resolves true, or fails with the child's output. */
export async function waitUntil(child: Child, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited while starting:\n${child.output()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not become ready in ${timeoutMs} ms:\n${child.output()}`);
}

const CLOCK_TICKS = 100; // _SC_CLK_TCK on Linux

export interface ProcSample {
  rssBytes: number;
  peakRssBytes: number;
  cpuSeconds: number;
}

/** RSS, peak RSS (VmHWM) and CPU time used so far, from /proc; null when /proc is not there. */
export function procSample(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM'), cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** Samples a process every 100 ms while a measurement runs: the highest RSS seen, and CPU used. */
export function watchProcess(pid: number): { stop(): { peakRssBytes: number; cpuSeconds: number; seconds: number } } {
  const first = procSample(pid);
  const started = performance.now();
  let peak = first?.rssBytes ?? 0;
  const timer = setInterval(() => {
    const sample = procSample(pid);
    if (sample && sample.rssBytes > peak) peak = sample.rssBytes;
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const last = procSample(pid);
      if (last && last.rssBytes > peak) peak = last.rssBytes;
      return {
        peakRssBytes: peak,
        cpuSeconds: first && last ? last.cpuSeconds - first.cpuSeconds : Number.NaN,
        seconds: (performance.now() - started) / 1000,
      };
    },
  };
}
