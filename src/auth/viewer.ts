import { createHash, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { BUDGET_WINDOW_MS, perMinuteBudget, type SharedBudgets } from '../budgets.js';
import { type ApiClient, SCOPES, type Scope, type SecurityConfig } from '../config.js';
import type { Viewer } from '../context.js';

/** Open access: every scope, no client name (only while no clients exist and every provider is sandboxed). */
export const OPEN_VIEWER: Viewer = Object.freeze({
  client: null,
  scopes: new Set<Scope>(SCOPES),
  tenant: null,
});

/** Why a caller could not be authenticated; the message never repeats what the caller sent. */
export type AuthenticationFailure = 'missing' | 'invalid';

export type AuthenticationResult = { viewer: Viewer } | { failure: AuthenticationFailure };

/** An address that sent too many wrong tokens: refused unheard for this long. */
export type Throttled = { retryInMs: number };

/**
 * Turns an `Authorization` value (HTTP header, SSE request, or graphql-ws `connectionParams`)
 * into the API client it belongs to. The configuration holds only SHA-256 digests of the tokens,
 * so the presented token is hashed and its digest compared with every client's digest.
 */
export interface Authenticator {
  /** No clients and every provider sandboxed: every caller gets every scope. */
  readonly open: boolean;
  readonly clientCount: number;
  authenticate(authorization: string | null | undefined): AuthenticationResult;
  /**
   * The same for a caller at a network address (HTTP and graphql-ws alike): wrong tokens count
   * against the address, and one over the limit is refused before its token is even looked at.
   */
  authenticateFrom(
    address: string | undefined,
    authorization: string | null | undefined,
  ): Promise<AuthenticationResult | Throttled>;
}

interface StoredClient {
  name: string;
  digest: Buffer;
  viewer: Viewer;
}

/** `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1), the token is taken as is. */
function bearerTokenOf(authorization: string): string | null {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

/** `shared`: where failed authentications are counted for every instance (null: this process only). */
export function createAuthenticator(
  security: Pick<SecurityConfig, 'clients' | 'openAccess'>,
  shared: SharedBudgets | null = null,
): Authenticator {
  const clients: StoredClient[] = security.clients.map((client: ApiClient) => ({
    name: client.name,
    digest: Buffer.from(client.tokenSha256, 'hex'),
    viewer: Object.freeze({
      client: client.name,
      scopes: new Set(client.scopes),
      tenant: client.tenant ?? null,
    }),
  }));
  // Open only when the configuration says so; with clients configured nothing is ever open, and
  // without clients but with a remote provider loadConfig refuses to start (fail closed here too).
  const open = security.openAccess && clients.length === 0;
  const failures = new FailedAuthentications(shared);
  const authenticator: Authenticator = {
    open,
    clientCount: clients.length,
    async authenticateFrom(address, authorization) {
      if (open) return { viewer: OPEN_VIEWER };
      const where = address ?? 'unknown';
      // Before the token: an address that guessed too often learns nothing more, not even from a
      // right guess, until its window has passed.
      const retryInMs = await failures.waitFor(where);
      if (retryInMs > 0) return { retryInMs };
      const result = authenticator.authenticate(authorization);
      if ('failure' in result && result.failure === 'invalid') await failures.count(where);
      return result;
    },
    authenticate(authorization) {
      if (open) return { viewer: OPEN_VIEWER };
      if (!authorization?.trim()) return { failure: 'missing' };
      const token = bearerTokenOf(authorization);
      if (!token) return { failure: 'invalid' };
      const digest = createHash('sha256').update(token, 'utf8').digest();
      // Compare with every client, without stopping at a match, so the time taken says nothing
      // about which client (if any) a guess came close to; equal-length digests for timingSafeEqual.
      let found: StoredClient | null = null;
      for (const client of clients) {
        if (timingSafeEqual(client.digest, digest) && !found) found = client;
      }
      return found ? { viewer: found.viewer } : { failure: 'invalid' };
    },
  };
  return authenticator;
}

/** Wrong tokens an address may send per minute before it is refused for the rest of the minute. */
export const FAILED_AUTHENTICATIONS_PER_MINUTE = 10;

/**
 * Wrong tokens per client address, counted by every instance on one Redis when REDIS_URL is set (a
 * guesser spread over instances spends one budget). While Redis does not answer, each instance counts
 * on its own (src/budgets.ts): authentication never waits on Redis past a command's deadline.
 */
class FailedAuthentications {
  private readonly limiter: RateLimiterAbstract;
  /**
   * When this instance last counted a wrong token (monotonic ms). Counted here alone, a minute
   * later every window has ended: until the next wrong token, no address can be over its budget,
   * and a request need not look its address up.
   */
  private lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly shared: SharedBudgets | null) {
    this.limiter = perMinuteBudget('failed-auth', FAILED_AUTHENTICATIONS_PER_MINUTE, shared);
  }

  /** Milliseconds until the address may try again; 0 when it may now. */
  async waitFor(address: string): Promise<number> {
    if (!this.shared && performance.now() - this.lastFailureAt > BUDGET_WINDOW_MS) return 0;
    const state = await this.limiter.get(address);
    return state && state.consumedPoints >= FAILED_AUTHENTICATIONS_PER_MINUTE
      ? Math.max(state.msBeforeNext, 1)
      : 0;
  }

  async count(address: string): Promise<void> {
    this.lastFailureAt = performance.now();
    await this.limiter.penalty(address);
  }
}

/**
 * The GraphQL error for a caller without a valid token. `extensions.http` makes Yoga answer 401
 * with a `WWW-Authenticate` challenge (RFC 6750); Yoga strips `http` from the body it sends.
 */
export function unauthenticatedError(failure: AuthenticationFailure): GraphQLError {
  return new GraphQLError(
    failure === 'missing'
      ? 'Authentication required: send "Authorization: Bearer <token>" with an API client token'
      : 'The API token is not valid',
    {
      extensions: {
        code: 'UNAUTHENTICATED',
        http: {
          status: 401,
          headers: {
            'WWW-Authenticate':
              failure === 'missing'
                ? 'Bearer realm="paygraph"'
                : 'Bearer realm="paygraph", error="invalid_token"',
          },
        },
      },
    },
  );
}
