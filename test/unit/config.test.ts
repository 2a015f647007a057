import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, loadConfig, SETTINGS } from '../../src/config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 4000,
      HOST: '127.0.0.1',
      UPSTREAM_TIMEOUT_MS: 10_000,
      UPSTREAM_MAX_PAGE_SIZE: 1000,
      RESPONSE_CACHE_TTL_MS: 0,
      LOG_LEVEL: 'info',
    });
    expect(config.UPSTREAM_URL).toBeUndefined();
  });

  it('flags mirror the variables and win over them', () => {
    expect(loadConfig({ PORT: '1' }, ['--port', '2', '--upstream-url=http://127.0.0.1:9']).PORT).toBe(2);
    expect(loadConfig({}, ['--upstream-url=http://127.0.0.1:9']).UPSTREAM_URL).toBe('http://127.0.0.1:9');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['UPSTREAM_URL', 'ftp://x'],
    ['UPSTREAM_TIMEOUT_MS', '-1'],
    ['UPSTREAM_MAX_PAGE_SIZE', '1001'],
    ['LOG_LEVEL', 'loud'],
  ])('a bad %s stops with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}:`));
  });

  it('never echoes a secret value in its message', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@redis' })).toThrow(/REDIS_URL/);
    try {
      loadConfig({ REDIS_URL: 'http://user:hunter2@redis' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('CURSOR_SECRET: at least 32 characters, and a short one is not echoed', () => {
    expect(loadConfig({ CURSOR_SECRET: 's'.repeat(32) }).CURSOR_SECRET).toBe('s'.repeat(32));
    expect(loadConfig({}).CURSOR_SECRET).toBeUndefined();
    expect(() => loadConfig({ CURSOR_SECRET: 'hunter2-short' })).toThrow(/^CURSOR_SECRET:/);
    expect(() => loadConfig({ CURSOR_SECRET: 'hunter2-short' })).not.toThrow(/hunter2/);
  });

  it('unknown flags are refused', () => {
    expect(() => loadConfig({}, ['--prot', '1'])).toThrow(/unknown flag --prot/);
  });

  it('--help lists every setting', () => {
    const help = helpText();
    for (const name of Object.keys(SETTINGS)) expect(help).toContain(name);
  });
});

describe('README', () => {
  it('documents every setting with its default (run `npm run docs:settings`)', async () => {
    const { readFileSync } = await import('node:fs');
    const { settingsTable } = await import('../../src/config.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`<!-- settings-table:start -->\n${settingsTable()}\n<!-- settings-table:end -->`);
  });
});
