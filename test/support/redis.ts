// A Redis key prefix of the test run's own (keys and channels live under it),
// removed afterwards. Only when TEST_REDIS_URL is set.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testServices } from './services.js';

export interface TestRedis {
  url: string;
  keyPrefix: string;
  /** Deletes every key under the prefix. */
  drop(): Promise<void>;
}

export function createTestRedis(): TestRedis | undefined {
  const url = testServices.redisUrl;
  if (!url) return undefined;
  const keyPrefix = `orders-test:${Date.now().toString(36)}-${randomBytes(4).toString('hex')}:`;
  return {
    url,
    keyPrefix,
    async drop() {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
