import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { runMain } from './main-process.js';

// The configuration as `npm start` users meet it: the real entry point in its own process.
// Each test starts the entry point through tsx, which takes seconds on a loaded machine: runMain's own limit applies.
describe('npm start configuration', { timeout: 90_000 }, () => {
  it('--help lists every setting with its flag, and exits 0', async () => {
    const { code, stdout, stderr } = await runMain({}, ['--help']);
    expect(code).toBe(0);
    for (const name of Object.keys(SETTINGS)) {
      expect(stdout).toMatch(new RegExp(`^\\s+${name}\\s+--${name.toLowerCase().replaceAll('_', '-')}\\s+\\S`, 'm'));
    }
    expect(stdout + stderr).not.toContain('GraphQL API:');
  });

  // Each case is a process of its own: they run side by side.
  it.concurrent.each([
    ['PORT', { PORT: 'abc' }, [], /^Configuration error: PORT: .*"abc"/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, [], /^Configuration error: OTEL_EXPORTER_OTLP_ENDPOINT: /],
    ['flag', {}, ['--upstream-timeout-ms', 'soon'], /^Configuration error: UPSTREAM_TIMEOUT_MS: .*"soon"/],
    ['unknown flag', {}, ['--colour', 'red'], /^Configuration error: unknown flag --colour/],
  ] as const)('a bad %s stops the start with exit code 2 and a message naming it', async (_what, env, args, message) => {
    const { code, stdout, stderr } = await runMain({ ...env }, [...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout + stderr).not.toContain('GraphQL API:');
  });
});
