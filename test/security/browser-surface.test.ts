import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { defaultAllowedHosts, hostnameOf } from '../../src/http/browser-surface.js';
import { loadConfig, parseOrigins } from '../../src/config.js';
import type { TestApp } from '../support/app.js';
import { vendorRecord } from '../support/fixtures.js';
import { sharedRecordingUpstream } from '../support/recording-stack.js';

const QUERY = JSON.stringify({ query: '{ callHistory(projectId: "p", first: 1) { nodes { sid } } }' });
const EVIL = 'https://evil.example';
const APP = 'https://app.example.com';

describe('a closed browser surface', () => {
  const shared = sharedRecordingUpstream();
  const startApp = shared.startApp;

  const preflight = (api: TestApp, origin: string) =>
    request(`${api.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' },
    });
  const post = (api: TestApp, headers: Record<string, string>) =>
    request(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: QUERY });

  describe('CORS', () => {
    it('by default no origin is allowed: neither the preflight nor the answer carries an allow-origin', async () => {
      const api = await startApp({ UPSTREAM_API_KEY: 'server-key' });
      const pre = await preflight(api, EVIL);
      await pre.body.dump();
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      expect(pre.headers['access-control-allow-headers']).toBeUndefined();

      const answer = await post(api, { origin: EVIL });
      await answer.body.dump();
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('CORS_ORIGINS is an allow-list: a listed origin gets itself back with credentials, another gets nothing', async () => {
      const api = await startApp({ CORS_ORIGINS: `${APP}, http://localhost:3000` });
      const listed = await preflight(api, APP);
      await listed.body.dump();
      expect(listed.headers['access-control-allow-origin']).toBe(APP);
      expect(listed.headers['access-control-allow-credentials']).toBe('true');
      expect(String(listed.headers['access-control-allow-headers'])).toContain('x-api-key');

      const answer = await post(api, { origin: APP, 'x-api-key': 'k' });
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(await answer.body.json()).toMatchObject({ data: { callHistory: { nodes: [{ sid: vendorRecord().callSid }] } } });

      for (const origin of [EVIL, 'null', `${APP}.evil.example`]) {
        const other = await preflight(api, origin);
        await other.body.dump();
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
        expect(other.headers['access-control-allow-credentials']).toBeUndefined();
        const otherAnswer = await post(api, { origin, 'x-api-key': 'k' });
        await otherAnswer.body.dump();
        expect(otherAnswer.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('a CORS_ORIGINS entry that is not an origin stops the start', () => {
      expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/CORS_ORIGINS/);
      expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
      expect(parseOrigins(`${APP}/, http://localhost:3000`)).toEqual([APP, 'http://localhost:3000']);
    });
  });

  describe('Host check with UPSTREAM_API_KEY (DNS rebinding)', () => {
    it('a request naming another host is refused with 421 before anything runs; the bound host and localhost are served', async () => {
      const api = await startApp({ UPSTREAM_API_KEY: 'server-key' });
      const port = new URL(api.url).port;
      const refused = await post(api, { host: `evil.example:${port}` });
      expect(refused.statusCode).toBe(421);
      expect(await refused.body.json()).toEqual({
        errors: [{ message: expect.stringMatching(/ALLOWED_HOSTS/), extensions: { code: 'HOST_NOT_ALLOWED' } }],
      });
      expect(shared.upstream.requests).toHaveLength(0);

      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST']) {
        const served = await post(api, { host });
        expect(served.statusCode).toBe(200);
        expect(await served.body.json()).toMatchObject({ data: { callHistory: { nodes: [{ sid: vendorRecord().callSid }] } } });
      }
      // The server key was used: no credential came with these requests.
      expect(shared.upstream.requests.every((r) => r.headers['x-api-key'] === 'server-key')).toBe(true);
    });

    it('ALLOWED_HOSTS replaces the default list; * turns the check off', async () => {
      const listed = await startApp({ UPSTREAM_API_KEY: 'server-key', ALLOWED_HOSTS: 'calls.internal, 10.0.0.5' });
      expect((await post(listed, { host: 'calls.internal:4000' })).statusCode).toBe(200);
      expect((await post(listed, { host: '10.0.0.5' })).statusCode).toBe(200);
      const local = await post(listed, { host: '127.0.0.1' });
      expect(local.statusCode).toBe(421);
      await local.body.dump();

      const any = await startApp({ UPSTREAM_API_KEY: 'server-key', ALLOWED_HOSTS: '*' });
      const served = await post(any, { host: 'evil.example' });
      expect(served.statusCode).toBe(200);
      await served.body.dump();
    });

    it('without UPSTREAM_API_KEY (callers bring their own credential) any Host is served', async () => {
      const api = await startApp({});
      const served = await post(api, { host: 'calls.example.com', 'x-api-key': 'k' });
      expect(served.statusCode).toBe(200);
      await served.body.dump();
    });

    it('host names are compared without port, brackets or case', () => {
      expect(hostnameOf('Example.COM:8080')).toBe('example.com');
      expect(hostnameOf('[::1]:4000')).toBe('::1');
      expect(hostnameOf('[::1]')).toBe('::1');
      expect(hostnameOf('127.0.0.1')).toBe('127.0.0.1');
      expect(defaultAllowedHosts('127.0.0.1')).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1']));
      expect(defaultAllowedHosts('calls.internal')).toContain('calls.internal');
      // A wildcard bind answers on every interface: each of their addresses is a name it goes by.
      expect(defaultAllowedHosts('0.0.0.0')).toContain('127.0.0.1');
    });
  });
});
