import { parseArgs } from 'node:util';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from './demo.js';
import type { EmulatorOptions } from './index.js';
import { MAX_LIVE_CALLS_PER_MINUTE } from './live.js';
import { ADD_WEBHOOK_PATH, ADMIN_CALLS_PATH, CALL_HISTORY_PATH, CALL_PATH, CHAOS_PATH } from './server.js';

export const CLI_USAGE = `TalkStack AI call-history emulator: POST ${CALL_HISTORY_PATH}, POST ${CALL_PATH}
and POST ${ADD_WEBHOOK_PATH}

Usage: npm run emulator -- [options]

  --port <n>            port to listen on (default 4010; 0 picks a free port)
  --host <address>      address to bind (default 127.0.0.1)
  --db <file>           SQLite file kept between runs (default: in memory)
  --calls <n>           size of the demo project "${DEMO_PROJECT_ID}" (default 5000)
  --seed <n>            seed for the demo data (default 42)
  --no-demo             do not load demo data into an empty store
  --envelope <kind>     object ({message, status, data}, default) or array (the bare data)
  --chaos               enable faults and the ${CHAOS_PATH} control endpoint
  --live-rate <n>       live mode: n new calls per minute in every project, moving through queued, ringing,
                        in-progress and a final status in real time (default 0 = off; at most ${MAX_LIVE_CALLS_PER_MINUTE})
  --webhook-secret <s>  send x-webhook-secret: <s> with every call-status webhook
  --webhook-any-host    accept webhook URLs on any host (default: only localhost, 127.0.0.1 and [::1])
  --import <file>       import call records from a .json or .ndjson file (needs --project)
  --project <id>        the project that --import fills; ${DEMO_API_KEY} is granted access to it
  --help                print this help

Calls change by hand through POST ${ADMIN_CALLS_PATH} {projectId, ...fields} and
PATCH ${ADMIN_CALLS_PATH}/<sid> {...fields}.
`;

/** A bad command line: the message names the flag. */
export class CliUsageError extends Error {}

function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new CliUsageError(`--${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

export interface CliConfig {
  help: boolean;
  options: EmulatorOptions;
  importFile: string | undefined;
  importProject: string | undefined;
}

export function parseCliArgs(argv: string[]): CliConfig {
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
        'live-rate': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'webhook-any-host': { type: 'boolean' },
        import: { type: 'string' },
        project: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const envelope = values.envelope;
  if (envelope !== undefined && envelope !== 'object' && envelope !== 'array') {
    throw new CliUsageError(`--envelope must be object or array, got ${JSON.stringify(envelope)}`);
  }
  if (values.host !== undefined && values.host.trim() === '') throw new CliUsageError('--host must not be empty');
  if (values.db !== undefined && values.db.trim() === '') throw new CliUsageError('--db must not be empty');
  if (values.import !== undefined && !values.project) throw new CliUsageError('--import needs --project <id>');
  if (values.project !== undefined && values.import === undefined) {
    throw new CliUsageError('--project is only used with --import');
  }
  if (values.project !== undefined && values.project.trim() === '') throw new CliUsageError('--project must not be empty');
  if (values['webhook-secret'] !== undefined && values['webhook-secret'] === '') {
    throw new CliUsageError('--webhook-secret must not be empty');
  }

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
  const liveRate = integerFlag('live-rate', values['live-rate'], 0, MAX_LIVE_CALLS_PER_MINUTE);
  if (liveRate !== undefined && liveRate > 0) options.live = { callsPerMinute: liveRate };
  if (values['webhook-secret'] !== undefined) options.webhookSecret = values['webhook-secret'];
  if (values['webhook-any-host']) options.webhookAnyHost = true;
  return { help: values.help ?? false, options, importFile: values.import, importProject: values.project };
}
