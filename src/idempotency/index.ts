import type { Config } from '../config.js';
import type { RedisConnections } from '../redis.js';
import { MemoryIdempotencyStore } from './memoryStore.js';
import type { IdempotencyStore } from './store.js';

export type { IdempotencyStore } from './store.js';

/**
 * The configured store: Redis when REDIS_URL is set (the same Redis and key prefix as the event log,
 * so keys hold across every instance), memory otherwise (one instance).
 */
export async function createIdempotencyStore(
  config: Config,
  redis: RedisConnections | null,
): Promise<IdempotencyStore> {
  const ttlMs = config.security.idempotencyTtlHours * 3_600_000;
  if (!redis) return new MemoryIdempotencyStore({ ttlMs });
  const { RedisIdempotencyStore } = await import('./redisStore.js');
  const store = new RedisIdempotencyStore({ redis, keyPrefix: config.events.redisKeyPrefix, ttlMs });
  await store.start();
  return store;
}
