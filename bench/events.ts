/**
 * Upstream requests per poll interval for callEvents: 1 subscriber, then 100 subscribers of one credential and
 * project, on one replica against the embedded emulator. Run: npx tsx bench/events.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_API_KEY, DEMO_PROJECT_ID } from '../src/emulator/demo.js';
import { startEmulatorStack } from '../test/support/emulator-app.js';
import { subscribeSse } from '../test/support/live-events.js';

const INTERVAL_MS = 1_000;
const INTERVALS = 5;

async function measure(subscribers: number): Promise<number> {
  const stack = await startEmulatorStack({ calls: 500 }, { EVENTS_POLL_INTERVAL_MS: String(INTERVAL_MS), MAX_SUBSCRIPTIONS_PER_CREDENTIAL: '100', LOG_LEVEL: 'warn' });
  try {
    const subs = await Promise.all(
      Array.from({ length: subscribers }, () => subscribeSse(stack.api.url, { projectId: DEMO_PROJECT_ID }, { 'x-api-key': DEMO_API_KEY })),
    );
    await sleep(INTERVAL_MS * 1.5);
    const open = stack.api.app.events.stats();
    if (open.subscriptions !== subscribers || open.watchers !== 1) throw new Error(`expected ${subscribers} subscriptions on 1 watcher: ${JSON.stringify(open)}`);
    stack.emulator.clearRequests();
    await sleep(INTERVAL_MS * INTERVALS);
    const requests = stack.emulator.requests().length;
    for (const sub of subs) sub.close();
    return requests / INTERVALS;
  } finally {
    await stack.close();
  }
}

for (const n of [1, 100]) console.log(`${n} subscriber(s): ${(await measure(n)).toFixed(1)} upstream requests per interval`);
