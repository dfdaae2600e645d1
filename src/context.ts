/**
 * The GraphQL context: what lives as long as the gateway (Services: provider clients, event log,
 * idempotency store, settings) and what one operation adds (loaders, viewer, request ID).
 */
import type { Scope } from './config.js';
import type { EventLog } from './events/log.js';
import type { ElepaySignatureCheck } from './events/webhookIntake.js';
import type { IdempotencyStore } from './idempotency/store.js';
import type { Ledger } from './ledger/ledger.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { ElepayClient } from './providers/elepay/client.js';
import type { ElepaySandboxClient } from './providers/elepay/sandbox.js';
import type { ElopageClient } from './providers/elopage/client.js';
import type { ElopageSandboxClient } from './providers/elopage/sandbox.js';
import type { RedisConnections } from './redis.js';

/** What lives as long as the gateway: provider clients and the settings resolvers need. */
export interface Services {
  elepay: ElepayClient;
  elopage: ElopageClient;
  /** The simulators' helper routes, for the providers that run on one (null: a real provider). */
  sandbox: { elepay: ElepaySandboxClient | null; elopage: ElopageSandboxClient | null };
  /** elopage states no currency (providers/elopage.md, Conventions): inputs are validated in this one. */
  elopageCurrency: string;
  /** The gateway's own elopage webhook URL, the default `webhookUrl` of new sales pages. */
  elopageWebhookUrl: string;
  /** Checks an elepay webhook signature with the configured secrets (receivers, and replays). */
  checkElepaySignature: ElepaySignatureCheck;
  /** Verified status changes, for the subscription (events/). */
  events: EventLog;
  /** Idempotency records of keyed mutations (memory, or Redis shared by every instance). */
  idempotency: IdempotencyStore;
  /** Every transaction the gateway learned about, with its status history (src/ledger). */
  ledger: Ledger;
  /** Every Redis connection, for /readyz; null without REDIS_URL. */
  redis: RedisConnections | null;
  logger: Logger;
  /** The Prometheus registry and every metric family (src/metrics.ts). */
  metrics: Metrics;
}

/** Who is calling: an operator-configured API client and its scopes. */
export interface Viewer {
  /** The API client's name; null when access is open (every provider sandboxed, no clients). */
  client: string | null;
  scopes: ReadonlySet<Scope>;
  /**
   * The tenant the client acts for: it sees only that tenant's transactions, and those it creates
   * become the tenant's (docs/ledger.md, Tenants). Null: every transaction, as without tenants.
   */
  tenant: string | null;
}

/** What one GraphQL operation sees. Loaders are per request so their caches never go stale. */
export interface Context {
  services: Services;
  loaders: Loaders;
  requestId: string;
  logger: Logger;
  viewer: Viewer;
  /** The `Idempotency-Key` request header, when given (an input's idempotencyKey wins). */
  idempotencyKeyHeader: string | null;
}

export interface RequestFacts {
  requestId: string;
  viewer: Viewer;
  idempotencyKeyHeader: string | null;
}

/**
 * Builds the context of one operation on `target` (Yoga's own context object, so nothing has to
 * copy it). The request's child logger is made when first used: most operations log nothing, and
 * a pino child serializes and redacts its bindings as it is made (7 % of the memory a one-payment
 * read allocated, in the bench:gateway profile).
 */
export function createContext(services: Services, request: RequestFacts, target: object = {}): Context {
  let logger: Logger | undefined;
  const context = Object.assign(target, {
    services,
    loaders: createLoaders(services, {}, request.viewer.tenant),
    ...request,
  });
  return Object.defineProperty(context, 'logger', {
    enumerable: true,
    configurable: true,
    get: () =>
      (logger ??= services.logger.child({
        requestId: request.requestId,
        client: request.viewer.client ?? undefined,
      })),
  }) as Context;
}
