/**
 * Preloaded with `--import` into a server process under test: records the URL of every module the process loads
 * (builtins such as `node:sqlite` included) and writes them, as a JSON array, to LOADED_MODULES_FILE on exit.
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
if (file) {
  const loaded: string[] = [];
  registerHooks({
    load(url, context, nextLoad) {
      loaded.push(url);
      return nextLoad(url, context);
    },
  });
  process.once('exit', () => writeFileSync(file, JSON.stringify(loaded)));
}
