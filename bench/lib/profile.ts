/**
 * A CPU profile of one server under load (`node --cpu-prof`): started on the contenders' core, loaded through
 * autocannon like a timed run, stopped, and summarised as the functions and the parts of the stack with the
 * most self time. Samples of module loading (start-up) and idle time are left out.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad } from './load.js';
import { freePort, spawnNode, waitUntil } from './processes.js';

export interface ProfileOptions {
  name: string;
  /** The server's entry point and node flags; `--cpu-prof` is added. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  core: number | undefined;
  body: string;
  connections: number;
  seconds: number;
}

export interface ProfileSummary {
  requestsPerSecond: number;
  /** Samples kept (not idle, not start-up). */
  samples: number;
  /** The functions with the most self time: share of the kept samples, name, where. */
  functions: Array<{ share: number; name: string }>;
  /**
   * Self time per part: this server's code (with the JSON.parse and JSON.stringify it calls), graphql-yoga + envelop +
   * whatwg-node, graphql-js and jit, undici, each other package, Node's own code, garbage collection.
   */
  parts: Array<{ share: number; name: string }>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

export async function profileServer(options: ProfileOptions): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'call-history-profile-'));
  const port = await freePort();
  const child = spawnNode({
    name: options.name,
    args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...options.args],
    env: { ...options.env, PORT: String(port) },
    cwd: options.cwd,
    ...(options.core === undefined ? {} : { core: options.core }),
  });
  try {
    const url = `http://127.0.0.1:${port}/graphql`;
    const ask = () => fetch(url, { method: 'POST', body: options.body, headers: { 'content-type': 'application/json', 'x-api-key': 'profile' } });
    await waitUntil(child, async () => (await ask()).status === 200);
    await runLoad({ url, body: options.body, connections: options.connections, seconds: 2 });
    const load = await runLoad({ url, body: options.body, connections: options.connections, seconds: options.seconds });
    await child.stop();
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${options.name} wrote no CPU profile`);
    if (process.env.PROFILE_OUT) copyFileSync(join(dir, file), process.env.PROFILE_OUT);
    return { requestsPerSecond: load.requestsPerSecond, ...summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] }) };
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const STARTUP = /^node:internal\/(modules|main)\//;
const IDLE = new Set(['(idle)', '(program)']);

function summarise(profile: { nodes: ProfileNode[] }, top = 15): Omit<ProfileSummary, 'requestsPerSecond'> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const startup = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (STARTUP.test(byId.get(at)!.callFrame.url)) return true;
    return false;
  };
  const functions = new Map<string, number>();
  const parts = new Map<string, number>();
  let kept = 0;
  for (const node of profile.nodes) {
    if (!node.hitCount || IDLE.has(node.callFrame.functionName) || startup(node.id)) continue;
    kept += node.hitCount;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src|bench)\//, '$1/');
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + node.hitCount);
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + node.hitCount);
  }
  const ranked = (counts: Map<string, number>, limit: number) =>
    [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, hits]) => ({ share: hits / kept, name }));
  return { samples: kept, functions: ranked(functions, top), parts: ranked(parts, 20) };
}

function partOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (/\/(dist|src)\//.test(url) && !url.includes('node_modules')) return 'this server (dist/)';
  if (/node_modules\/(graphql-yoga|@graphql-yoga|@envelop|@whatwg-node|@graphql-tools)\//.test(url)) return 'graphql-yoga, envelop, whatwg-node, graphql-tools';
  if (/node_modules\/(graphql|graphql-jit)\//.test(url) || /__/.test(functionName)) return 'graphql-js and graphql-jit (compiled queries)';
  if (url.includes('node_modules/undici/')) return 'undici (upstream client)';
  if (url.includes('node_modules/')) {
    const [first, second] = url.replace(/^.*node_modules\//, '').split('/');
    return first!.startsWith('@') ? `${first}/${second}` : first!;
  }
  if (url.startsWith('node:') || url === '') return "Node's http, streams, timers and native code (sockets, JSON)";
  return 'other';
}
