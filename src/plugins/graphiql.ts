import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type GraphiQLOptions, type Plugin, renderGraphiQL, shouldRenderGraphiQL } from 'graphql-yoga';

const gzip = promisify(gzipCallback);

/** The package whose prebuilt bundle Yoga's GraphiQL page loads (pinned in package.json); Yoga's page fetches it from a CDN. */
export const GRAPHIQL_PACKAGE = '@graphql-yoga/graphiql';
const CDN_DIST = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const REMOTE_FAVICON = /<link rel=icon href=[^>]+>/;
/** Assets live under `graphiql/<version>/`, relative to the GraphiQL page, so a proxy's path prefix is kept. */
const ASSET_PATH = /^(?:\/graphql)?\/graphiql\/([^/]+)\/(.+)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  contentType: string;
  body?: Buffer;
  gzipped?: Promise<Buffer>;
}

export interface GraphiQLPluginOptions {
  /** The GraphQL endpoint's path: GraphiQL answers a browser's GET on it. */
  endpoint: string;
  /** What Yoga's GraphiQL page is given: title, default tabs, whether headers persist. */
  options: GraphiQLOptions;
}

/**
 * GraphiQL with no network beyond this server: Yoga's page, answering a browser's GET on the endpoint, with its
 * script, stylesheet and editor workers served by this server from the installed `@graphql-yoga/graphiql` package
 * instead of a CDN (which users behind a firewall, or offline, cannot reach). Use it with `graphiql: false` in
 * `createYoga`, so that this plugin renders the page.
 */
export function useOfflineGraphiQL({ endpoint, options }: GraphiQLPluginOptions): Plugin {
  const { version, dist } = installedPackage();
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' }).map((name) => name.replaceAll('\\', '/'))) {
    const contentType = CONTENT_TYPES[file.slice(file.lastIndexOf('.'))];
    // The ES module build is for bundlers; the page loads the UMD one.
    if (contentType && !file.endsWith('.es.js')) assets.set(file, { contentType });
  }
  const page = renderGraphiQL(firstTabOpened(options))
    .replace(REMOTE_FAVICON, '<link rel=icon href="data:,">')
    .replace('Loading __TITLE__...', 'Loading GraphiQL...')
    .replace(CDN_DIST, `graphiql/${version}/`);
  const pageHeaders = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(page),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };

  // The assets this plugin answered with: they hold no caller data, and stay cacheable for good.
  const served = new WeakSet<Response>();
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const match = ASSET_PATH.exec(url.pathname);
      if (match) {
        const asset = match[1] === version ? assets.get(match[2]!) : undefined;
        return Promise.resolve(serveAsset(fetchAPI, request, asset, dist, match[2]!)).then((response) => {
          if (response.ok) served.add(response);
          endResponse(response);
        });
      }
      if ((url.pathname === endpoint || url.pathname === `${endpoint}/`) && shouldRenderGraphiQL(request)) {
        endResponse(new fetchAPI.Response(page, { headers: pageHeaders }));
      }
      return undefined;
    },
    // Placed after usePrivateResponses, which marks every response private: put the assets' caching back.
    onResponse({ response }) {
      if (served.has(response)) response.headers.set('cache-control', IMMUTABLE);
    },
  };
}

/**
 * The page's Content-Security-Policy: scripts only from this server and the page's own inline scripts (by
 * hash), requests only to this server, no framing (with `X-Frame-Options: DENY` for older browsers), no plugins,
 * forms or base URL. The editor's styles are inline and its workers may start from blobs.
 */
export function contentSecurityPolicy(page: string): string {
  const inline = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${inline.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** One asset, read on first demand and compressed once when a client asks for gzip (5 MB of script become 1.5 MB). */
function serveAsset(
  fetchAPI: { Response: typeof Response },
  request: Request,
  asset: Asset | undefined,
  dist: string,
  file: string,
): Promise<Response> | Response {
  const text = (status: number, body: string) =>
    new fetchAPI.Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  if (!asset) return text(404, 'Not Found');
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method Not Allowed');
  const body = (asset.body ??= readFileSync(join(dist, file)));
  const wantsGzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
  const content = wantsGzip ? (asset.gzipped ??= gzip(body)) : Promise.resolve(body);
  return content.then(
    (bytes) =>
      new fetchAPI.Response(request.method === 'HEAD' ? null : new Uint8Array(bytes), {
        headers: {
          'content-type': asset.contentType,
          'content-length': String(bytes.length),
          'cache-control': IMMUTABLE,
          'x-content-type-options': 'nosniff',
          vary: 'accept-encoding',
          ...(wantsGzip ? { 'content-encoding': 'gzip' } : {}),
        },
      }),
    () => text(500, 'Internal Server Error'),
  );
}

/** The installed package's version and `dist/` folder; it is a dependency, so its absence is an install error. */
function installedPackage(): { version: string; dist: string } {
  const manifest = createRequire(import.meta.url).resolve(`${GRAPHIQL_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { version, dist: join(dirname(manifest), 'dist') };
}

/**
 * This GraphiQL build fills the editors with its welcome text, not with the first of `defaultTabs`, unless the
 * page also gets the tab's query and variables as the initial ones (and its headers as the default headers).
 */
function firstTabOpened(options: GraphiQLOptions): GraphiQLOptions {
  const first = options.defaultTabs?.[0];
  if (!first) return options;
  const initial: GraphiQLOptions & { query?: string; variables?: string } = { ...options };
  if (first.query) initial.query = first.query;
  if (first.variables) initial.variables = first.variables;
  if (first.headers && initial.headers === undefined) initial.headers = first.headers;
  return initial;
}
