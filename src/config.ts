/**
 * Environment → typed configuration. Every problem becomes one line naming the variable, and the
 * caller prints them all at once, without a stack trace. Each provider is configured on its own:
 * with credentials it talks to its base URL; without, the gateway starts its embedded sandbox.
 * The variables are checked by the schemas in ./config/, and the types here follow from them.
 */

import { type ApiClient, loadApiClients } from './config/clients.js';
import { CredentialsSchema, credentialProblems, providersOf } from './config/credentials.js';
import { type Env, EnvSchema } from './config/schema.js';
import { tracingOf } from './config/tracing.js';
import { ledgerConfigOf } from './ledger/config.js';

export { type ApiClient, SCOPES, type Scope } from './config/clients.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Config = ReturnType<typeof configOf>;
export type EventsConfig = Config['events'];
export type SecurityConfig = Config['security'];
export type TracingConfig = NonNullable<Config['tracing']>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=` in an env file) means unset; coerced, it would read as 0.
  const given = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim())),
  );
  const parsed = EnvSchema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const access = loadApiClients(given);
  problems.push(...access.problems);
  const credentials = CredentialsSchema.safeParse(given);
  if (credentials.success) problems.push(...credentialProblems(credentials.data, access.clients.length));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return configOf(parsed.data, access.clients);
}

const withoutTrailingSlash = (url: string | undefined) => (url ? url.replace(/\/+$/, '') : null);

function configOf(e: Env, clients: ApiClient[]) {
  const { elepay, elopage } = providersOf(e);
  const allSandbox = elepay.mode === 'sandbox' && elopage.mode === 'sandbox';
  return {
    port: e.PORT,
    host: e.HOST,
    /** How long a client may take to send a whole request, headers and body (REQUEST_TIMEOUT_MS). */
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    /** Where providers and browsers reach the gateway; null = http://localhost:<bound port>. */
    publicUrl: withoutTrailingSlash(e.PUBLIC_URL),
    /**
     * Where the embedded simulators deliver their webhooks; null = the gateway's own listening
     * address (never PUBLIC_URL, which may not be reachable from inside a container).
     */
    sandboxWebhookUrl: withoutTrailingSlash(e.SANDBOX_WEBHOOK_URL),
    /** Whether the embedded simulators send webhooks (SANDBOX_WEBHOOKS=off: only the reconciler tells). */
    sandboxWebhooks: e.SANDBOX_WEBHOOKS,
    logLevel: e.LOG_LEVEL,
    graphiql: e.GRAPHIQL ?? allSandbox,
    /**
     * Bearer token `/metrics` asks for (METRICS_TOKEN). Unset: `/metrics` is served without one only
     * in open access (everything sandboxed, no API clients), and is off (404) otherwise.
     */
    metricsToken: e.METRICS_TOKEN ?? null,
    elepay: {
      ...elepay,
      secretKey: e.ELEPAY_SECRET_KEY ?? null,
      authScheme: e.ELEPAY_AUTH_SCHEME,
      webhookSecret: e.ELEPAY_WEBHOOK_SECRET ?? null,
      /** The secret being rotated out: signatures made with it stay valid until it is unset. */
      previousWebhookSecret: e.ELEPAY_WEBHOOK_SECRET_PREVIOUS ?? null,
      timeoutMs: e.ELEPAY_TIMEOUT_MS ?? e.PROVIDER_TIMEOUT_MS,
      maxConcurrency: e.ELEPAY_MAX_CONCURRENCY ?? e.PROVIDER_MAX_CONCURRENCY,
      /** How long the provider's circuit stays open before a probe call (src/providers/http.ts). */
      breakerCooldownMs: e.PROVIDER_BREAKER_COOLDOWN_MS,
      sandboxPort: e.ELEPAY_SANDBOX_PORT,
    },
    elopage: {
      ...elopage,
      apiKey: e.ELOPAGE_API_KEY ?? null,
      apiSecret: e.ELOPAGE_API_SECRET ?? null,
      currency: e.ELOPAGE_CURRENCY,
      webhookToken: e.ELOPAGE_WEBHOOK_TOKEN ?? null,
      timeoutMs: e.ELOPAGE_TIMEOUT_MS ?? e.PROVIDER_TIMEOUT_MS,
      maxConcurrency: e.ELOPAGE_MAX_CONCURRENCY ?? e.PROVIDER_MAX_CONCURRENCY,
      breakerCooldownMs: e.PROVIDER_BREAKER_COOLDOWN_MS,
      sandboxPort: e.ELOPAGE_SANDBOX_PORT,
    },
    events: {
      /** Redis for the shared event log, idempotency and rate limits; null = in memory (one instance). */
      redisUrl: e.REDIS_URL ?? null,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      retentionEvents: e.EVENT_RETENTION_EVENTS,
      retentionHours: e.EVENT_RETENTION_HOURS,
    },
    security: {
      clients,
      /** No clients and every provider on its sandbox: everything is open (the banner says so). */
      openAccess: allSandbox && clients.length === 0,
      /** Origins allowed to call from browsers; empty = no cross-origin access. */
      corsOrigins: e.CORS_ORIGINS,
      introspection: e.INTROSPECTION ?? allSandbox,
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxTokens: e.MAX_QUERY_TOKENS,
      maxDirectives: e.MAX_QUERY_DIRECTIVES,
      /** The most provider calls one operation may fan out to (QUERY_TOO_COMPLEX above it). */
      maxProviderCalls: e.MAX_PROVIDER_CALLS,
      /** Operations per client per minute (RATE_LIMITED above it). */
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    },
    /** The transaction ledger's database (DATABASE_URL; src/ledger/config.ts). */
    ledger: ledgerConfigOf(e.DATABASE_URL),
    /** How often the reconciler looks for non-final transactions due a poll. */
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    /** Days the ledger keeps final transactions after their last change; null: forever. */
    ledgerRetentionDays: e.LEDGER_RETENTION_DAYS ?? null,
    /** OpenTelemetry traces (./config/tracing.ts); null: none, and no OpenTelemetry module loaded. */
    tracing: tracingOf(e),
  };
}
