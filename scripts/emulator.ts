import { CliUsageError, CLI_USAGE, parseCliArgs, type CliConfig } from '../src/emulator/cli-options.js';
import { DEMO_API_KEY, DEMO_CALLS, DEMO_CREDENTIALS, DEMO_PROJECT_ID, loadDemoData } from '../src/emulator/demo.js';
import { importCallsFromFile } from '../src/emulator/import.js';
import { startEmulator } from '../src/emulator/index.js';
import { ADD_WEBHOOK_PATH, ADMIN_CALLS_PATH, CHAOS_PATH, CALL_HISTORY_PATH } from '../src/emulator/server.js';
import { CallStore } from '../src/emulator/store.js';

async function main(): Promise<void> {
  let config: CliConfig;
  try {
    config = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(CLI_USAGE);
    return;
  }
  const { options } = config;

  const store = new CallStore(options.db ?? ':memory:');
  const started = performance.now();
  if (options.demo && store.count() === 0) {
    process.stdout.write(`Loading demo data (${options.calls ?? DEMO_CALLS} calls in "${DEMO_PROJECT_ID}")…\n`);
    loadDemoData(store, {
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.calls === undefined ? {} : { calls: options.calls }),
    });
  }
  if (config.importFile !== undefined && config.importProject !== undefined) {
    const result = await importCallsFromFile(store, config.importProject, config.importFile);
    store.grant('api-key', DEMO_API_KEY, [config.importProject]);
    process.stdout.write(
      `Imported ${result.imported} calls into "${config.importProject}" (${result.skipped} skipped)` +
        ` from ${config.importFile}\n`,
    );
    for (const problem of result.problems) process.stdout.write(`  skipped #${problem.position}: ${problem.reason}\n`);
  }
  const emulator = await startEmulator({ ...options, store, demo: false });
  const counts = store.projects().map((project) => `${project} (${store.count(project)})`);

  process.stdout.write(
    [
      `TalkStack call-history emulator listening on ${emulator.url} (ready in ${Math.round(performance.now() - started)} ms)`,
      `  projects: ${counts.join(', ') || 'none'}`,
      `  credentials:`,
      ...DEMO_CREDENTIALS.map((credential) => {
        const header = credential.kind === 'api-key' ? 'x-api-key:' : 'Authorization: Bearer';
        return `    ${header} ${credential.token}  reads ${credential.projects.join(', ')}`;
      }),
      ...(options.chaos
        ? [`  chaos: POST ${emulator.url}${CHAOS_PATH} {"projectId":"${DEMO_PROJECT_ID}","faults":["503","429"]}`]
        : []),
      emulator.live
        ? `  live: ${emulator.live.callsPerMinute} new calls per minute in each project`
        : '  live: off (--live-rate <n> turns it on)',
      `  change a call: PATCH ${emulator.url}${ADMIN_CALLS_PATH}/<sid> {"status":"completed","seconds":42}`,
      `  webhook: POST ${emulator.url}${ADD_WEBHOOK_PATH} {"projectId":"${DEMO_PROJECT_ID}","webhookURL":"http://127.0.0.1:4000/webhooks/call-status"}`,
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
