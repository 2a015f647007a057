import { request } from 'undici';
import {
  CALL_HISTORY_PATH,
  CHAOS_PATH,
  generateCalls,
  type ChaosRuleInput,
  type RunningEmulator,
} from '../../src/emulator/index.js';

export const FAULT_TEST_KEY = 'fault-suite-key';

/** Sets a chaos rule through the emulator's control endpoint, as an operator would. */
export async function setChaos(emulator: RunningEmulator, rule: ChaosRuleInput): Promise<void> {
  const response = await request(`${emulator.url}${CHAOS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`chaos rule refused (${response.statusCode}): ${text}`);
}

export async function clearChaos(emulator: RunningEmulator): Promise<void> {
  const response = await request(`${emulator.url}${CHAOS_PATH}`, { method: 'DELETE' });
  await response.body.dump();
}

let projects = 0;

/** A fresh project with a few calls, readable by FAULT_TEST_KEY, so each test has its own chaos rule and log. */
export function newProject(emulator: RunningEmulator, calls = 12): string {
  const projectId = `fault-${process.pid}-${++projects}`;
  emulator.store.insertCalls(projectId, generateCalls({ projectId, count: calls, seed: projects, days: 10 }));
  emulator.store.grant('api-key', FAULT_TEST_KEY, [projectId]);
  return projectId;
}

/** How many requests for the project reached the emulator's call-history endpoint. */
export function attempts(emulator: RunningEmulator, projectId: string): number {
  return emulator.requests({ projectId }).filter((entry) => entry.path === CALL_HISTORY_PATH).length;
}
