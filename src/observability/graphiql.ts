import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type GraphiQLOptions, renderGraphiQL } from 'graphql-yoga';

const gzip = promisify(gzipCallback);

/** The package whose prebuilt bundle Yoga's GraphiQL page loads; Yoga's page fetches it from a CDN. */
export const GRAPHIQL_PACKAGE = '@graphql-yoga/graphiql';
const CDN_DIST = /https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g;
const REMOTE_FAVICON = /<link rel=icon href=[^>]+>/;
/** Assets live under `graphiql/<version>/`, relative to the GraphiQL page, so a proxy's path prefix is kept. */
const ASSET_PATH = /^(?:\/graphql)?\/graphiql\/([^/]+)\/(.+)$/;
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  contentType: string;
  body: Buffer;
  gzipped?: Promise<Buffer>;
}

/**
 * GraphiQL with no network beyond this server: the page Yoga renders, with its script, stylesheet and editor
 * workers served by this server from a copy of the `@graphql-yoga/graphiql` package instead of a CDN (which users
 * behind a firewall, or offline, cannot reach).
 */
export class GraphiQLAssets {
  private readonly assets = new Map<string, Asset>();

  private constructor(
    readonly version: string,
    private readonly dist: string,
    files: string[],
  ) {
    for (const file of files) {
      const extension = file.slice(file.lastIndexOf('.'));
      const contentType = CONTENT_TYPES[extension];
      // The ES module build is for bundlers; the page loads the UMD one.
      if (contentType && !file.endsWith('.es.js')) this.assets.set(file, { contentType, body: Buffer.alloc(0) });
    }
  }

  /**
   * The assets of the installed package, else of the copy in `graphiql-assets/` (found from this file,
   * so it works from `src/` and from a build); undefined when neither exists (the page then uses the CDN).
   */
  static locate(from: string = import.meta.url): GraphiQLAssets | undefined {
    const manifest = installedManifest(from) ?? vendoredManifest(from);
    if (!manifest) return undefined;
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const dist = join(dirname(manifest), 'dist');
    if (!existsSync(dist)) return undefined;
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).map((file) => file.replaceAll('\\', '/'));
    return new GraphiQLAssets(version, dist, files);
  }

  /** Yoga's GraphiQL page, pointing at the local assets. */
  render = (options: GraphiQLOptions): string =>
    renderGraphiQL(firstTabOpened(options))
      .replace(REMOTE_FAVICON, '<link rel=icon href="data:,">')
      .replace('Loading __TITLE__...', 'Loading GraphiQL...')
      .replace(CDN_DIST, `graphiql/${this.version}/`);

  /** Serves a GraphiQL asset; returns false when the request is not for one. */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const match = ASSET_PATH.exec(pathname);
    if (!match) return false;
    const asset = match[1] === this.version ? this.asset(match[2]!) : undefined;
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(asset ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end(asset ? 'Method Not Allowed' : 'Not Found');
      return true;
    }
    const wantsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    // Compressed once, on first demand: the bundle shrinks from about 5 MB to about 1.5 MB.
    const content = wantsGzip ? (asset.gzipped ??= gzip(asset.body)) : Promise.resolve(asset.body);
    void content.then(
      (body) => {
        res.writeHead(200, {
          'content-type': asset.contentType,
          'content-length': body.length,
          'cache-control': 'public, max-age=31536000, immutable',
          'x-content-type-options': 'nosniff',
          vary: 'accept-encoding',
          ...(wantsGzip ? { 'content-encoding': 'gzip' } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500).end(),
    );
    return true;
  }

  private asset(file: string): Asset | undefined {
    const asset = this.assets.get(file);
    if (asset && asset.body.length === 0) asset.body = readFileSync(join(this.dist, file));
    return asset;
  }
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

function installedManifest(from: string): string | undefined {
  try {
    return createRequire(from).resolve(`${GRAPHIQL_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
}

/** `graphiql-assets/` beside this file in `src/`, or `src/observability/graphiql-assets/` from a build in `dist/`. */
function vendoredManifest(from: string): string | undefined {
  let dir = dirname(fileURLToPath(from));
  for (let depth = 0; depth < 3; depth++) {
    for (const candidate of [join(dir, 'graphiql-assets'), join(dir, 'src', 'observability', 'graphiql-assets')]) {
      const manifest = join(candidate, 'package.json');
      if (existsSync(manifest)) return manifest;
    }
    dir = dirname(dir);
  }
  return undefined;
}
