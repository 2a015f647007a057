import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

// What the browser test needs, checked without a browser: the page loads nothing from another host.
describe('GraphiQL page and its assets', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  let page: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url);
    page = await (await request(`${api.url}/graphql`, { headers: { accept: 'text/html' } })).body.text();
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  it('is sent with a Content-Security-Policy that allows only this server and its own inline scripts, and no framing', async () => {
    const response = await request(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    const body = await response.body.text();
    expect(response.headers['x-frame-options']).toBe('DENY');
    const csp = String(response.headers['content-security-policy']);
    const directives = Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    const inlineHashes = [...body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
      (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
    );
    expect(inlineHashes.length).toBeGreaterThan(0);
    expect(directives['script-src']!.sort()).toEqual(["'self'", ...inlineHashes].sort());
    expect(csp).not.toMatch(/unsafe-eval|\*/);
  });

  const assetPaths = () => [...page.matchAll(/(?:href=|src=|:")(graphiql\/[^\s>"]+)/g)].map((m) => m[1]!);

  it('refers to no other host, and opens on the example query and its variables', () => {
    expect(page).not.toMatch(/https?:\/\//);
    expect(assetPaths().sort()).toEqual(
      [
        'graphiql.css',
        'monacoeditorwork/editor.worker.bundle.js',
        'monacoeditorwork/graphql.worker..bundle.js',
        'monacoeditorwork/json.worker.bundle.js',
        'yoga-graphiql.umd.js',
      ].map((file) => expect.stringMatching(new RegExp(`^graphiql/[\\d.]+/${file.replaceAll('.', '\\.')}$`))),
    );
    expect(page).toContain('query RecentCalls(');
    expect(page).toContain('\\"projectId\\": \\"demo\\"');
    expect(page).toContain('x-api-key');
  });

  it('offers a second tab with the live events subscription, after the example query', () => {
    const query = page.indexOf('query RecentCalls(');
    const subscription = page.indexOf('subscription CallEvents($projectId: ID!)');
    expect(query).toBeGreaterThan(-1);
    expect(subscription).toBeGreaterThan(query);
    expect(page.slice(subscription)).toContain('callEvents(projectId: $projectId)');
    // GraphiQL subscribes with a GET: without the CSRF header, CSRF prevention would refuse it.
    expect(page).toContain('x-graphql-yoga-csrf');
  });

  it('serves every asset it refers to, compressed when asked, cacheable for good', async () => {
    for (const path of assetPaths()) {
      const plain = await request(`${api.url}/${path}`);
      const body = Buffer.from(await plain.body.arrayBuffer());
      expect(plain.statusCode, path).toBe(200);
      expect(plain.headers['content-type']).toMatch(path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(body.length).toBeGreaterThan(10_000);

      const gzipped = await request(`${api.url}/${path}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      const compressed = Buffer.from(await gzipped.body.arrayBuffer());
      expect(compressed.length).toBeLessThan(body.length);
      expect(gunzipSync(compressed).equals(body)).toBe(true);
    }
  });

  it('serves nothing else under its path', async () => {
    const version = /graphiql\/([^/]+)\//.exec(assetPaths()[0]!)![1]!;
    for (const path of [`graphiql/0.0.0/yoga-graphiql.umd.js`, `graphiql/${version}/package.json`, `graphiql/${version}/../../package.json`, `graphiql/${version}/LICENSE`]) {
      const response = await request(`${api.url}/${path}`);
      await response.body.dump();
      expect(response.statusCode, path).toBe(404);
    }
  });
});
