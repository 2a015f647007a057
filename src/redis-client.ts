import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

const require = createRequire(import.meta.url);

/**
 * A Redis connection. ioredis is loaded on the first one, so a server without REDIS_URL never loads it; it is a
 * CommonJS package, so this synchronous require gives the very module an `import` elsewhere would.
 */
export function connectToRedis(url: string, options: RedisOptions): Redis {
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  return new RedisClient(url, options);
}
