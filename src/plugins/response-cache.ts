import { createRedisCache } from '@envelop/response-cache-redis';
import { type Cache, createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectToRedis } from '../redis-client.js';
import { credentialOf, scopeOf } from '../upstream/credential.js';

/** Every Redis key this server writes starts with this, so a shared Redis can hold other data too. */
export const REDIS_KEY_PREFIX = 'call-history:response:';
/** How this server's connections show in Redis's CLIENT LIST. */
export const REDIS_CONNECTION_NAME = 'call-history-response-cache';

/**
 * Answers depend on the caller's credential: no shared cache may store them, and a browser cache must not
 * reuse one across credentials. Set on every GraphQL response, whether the response cache is on or not.
 */
export function usePrivateResponses(): Plugin {
  return {
    onResponse({ response }) {
      response.headers.set('Cache-Control', 'private, no-store');
      response.headers.append('Vary', 'Authorization, x-api-key');
      // The response cache adds validators (its ETag is the cache key); they mean nothing on `no-store`.
      response.headers.delete('ETag');
      response.headers.delete('Last-Modified');
    },
  };
}

export interface ResponseCacheOptions {
  ttlMs: number;
  /** Share entries between replicas through Redis; without it they stay in this process's memory. */
  redisUrl?: string | undefined;
  logger: Logger;
  /** Entries kept in memory when Redis is not used. */
  maxEntries?: number;
  /** Called once per cacheable request (one with a caller credential): was it served from the cache? */
  onLookup?: (result: 'hit' | 'miss') => void;
}

export interface ResponseCache {
  plugin: Plugin;
  /** Disconnects from Redis (nothing to do in memory). */
  close(): Promise<void>;
}

/** The mark the Yoga response cache puts on a result it served. */
const SERVED_FROM_CACHE = Symbol.for('servedFromResponseCache');

/**
 * The credential scope of the caller's own credential, or null without one. A server-side UPSTREAM_API_KEY
 * is deliberately ignored: requests it serves are never cached.
 */
const callerScope = (request: Request): string | null => {
  const credential = credentialOf(request.headers, undefined);
  return credential ? scopeOf(credential) : null;
};

/**
 * A response cache keyed by the operation, its variables and a hash of the caller's credential (never the
 * raw token). Only results without errors are stored, for `ttlMs`.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const logger = options.logger.child({ component: 'response-cache' });
  const connection = options.redisUrl ? connectRedis(options.redisUrl, logger) : undefined;
  const store = connection
    ? (createRedisCache({ redis: connection.redis }) as Cache)
    : createInMemoryCache({ max: options.maxEntries ?? 1_000 });

  const responseCache = useResponseCache({
    ttl: options.ttlMs,
    cache: responsesOnly(store, logger, connection?.available ?? (() => true)),
    session: (request) => callerScope(request),
    enabled: (request) => callerScope(request) !== null,
    shouldCacheResult: ({ result }) => !result.errors?.length,
    includeExtensionMetadata: false,
  });
  const onLookup = options.onLookup;
  const plugin: Plugin = {
    onPluginInit({ addPlugin }) {
      addPlugin(responseCache);
    },
    onResultProcess({ request, result }) {
      if (!onLookup || callerScope(request) === null) return;
      onLookup(typeof result === 'object' && result !== null && SERVED_FROM_CACHE in result ? 'hit' : 'miss');
    },
  };

  return {
    plugin,
    close: async () => connection?.close(),
  };
}

interface RedisConnection {
  redis: Redis;
  /** False while the connection is down: the cache is then skipped rather than waited for. */
  available(): boolean;
  close(): Promise<void>;
}

function connectRedis(url: string, logger: Logger): RedisConnection {
  const redis = connectToRedis(url, {
    keyPrefix: REDIS_KEY_PREFIX,
    connectionName: REDIS_CONNECTION_NAME,
    // A slow Redis turns into cache misses quickly instead of holding GraphQL requests.
    commandTimeout: 1_000,
    maxRetriesPerRequest: 1,
  });
  // Commands sent before the first connection wait for it; once a connection is lost they are skipped.
  let available = true;
  let warned = false;
  let closing = false;
  const down = (error?: Error) => {
    available = false;
    // ioredis reports every failed reconnection attempt: warn once per outage. The URL may hold a
    // password, so only the error's code and message are logged.
    if (warned || closing) return;
    warned = true;
    logger.warn(
      error ? { code: (error as NodeJS.ErrnoException).code, err: error.message } : {},
      'response cache: Redis is unreachable; serving without it',
    );
  };
  redis.on('ready', () => {
    available = true;
    if (warned) logger.info('response cache: Redis is reachable again');
    warned = false;
  });
  redis.on('close', () => down());
  redis.on('error', (error: Error) => down(error));
  return {
    redis,
    available: () => available,
    async close() {
      closing = true;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

/**
 * The API has no mutations, so nothing is ever invalidated by entity: store each response with its TTL
 * and skip the entity indexes (in Redis they would be sets without a TTL, growing forever). A failing
 * cache is a miss, never a failed request; the plugin does not await `set`, so its failure is caught here.
 * While the cache is known to be unavailable it is not asked at all, so requests do not wait on it.
 */
function responsesOnly(cache: Cache, logger: Logger, available: () => boolean): Cache {
  return {
    async get(key) {
      if (!available()) return undefined;
      try {
        return await cache.get(key);
      } catch (error) {
        logger.debug({ err: (error as Error).message }, 'response cache read failed');
        return undefined;
      }
    },
    async set(key, result, _entities, ttl) {
      if (!available()) return;
      try {
        await cache.set(key, withoutHttpExtensions(result), [], ttl);
      } catch (error) {
        logger.debug({ err: (error as Error).message }, 'response cache write failed');
      }
    },
    invalidate: () => undefined,
  };
}

/**
 * The stored entry without the validators the plugin adds: with no `Last-Modified` stored, the plugin's
 * `If-None-Match` shortcut (a 304 for any cache key a client names) never applies.
 */
function withoutHttpExtensions(result: ExecutionResult): ExecutionResult {
  if (!result.extensions || !('http' in result.extensions)) return result;
  const { http: _http, ...extensions } = result.extensions;
  const { extensions: _all, ...rest } = result;
  return Object.keys(extensions).length ? { ...rest, extensions } : rest;
}
