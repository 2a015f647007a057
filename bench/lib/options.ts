/**
 * The benchmark's command line. Imports nothing outside node's own modules, so that `--help` answers before
 * bench/'s dependencies are installed.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

/** The committed results: written only with --write-results. */
export const COMMITTED_RESULTS = join(benchDir, 'RESULTS.md');

export interface Options {
  quick: boolean;
  levers: boolean;
  /** CPU profiles of (c) under the throughput scenarios' load, after the timed runs. */
  profiles: boolean;
  runs: number;
  warmupSeconds: number;
  /**
   * The warm-up of the first scenario (never shorter than the others'), which meets every process cold: at one connection V8 is still compiling the
   * request path for the first 15 to 20 s (optimisations per 6 s window in one floor: 779, 209, 8, 2).
   */
  firstWarmupSeconds: number;
  seconds: number;
  scenarios: string[] | null;
  contenders: string[] | null;
  out: string;
}

export const HELP = [
  'Usage: npm run bench -- [--quick] [--no-levers] [--no-profiles] [--runs N] [--seconds S] [--warmup S] [--first-warmup S]',
  '                        [--scenarios S1,S2,...] [--contenders a,b,c,d,...] [--write-results | --out FILE]',
  '  --quick          1 s warm-up and 3 runs of 1 s per measurement, no levers (under 2 minutes)',
  '  --no-levers      skip the floors and the lever variants (each transport and executor, V8 settings) that the full run includes',
  '  --no-profiles    skip the CPU profiles of (c) that the full run takes after timing (S2, S3)',
  '  --warmup S       warm-up before each contender\'s runs in a scenario (default 8 s)',
  '  --first-warmup S warm-up in the first scenario, which meets every process cold (default 30 s)',
  '  --scenarios      only these scenarios (S1..S5)',
  '  --contenders     only these contenders (a, b, c, d, y, l, j, h, and the lever variants c-yoga-transport, c-graphql-js, c-pretenuring, ...)',
  '  --write-results  write the report to bench/RESULTS.md (the committed results)',
  '  --out FILE       write the report to FILE',
  `  (neither)        write it to ${join(tmpdir(), 'call-history-bench', '<mode>-<time>.md')} and print the path`,
  '  --help           this text; installs nothing',
  '',
].join('\n');

export const wantsHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');

export function parseOptions(argv: string[], now = new Date()): Options {
  const quick = argv.includes('--quick');
  const value = (name: string) => {
    const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
    if (inline) return inline.slice(name.length + 3);
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const list = (name: string) => value(name)?.split(',').map((item) => item.trim()).filter(Boolean) ?? null;
  const number = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} needs a positive number`);
    return parsed;
  };
  const writeResults = argv.includes('--write-results');
  const out = value('out');
  if (writeResults && out !== undefined) throw new Error('--write-results and --out name two different files: give one');
  const mode = quick ? 'quick' : 'full';
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const warmupSeconds = number('warmup', quick ? 1 : 8);
  return {
    quick,
    levers: !quick && !argv.includes('--no-levers'),
    profiles: !quick && !argv.includes('--no-profiles'),
    runs: number('runs', 3),
    warmupSeconds,
    firstWarmupSeconds: Math.max(warmupSeconds, number('first-warmup', quick ? 1 : 30)),
    seconds: number('seconds', quick ? 1 : 12),
    scenarios: list('scenarios'),
    contenders: list('contenders'),
    out: writeResults ? COMMITTED_RESULTS : (out ?? join(tmpdir(), 'call-history-bench', `${mode}-${stamp}.md`)),
  };
}
