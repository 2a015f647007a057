import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../src/config.js';

/** Rewrites the settings table between the README's markers. */
const readme = new URL('../README.md', import.meta.url);
const text = readFileSync(readme, 'utf8');
const updated = text.replace(
  /(<!-- settings-table:start -->\n)[\s\S]*?(<!-- settings-table:end -->)/,
  `$1${settingsTable()}\n$2`,
);
writeFileSync(readme, updated);
process.stdout.write('README.md settings table updated\n');
