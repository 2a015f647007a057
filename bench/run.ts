/**
 * `npm run bench [-- --quick]` from the repository root. bench/ has its own package.json so that the peer's
 * heavy packages stay out of the product's install: they are installed here, on first use or when
 * bench/package-lock.json changes, then the harness runs. `--help` answers before any install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HELP, parseOptions, wantsHelp } from './lib/options.js';

// Before anything is installed: --help needs nothing but node.
if (wantsHelp(process.argv.slice(2))) {
  process.stdout.write(HELP);
  process.exit(0);
}
// Bad arguments are refused before anything is installed too.
try {
  parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${HELP}`);
  process.exit(2);
}

const benchDir = fileURLToPath(new URL('.', import.meta.url));

/** True when bench/node_modules holds exactly what bench/package-lock.json pins. */
function installed(): boolean {
  const hidden = `${benchDir}node_modules/.package-lock.json`;
  if (!existsSync(hidden)) return false;
  const versions = (file: string) => {
    const packages = (JSON.parse(readFileSync(file, 'utf8')) as { packages?: Record<string, { version?: string }> }).packages ?? {};
    return Object.entries(packages)
      .filter(([path]) => path.startsWith('node_modules/'))
      .map(([path, entry]) => `${path}@${entry.version ?? ''}`)
      .sort()
      .join('\n');
  };
  return versions(hidden) === versions(`${benchDir}package-lock.json`);
}

if (!installed()) {
  process.stdout.write('Installing the benchmark dependencies (bench/package-lock.json)...\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: benchDir, stdio: 'inherit' });
}

const { main } = await import('./lib/harness.js');
await main(process.argv.slice(2));
