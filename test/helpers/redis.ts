import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { REDIS_URL, uniqueName } from './env.ts';

export interface TestRedis {
  redis: Redis;
  /** This file's own key prefix; every key a test creates must start with it. */
  prefix: string;
}

/** Gives the calling test file a Redis connection and a key prefix; removes only keys under that prefix. */
export function useTestRedis(): TestRedis {
  const handle = { prefix: `${uniqueName('pwt')}:` } as TestRedis;
  beforeAll(() => {
    handle.redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    if (!handle.redis) return;
    await deleteByPrefix(handle.redis, handle.prefix);
    await handle.redis.quit();
  });
  return handle;
}

/** Deletes every key that starts with `prefix` (SCAN, never FLUSHALL). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
