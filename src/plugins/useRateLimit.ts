import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { perMinuteBudget, type SharedBudgets } from '../budgets.js';
import type { Viewer } from '../context.js';
import type { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** Operations per client per minute, counted where every transport meets (see useRateLimit). */
export interface RateLimiter {
  readonly perMinute: number;
  /** Counts one operation for `bucket`: null when allowed, else the milliseconds until it would be. */
  consume(bucket: string): Promise<number | null>;
}

export interface RateLimiterOptions {
  perMinute: number;
  /** Shared counters across instances (src/budgets.ts); null = in this process only. */
  shared: SharedBudgets | null;
  logger: Logger;
}

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

/** RATE_LIMIT_PER_MINUTE per bucket, shared by every instance when REDIS_URL is set. */
export function createRateLimiter({ perMinute, shared, logger }: RateLimiterOptions): RateLimiter {
  const limiter = perMinuteBudget('ratelimit', perMinute, shared);
  return { perMinute, consume: (bucket) => consumeFrom(limiter, bucket, logger) };
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
          code: 'RATE_LIMITED' satisfies ErrorCode,
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
