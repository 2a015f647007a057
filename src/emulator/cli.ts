import { parseArgs } from 'node:util';
import { DEMO_API_KEY, DEMO_CREDENTIALS, DEMO_PROJECT_ID } from './demo.js';
import { importCallsFromFile } from './import.js';
import { startEmulator, type EmulatorOptions } from './index.js';
import { CHAOS_PATH, CALL_HISTORY_PATH } from './server.js';
import { CallStore } from './store.js';

const USAGE = `TalkStack AI call-history emulator: POST ${CALL_HISTORY_PATH}

Usage: npm run emulator -- [options]

  --port <n>            port to listen on (default 4010; 0 picks a free port)
  --host <address>      address to bind (default 127.0.0.1)
  --db <file>           SQLite file kept between runs (default: in memory)
  --calls <n>           size of the demo project "${DEMO_PROJECT_ID}" (default 5000)
  --seed <n>            seed for the demo data (default 42)
  --no-demo             do not load demo data into an empty store
  --envelope <kind>     object ({message, status, data}, default) or array (a bare array)
  --chaos               enable faults and the ${CHAOS_PATH} control endpoint
  --import <file>       import call records from a .json or .ndjson file (needs --project)
  --project <id>        the project that --import fills; ${DEMO_API_KEY} is granted access to it
  --help                print this help
`;

class UsageError extends Error {}

function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function readOptions(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        calls: { type: 'string' },
        seed: { type: 'string' },
        'no-demo': { type: 'boolean' },
        envelope: { type: 'string' },
        chaos: { type: 'boolean' },
        import: { type: 'string' },
        project: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const envelope = values.envelope;
  if (envelope !== undefined && envelope !== 'object' && envelope !== 'array') {
    throw new UsageError(`--envelope must be object or array, got ${JSON.stringify(envelope)}`);
  }
  if (values.host !== undefined && values.host.trim() === '') throw new UsageError('--host must not be empty');
  if (values.db !== undefined && values.db.trim() === '') throw new UsageError('--db must not be empty');
  if (values.import !== undefined && !values.project) throw new UsageError('--import needs --project <id>');
  if (values.project !== undefined && values.import === undefined) throw new UsageError('--project is only used with --import');
  if (values.project !== undefined && values.project.trim() === '') throw new UsageError('--project must not be empty');

  const options: EmulatorOptions = {
    port: integerFlag('port', values.port, 0, 65_535) ?? 4010,
    host: values.host ?? '127.0.0.1',
    demo: !values['no-demo'],
    chaos: values.chaos ?? false,
  };
  const calls = integerFlag('calls', values.calls, 0, 50_000_000);
  const seed = integerFlag('seed', values.seed, 0, 2 ** 32 - 1);
  if (values.db !== undefined) options.db = values.db;
  if (calls !== undefined) options.calls = calls;
  if (seed !== undefined) options.seed = seed;
  if (envelope !== undefined) options.envelope = envelope;
  return { help: values.help ?? false, options, importFile: values.import, importProject: values.project };
}

async function main(): Promise<void> {
  let config: ReturnType<typeof readOptions>;
  try {
    config = readOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }
  const { options } = config;

  const store = new CallStore(options.db ?? ':memory:');
  const started = performance.now();
  if (options.demo && store.count() === 0) {
    process.stdout.write(`Loading demo data (${options.calls ?? 5000} calls in "${DEMO_PROJECT_ID}")…\n`);
  }
  const emulator = await startEmulator({ ...options, store });
  if (config.importFile !== undefined && config.importProject !== undefined) {
    const result = await importCallsFromFile(store, config.importProject, config.importFile);
    store.grant('api-key', DEMO_API_KEY, [config.importProject]);
    process.stdout.write(
      `Imported ${result.imported} calls into "${config.importProject}" (${result.skipped} skipped) from ${config.importFile}\n`,
    );
    for (const problem of result.problems) process.stdout.write(`  skipped #${problem.position}: ${problem.reason}\n`);
  }
  const counts = store.projects().map((project) => `${project} (${store.count(project)})`);

  process.stdout.write(
    [
      `TalkStack call-history emulator listening on ${emulator.url} (ready in ${Math.round(performance.now() - started)} ms)`,
      `  projects: ${counts.join(', ') || 'none'}`,
      `  credentials:`,
      ...DEMO_CREDENTIALS.map(
        (credential) =>
          `    ${credential.kind === 'api-key' ? `x-api-key: ${credential.token}` : `Authorization: Bearer ${credential.token}`}` +
          `  reads ${credential.projects.join(', ')}`,
      ),
      ...(options.chaos ? [`  chaos: POST ${emulator.url}${CHAOS_PATH} {"projectId":"${DEMO_PROJECT_ID}","faults":["503","429"]}`] : []),
      `  try:`,
      `    curl -s -X POST '${emulator.url}${CALL_HISTORY_PATH}?status=completed' \\`,
      `      -H 'x-api-key: ${DEMO_API_KEY}' -H 'content-type: application/json' \\`,
      `      -d '{"projectId":"${DEMO_PROJECT_ID}","pageSize":5}'`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: closing\n`);
    emulator
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`${String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
