import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MemoryIdempotencyStore } from './memoryStore.js';
import type { IdempotencyStore } from './store.js';

export { MemoryIdempotencyStore } from './memoryStore.js';
export type { IdempotencyStore } from './store.js';

/**
 * The configured store: Redis when REDIS_URL is set (the same Redis and key prefix as the event log,
 * so keys hold across every instance), memory otherwise (one instance).
 */
export async function createIdempotencyStore(config: Config, logger: Logger): Promise<IdempotencyStore> {
  const ttlMs = config.security.idempotencyTtlHours * 3_600_000;
  if (!config.events.redisUrl) return new MemoryIdempotencyStore({ ttlMs });
  const { RedisIdempotencyStore } = await import('./redisStore.js');
  const store = new RedisIdempotencyStore({
    url: config.events.redisUrl,
    keyPrefix: config.events.redisKeyPrefix,
    ttlMs,
    logger,
  });
  await store.start();
  return store;
}
