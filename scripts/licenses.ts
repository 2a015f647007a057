/**
 * Lists the licence of every runtime dependency: the packages `npm ci --omit=dev` installs, read from
 * package-lock.json. With --check, exits 1 when one has a licence that scripts/licenses.allow.json does not allow.
 * Run: npm run licenses [-- --check]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface LockFile {
  packages: Record<string, { version?: string; license?: string | { type?: string }; dev?: boolean; link?: boolean }>;
}

export interface AllowList {
  /** SPDX identifiers any runtime dependency may have. */
  licenses: string[];
  /** Named exceptions: this package, with exactly this licence. */
  packages: Record<string, { license: string; why: string }>;
}

export interface RuntimePackage {
  name: string;
  version: string;
  license: string;
}

/** Every package of the lock file that a production install brings (everything not marked dev-only). */
export function runtimePackages(lock: LockFile): RuntimePackage[] {
  const found: RuntimePackage[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev || entry.link) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const license = typeof entry.license === 'string' ? entry.license : (entry.license?.type ?? 'UNKNOWN');
    found.push({ name, version: entry.version ?? '?', license });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The runtime packages whose licence the allow-list does not allow. */
export function disallowed(packages: readonly RuntimePackage[], allow: AllowList): RuntimePackage[] {
  return packages.filter(
    (pkg) => !allow.licenses.includes(pkg.license) && allow.packages[pkg.name]?.license !== pkg.license,
  );
}

export function readJson<T>(relative: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8')) as T;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const packages = runtimePackages(readJson<LockFile>('../package-lock.json'));
  const allow = readJson<AllowList>('./licenses.allow.json');
  const width = Math.max(...packages.map((pkg) => `${pkg.name}@${pkg.version}`.length));
  for (const pkg of packages) process.stdout.write(`${`${pkg.name}@${pkg.version}`.padEnd(width)}  ${pkg.license}\n`);
  const counts = new Map<string, number>();
  for (const pkg of packages) counts.set(pkg.license, (counts.get(pkg.license) ?? 0) + 1);
  process.stdout.write(`\n${packages.length} runtime packages: ${[...counts].map(([license, n]) => `${license} ${n}`).join(', ')}\n`);
  const bad = disallowed(packages, allow);
  if (process.argv.includes('--check') && bad.length > 0) {
    for (const pkg of bad) process.stderr.write(`not allowed: ${pkg.name}@${pkg.version} (${pkg.license})\n`);
    process.exit(1);
  }
}
