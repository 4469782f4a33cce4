import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis connection for BullMQ and for nonces/rate limits. BullMQ workers need
 * maxRetriesPerRequest: null (blocking commands must not be retried by ioredis).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: false,
    connectionName: options.connectionName,
    ...options,
  });
}

/** Readiness check: PING answers PONG. */
export async function pingRedis(redis: Redis): Promise<void> {
  const answer = await redis.ping();
  if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
}
