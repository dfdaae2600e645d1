import type { EventsConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis.js';
import type { EventLog } from './log.js';
import { MemoryEventLog } from './memoryLog.js';

/** The configured event log: Redis Streams when REDIS_URL is set (`redis`), memory otherwise. */
export async function createEventLog(
  config: EventsConfig,
  logger: Logger,
  redis: RedisConnections | null,
): Promise<EventLog> {
  const retention = { maxEvents: config.retentionEvents, maxAgeMs: config.retentionHours * 3_600_000 };
  if (!redis) return new MemoryEventLog(retention);
  // Imported only with Redis configured: a single instance never loads ioredis.
  const { RedisEventLog } = await import('./redisLog.js');
  const log = new RedisEventLog({ redis, keyPrefix: config.redisKeyPrefix, retention, logger });
  await log.start();
  return log;
}
