/**
 * Per-minute budgets per bucket (operations per API client, failed authentications per address),
 * counted by rate-limiter-flexible. With Redis every instance spends the same budget; an in-memory
 * insurance limiter answers whenever Redis does not (not connected, or not within BUDGET_TIMEOUT_MS),
 * so a Redis outage never holds or fails a caller: each instance counts on its own until Redis is
 * back.
 */
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';

/**
 * How long a budget waits for Redis before its insurance limiter answers instead. A request may
 * spend two budgets (failed authentications, then operations), so a stalled Redis must cost each
 * little; a healthy one answers in about a millisecond, and this leaves room for a busy event loop.
 * The connection keeps its ordinary command deadline (src/redis.ts), so /readyz does not call a
 * merely slow Redis stalled.
 */
const BUDGET_TIMEOUT_MS = 250;

/** Where budgets are shared: one Redis connection and the REDIS_KEY_PREFIX. */
export interface SharedBudgets {
  redis: Redis;
  keyPrefix: string;
}

const WINDOW_SECONDS = 60;
/** How long a budget's window lasts: a count older than this is spent no more. */
export const BUDGET_WINDOW_MS = WINDOW_SECONDS * 1000;

/** `points` per minute per bucket, under `name` (a key prefix); shared when `shared` is given. */
export function perMinuteBudget(
  name: string,
  points: number,
  shared: SharedBudgets | null,
): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix: name });
  if (!shared) return memory;
  const redis = new RateLimiterRedis({
    storeClient: shared.redis,
    keyPrefix: `${shared.keyPrefix}${name}`,
    points,
    duration: WINDOW_SECONDS,
    rejectIfRedisNotReady: true,
  });
  // The insurance belongs to the wrapper alone, so a count that Redis takes too long for is made
  // in memory once (not again when Redis's own deadline passes later).
  return new RLWrapperTimeouts({ limiter: redis, insuranceLimiter: memory, timeoutMs: BUDGET_TIMEOUT_MS });
}
