import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import rule of ARCHITECTURE.md: which part of src/ may import which. A part is a folder of src/ or a
 * file at its root (without `.ts`). Keep this table and ARCHITECTURE.md in step.
 */
const MAY_IMPORT: Record<string, readonly string[] | 'anything'> = {
  domain: [],
  history: ['domain'],
  calls: ['domain', 'history'],
  events: ['domain', 'history', 'upstream', 'logger', 'redis-client'],
  upstream: ['domain', 'config', 'logger'],
  observability: ['domain', 'upstream', 'config', 'logger'],
  plugins: ['domain', 'upstream', 'config', 'logger', 'redis-client'],
  http: ['domain', 'config'],
  schema: ['domain', 'history', 'calls', 'events', 'context'],
  context: ['domain', 'upstream', 'observability', 'config', 'logger'],
  emulator: [],
  config: [],
  logger: [],
  'redis-client': [],
  example: [],
  server: 'anything',
  main: 'anything',
};

const SRC = resolve(import.meta.dirname, '../../src');

/** The module specifiers of a TypeScript source: static imports and re-exports, and dynamic `import()`. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The part of src/ a file belongs to: its top folder, or its own name for a file at the root. */
function partOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split(sep);
  return rest.length > 0 ? first! : first!.replace(/\.[jt]s$/, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import between parts of src/ that the rule forbids, as "from -> to (file: specifier)". */
export function violations(files: ReadonlyArray<{ path: string; source: string }>): string[] {
  const out: string[] = [];
  for (const { path, source } of files) {
    const from = partOf(path);
    const allowed = MAY_IMPORT[from];
    if (allowed === undefined) {
      out.push(`${from}: a new part of src/; add it to the rule here and in ARCHITECTURE.md`);
      continue;
    }
    for (const specifier of specifiersOf(source)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(path), specifier);
      if (!target.startsWith(SRC + sep)) continue;
      const to = partOf(target);
      if (to === from || allowed === 'anything' || allowed.includes(to)) continue;
      out.push(`${from} -> ${to} (${relative(SRC, path)}: ${specifier})`);
    }
  }
  return out;
}

describe('the import rule (ARCHITECTURE.md)', () => {
  it('holds for every import in src/', () => {
    const files = sourceFiles(SRC).map((path) => ({ path, source: readFileSync(path, 'utf8') }));
    expect(files.length).toBeGreaterThan(30);
    expect(violations(files)).toEqual([]);
  });

  it('reports an import that breaks it: upstream/ reaching into history/, the domain into anything', () => {
    const file = (path: string, source: string) => ({ path: join(SRC, path), source });
    expect(
      violations([
        file('upstream/client.ts', "import type { HistoryQuery } from '../history/query.js';\nimport { x } from './errors.js';"),
        file('domain/record.ts', "export { y } from '../upstream/records.js';"),
        file('history/service.ts', "const m = await import('../upstream/session.js');"),
        file('schema/call.ts', "import '../history/service.js';\nimport { builder } from './builder.js';"),
      ]),
    ).toEqual([
      'upstream -> history (upstream/client.ts: ../history/query.js)',
      'domain -> upstream (domain/record.ts: ../upstream/records.js)',
      'history -> upstream (history/service.ts: ../upstream/session.js)',
    ]);
  });

  it('reads multi-line imports, side-effect imports and re-exports', () => {
    expect(
      specifiersOf("import {\n  a,\n  b,\n} from './a.js';\nimport './b.js';\nexport * from './c.js';\nconst d = import('./d.js');"),
    ).toEqual(['./a.js', './c.js', './b.js', './d.js']);
  });
});
