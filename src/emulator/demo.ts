import { iterateCalls } from './generate.js';
import type { CallStore, CredentialKind } from './store.js';

export const DEMO_PROJECT_ID = 'demo';
export const BUSY_PROJECT_ID = 'busy';
export const OTHER_PROJECT_ID = 'other';

/** Reads `demo` and `busy`. */
export const DEMO_API_KEY = 'demo-key';
/** Reads `demo` only. */
export const DEMO_BEARER_TOKEN = 'demo-token';
/** Reads `other` only. */
export const OTHER_API_KEY = 'other-key';

export const DEMO_SEED = 42;
export const DEMO_CALLS = 5_000;
export const DEMO_UNTIL = '2026-11-01';
export const DEMO_DAYS = 180;
export const BUSY_CALLS = 2_400;
export const BUSY_DAYS = 21;
/** The day of project `busy` with more calls than one page of 1,000 can hold. */
export const BUSY_DAY = '2026-10-20';
export const BUSY_DAY_CALLS = 1_300;
export const OTHER_CALLS = 6;

export interface DemoCredential {
  kind: CredentialKind;
  token: string;
  projects: string[];
}

export const DEMO_CREDENTIALS: readonly DemoCredential[] = [
  { kind: 'api-key', token: DEMO_API_KEY, projects: [DEMO_PROJECT_ID, BUSY_PROJECT_ID] },
  { kind: 'bearer', token: DEMO_BEARER_TOKEN, projects: [DEMO_PROJECT_ID] },
  { kind: 'api-key', token: OTHER_API_KEY, projects: [OTHER_PROJECT_ID] },
];

export interface DemoOptions {
  seed?: number;
  /** Size of project `demo` (default 5,000). */
  calls?: number;
}

/** Loads the demo projects and credentials; returns the number of calls per project. */
export function loadDemoData(store: CallStore, options: DemoOptions = {}): Record<string, number> {
  const seed = options.seed ?? DEMO_SEED;
  const loaded: Record<string, number> = {};
  loaded[DEMO_PROJECT_ID] = store.insertCalls(
    DEMO_PROJECT_ID,
    iterateCalls({ projectId: DEMO_PROJECT_ID, count: options.calls ?? DEMO_CALLS, seed, until: DEMO_UNTIL, days: DEMO_DAYS }),
  );
  loaded[BUSY_PROJECT_ID] = store.insertCalls(
    BUSY_PROJECT_ID,
    iterateCalls({
      projectId: BUSY_PROJECT_ID,
      count: BUSY_CALLS,
      seed,
      until: DEMO_UNTIL,
      days: BUSY_DAYS,
      denseDay: { date: BUSY_DAY, calls: BUSY_DAY_CALLS },
    }),
  );
  loaded[OTHER_PROJECT_ID] = store.insertCalls(
    OTHER_PROJECT_ID,
    iterateCalls({ projectId: OTHER_PROJECT_ID, count: OTHER_CALLS, seed, until: DEMO_UNTIL, days: 30 }),
  );
  for (const credential of DEMO_CREDENTIALS) store.grant(credential.kind, credential.token, credential.projects);
  return loaded;
}
