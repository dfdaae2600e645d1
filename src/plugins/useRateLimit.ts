import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Viewer } from '../context.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis.js';

/** Operations per client per minute, counted where every transport meets (see useRateLimit). */
export interface RateLimiter {
  readonly perMinute: number;
  /** Counts one operation for `bucket`: null when allowed, else the milliseconds until it would be. */
  consume(bucket: string): Promise<number | null>;
  /** Releases the Redis connection, if any; never waits on Redis. */
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  perMinute: number;
  /** Shared counters across instances; null = in this process only. */
  redis: RedisConnections | null;
  redisKeyPrefix: string;
  logger: Logger;
}

const WINDOW_SECONDS = 60;

async function consumeFrom(
  limiter: RateLimiterAbstract,
  bucket: string,
  logger: Logger,
): Promise<number | null> {
  try {
    await limiter.consume(bucket);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(rejection.msBeforeNext, 0);
    // The store failed and so did its fallback: limiting is a safeguard, not a reason to refuse
    // every client, so the operation goes ahead.
    logger.warn(
      { err: { message: (rejection as Error)?.message } },
      'rate limiter unavailable; not limiting',
    );
    return null;
  }
}

/**
 * RateLimiterRedis when REDIS_URL is set, so every instance counts against the same budget;
 * RateLimiterMemory otherwise. While Redis is unreachable each instance falls back to counting on
 * its own (the insurance limiter) instead of waiting on Redis or failing the request.
 */
export function createRateLimiter({
  perMinute,
  redis: connections,
  redisKeyPrefix,
  logger,
}: RateLimiterOptions): RateLimiter {
  const memory = new RateLimiterMemory({
    points: perMinute,
    duration: WINDOW_SECONDS,
    keyPrefix: 'ratelimit',
  });
  if (!connections) {
    return {
      perMinute,
      consume: (bucket) => consumeFrom(memory, bucket, logger),
      close: async () => undefined,
    };
  }
  // Never waits behind a reconnect or a stalled Redis (src/redis.ts): the insurance limiter answers.
  const redis = connections.open('rateLimit');
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${redisKeyPrefix}ratelimit`,
    points: perMinute,
    duration: WINDOW_SECONDS,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
  return {
    perMinute,
    consume: (bucket) => consumeFrom(limiter, bucket, logger),
    // disconnect, not quit: nothing is pending that matters, and quit waits on an unreachable Redis.
    close: async () => redis.disconnect(),
  };
}

/**
 * Whose budget an operation spends: the API client's; in open access (no client), the caller's IP
 * address, so one busy sandbox user does not lock out the others. Over HTTP and WebSocket alike
 * the node request is in the context as `req` (Yoga's server context; websocket.ts passes it).
 */
export function rateLimitBucket(context: { viewer?: Viewer; req?: IncomingMessage } | undefined): string {
  const client = context?.viewer?.client;
  if (client) return `client:${client}`;
  const address = context?.req?.socket?.remoteAddress;
  return address ? `ip:${address}` : 'open';
}

/**
 * One point per operation, checked once the operation is about to execute or subscribe: that is
 * the one place HTTP, SSE and graphql-ws all pass, after the context knows the client, and before
 * any resolver (so any provider call) runs. A subscription counts once, when it starts. Over the
 * limit: RATE_LIMITED, HTTP 429 with Retry-After (Yoga turns `extensions.http` into both).
 */
export function useRateLimit(limiter: RateLimiter, logger: Logger): Plugin {
  const check = async (contextValue: unknown): Promise<GraphQLError | null> => {
    const bucket = rateLimitBucket(contextValue as Parameters<typeof rateLimitBucket>[0]);
    const waitMs = await limiter.consume(bucket);
    if (waitMs === null) return null;
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    logger.debug({ bucket, retryAfter }, 'rate limited');
    return new GraphQLError(
      `too many operations: the limit is ${limiter.perMinute} per minute; retry in ${retryAfter} s`,
      {
        extensions: {
          code: 'RATE_LIMITED',
          retryAfterSeconds: retryAfter,
          http: { status: 429, headers: { 'retry-after': String(retryAfter) } },
        },
      },
    );
  };
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
