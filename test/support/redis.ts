/**
 * Real Redis for integration tests: REDIS_URL if set (scripts/test.sh sets it after making sure a
 * server runs), else 127.0.0.1:6379. Each test file gets its own key prefix so files running in
 * parallel never see each other's queues, and deletes its keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export interface TestRedis {
  url: string;
  /** BullMQ prefix unique to this test file. */
  prefix: string;
  client: Redis;
  cleanup(): Promise<void>;
}

export async function openTestRedis(): Promise<TestRedis> {
  const url = redisUrl();
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new Error(`Redis not reachable at ${url}: run the tests through \`npm test\` (it starts redis-server) or set REDIS_URL. (${String(e)})`, {
      cause: e,
    });
  }
  const prefix = `egtest-${randomBytes(4).toString('hex')}`;
  return {
    url,
    prefix,
    client,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await client.del(...keys);
      } while (cursor !== '0');
      client.disconnect();
    },
  };
}
