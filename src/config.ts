import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isKnownCurrency } from './domain/money.js';
import { databaseUrlVariable, type LedgerConfig, ledgerConfigOf } from './ledger/config.js';

/**
 * Environment → typed configuration. Every problem becomes one line naming the variable, and
 * the caller prints them all at once, without a stack trace. Each provider is configured on its own:
 * with credentials it talks to its base URL; without, the gateway starts its embedded sandbox.
 */
export interface ElepayConfig {
  /** `remote`: credentials given, talk to baseUrl. `sandbox`: start the embedded simulator. */
  mode: 'remote' | 'sandbox';
  baseUrl: string;
  secretKey: string | null;
  authScheme: 'basic' | 'bearer';
  webhookSecret: string | null;
  /** The secret being rotated out: signatures made with it stay valid until it is unset. */
  previousWebhookSecret: string | null;
  timeoutMs: number;
  maxConcurrency: number;
  /** How long the provider's circuit stays open before a probe call (src/providers/http.ts). */
  breakerCooldownMs: number;
  sandboxPort: number;
}

export interface ElopageConfig {
  mode: 'remote' | 'sandbox';
  baseUrl: string;
  apiKey: string | null;
  apiSecret: string | null;
  currency: string;
  webhookToken: string | null;
  timeoutMs: number;
  maxConcurrency: number;
  /** How long the provider's circuit stays open before a probe call (src/providers/http.ts). */
  breakerCooldownMs: number;
  sandboxPort: number;
}

export interface EventsConfig {
  /** Redis for the shared event log; null = in memory (one instance). */
  redisUrl: string | null;
  redisKeyPrefix: string;
  retentionEvents: number;
  retentionHours: number;
}

export type Scope = 'read' | 'write' | 'refund';

/** An API client the operator configured: the token itself is never stored, only its SHA-256. */
export interface ApiClient {
  name: string;
  tokenSha256: string;
  scopes: Scope[];
}

export interface SecurityConfig {
  clients: ApiClient[];
  /** No clients and every provider on its sandbox: everything is open (the banner says so). */
  openAccess: boolean;
  /** Origins allowed to call from browsers; empty = no cross-origin access. */
  corsOrigins: string[];
  introspection: boolean;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** The most provider calls one operation may fan out to (QUERY_TOO_COMPLEX above it). */
  maxProviderCalls: number;
  /** Operations per client per minute (RATE_LIMITED above it). */
  rateLimitPerMinute: number;
  idempotencyTtlHours: number;
}

export interface Config {
  port: number;
  host: string;
  /** How long a client may take to send a whole request, headers and body (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Where providers and browsers reach the gateway; null = http://localhost:<bound port>. */
  publicUrl: string | null;
  /**
   * Where the embedded simulators deliver their webhooks; null = the gateway's own listening
   * address (never PUBLIC_URL, which may not be reachable from inside a container).
   */
  sandboxWebhookUrl: string | null;
  logLevel: string;
  graphiql: boolean;
  /**
   * Bearer token `/metrics` asks for (METRICS_TOKEN). Unset: `/metrics` is served without one only
   * in open access (everything sandboxed, no API clients), and is off (404) otherwise.
   */
  metricsToken: string | null;
  elepay: ElepayConfig;
  elopage: ElopageConfig;
  events: EventsConfig;
  security: SecurityConfig;
  /** The transaction ledger's database (DATABASE_URL; src/ledger/config.ts). */
  ledger: LedgerConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_ELEPAY_BASE_URL = 'https://api.elepay.io';
const DEFAULT_ELOPAGE_BASE_URL = 'https://elopage.com/api';

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const port = (fallback: number) =>
  z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(fallback);

const positiveIntOrUnset = (max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .optional();

const positiveInt = (fallback: number, max: number) => positiveIntOrUnset(max).default(fallback);

const flag = <F extends boolean | undefined>(fallback: F) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
    .optional()
    .transform((value): boolean | F =>
      value === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(value),
    );

const httpUrl = z
  .string()
  .trim()
  .refine(
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    'must be an http(s) URL',
  )
  // Paths are appended to these URLs and the banner prints them: a user:password, a query or a
  // fragment would be dropped or break the joined URL, and could put a credential in the logs.
  .refine((value) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    return !url || (!url.username && !url.password && !url.search && !url.hash);
  }, 'must not contain a user name, password, query or fragment')
  .optional();

const EnvSchema = z.object({
  PORT: port(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl,
  SANDBOX_WEBHOOK_URL: httpUrl,
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  // GraphiQL and introspection default to on only when every provider runs on its sandbox.
  GRAPHIQL: flag(undefined),
  INTROSPECTION: flag(undefined),
  PAYGRAPH_CLIENTS: optionalText,
  PAYGRAPH_CLIENTS_FILE: optionalText,
  CORS_ORIGINS: optionalText,
  MAX_QUERY_DEPTH: positiveInt(12, 100),
  MAX_QUERY_ALIASES: positiveInt(30, 1000),
  MAX_QUERY_TOKENS: positiveInt(5000, 100_000),
  MAX_QUERY_DIRECTIVES: positiveInt(20, 1000),
  MAX_PROVIDER_CALLS: positiveInt(100, 10_000),
  // Generous: a backend client re-opening a thousand subscriptions after a deploy is legitimate; the
  // per-operation limits (MAX_PROVIDER_CALLS) and the provider pools bound what each one costs.
  RATE_LIMIT_PER_MINUTE: positiveInt(3000, 1_000_000),
  IDEMPOTENCY_TTL_HOURS: positiveInt(24, 24 * 30),
  PROVIDER_TIMEOUT_MS: positiveInt(10_000, 120_000),
  REQUEST_TIMEOUT_MS: positiveInt(30_000, 300_000),
  // A connection budget, not a throttle: at 10 connections and a provider's 100 ms a page listing
  // 20 payments already queued for seconds. 128 connections carry ~1,280 calls/s at 100 ms; size it
  // down to a provider's rate limit × its latency (README, Provider concurrency).
  PROVIDER_MAX_CONCURRENCY: positiveInt(128, 1024),
  PROVIDER_BREAKER_COOLDOWN_MS: positiveInt(10_000, 600_000),

  ELEPAY_BASE_URL: httpUrl,
  ELEPAY_SECRET_KEY: optionalText,
  ELEPAY_AUTH_SCHEME: z
    .enum(['basic', 'bearer'], { message: 'must be "basic" or "bearer"' })
    .default('basic'),
  ELEPAY_WEBHOOK_SECRET: optionalText,
  ELEPAY_WEBHOOK_SECRET_PREVIOUS: optionalText,
  ELEPAY_TIMEOUT_MS: positiveIntOrUnset(120_000),
  ELEPAY_MAX_CONCURRENCY: positiveIntOrUnset(1024),
  // Fixed defaults so `npm run trigger` finds the embedded simulators of `npm start`; tests pass 0.
  ELEPAY_SANDBOX_PORT: port(4010),

  ELOPAGE_BASE_URL: httpUrl,
  ELOPAGE_API_KEY: optionalText,
  ELOPAGE_API_SECRET: optionalText,
  ELOPAGE_CURRENCY: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isKnownCurrency, 'must be an ISO-4217 currency code such as EUR')
    .default('EUR'),
  ELOPAGE_WEBHOOK_TOKEN: optionalText.refine(
    (value) => value === undefined || /^[A-Za-z0-9_-]{24,128}$/.test(value),
    'must be 24–128 characters of A–Z, a–z, 0–9, "-" or "_" (it guards the webhook URL)',
  ),
  ELOPAGE_TIMEOUT_MS: positiveIntOrUnset(120_000),
  METRICS_TOKEN: optionalText.refine(
    (value) => value === undefined || /^[\x21-\x7e]{24,256}$/.test(value),
    'must be 24–256 printable characters without spaces (it guards /metrics)',
  ),
  ELOPAGE_MAX_CONCURRENCY: positiveIntOrUnset(1024),
  ELOPAGE_SANDBOX_PORT: port(4011),

  REDIS_URL: z
    .string()
    .trim()
    .refine(
      (value) => URL.canParse(value) && /^rediss?:$/.test(new URL(value).protocol),
      'must be a redis:// or rediss:// URL',
    )
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, ":", "_", "." or "-"')
    .default('paygraph:'),
  EVENT_RETENTION_EVENTS: positiveInt(10_000, 10_000_000),
  EVENT_RETENTION_HOURS: positiveInt(24, 24 * 90),
  DATABASE_URL: databaseUrlVariable,
});

/** Plain HTTP is acceptable only towards this machine (a simulator) or elopage's staging host. */
function isPlainHttpAllowed(url: string, allowedHosts: string[]): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:') return true;
  return ['localhost', '127.0.0.1', '[::1]', ...allowedHosts].includes(hostname);
}

/**
 * The variables the cross-variable rules read, parsed on their own so that the rules run even when
 * another variable is malformed: the operator sees every problem at once.
 */
const ApiClientSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, "_", "." or "-"'),
  tokenSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters: the SHA-256 of the token, never the token')
    .transform((hash) => hash.toLowerCase()),
  scopes: z
    .array(z.enum(['read', 'write', 'refund'], { message: 'must be "read", "write" or "refund"' }))
    .min(1, 'must name at least one scope'),
});

/** PAYGRAPH_CLIENTS (JSON) or PAYGRAPH_CLIENTS_FILE (a path to the same JSON). Never echoes the value. */
function loadApiClients(e: { PAYGRAPH_CLIENTS?: string; PAYGRAPH_CLIENTS_FILE?: string }): {
  clients: ApiClient[];
  problems: string[];
} {
  if (e.PAYGRAPH_CLIENTS && e.PAYGRAPH_CLIENTS_FILE) {
    return { clients: [], problems: ['PAYGRAPH_CLIENTS: set it or PAYGRAPH_CLIENTS_FILE, not both'] };
  }
  const variable = e.PAYGRAPH_CLIENTS_FILE ? 'PAYGRAPH_CLIENTS_FILE' : 'PAYGRAPH_CLIENTS';
  let text = e.PAYGRAPH_CLIENTS;
  if (e.PAYGRAPH_CLIENTS_FILE) {
    try {
      text = readFileSync(e.PAYGRAPH_CLIENTS_FILE, 'utf8');
    } catch (error) {
      return {
        clients: [],
        problems: [`${variable}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
      };
    }
  }
  if (!text) return { clients: [], problems: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      clients: [],
      problems: [`${variable}: is not JSON (expected [{"name","tokenSha256","scopes"}, …])`],
    };
  }
  const parsed = z.array(ApiClientSchema).safeParse(json);
  if (!parsed.success) {
    return {
      clients: [],
      problems: parsed.error.issues.map(
        (issue) =>
          `${variable}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`,
      ),
    };
  }
  const names = parsed.data.map((client) => client.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  return {
    clients: parsed.data,
    problems: duplicate ? [`${variable}: the client name "${duplicate}" appears twice`] : [],
  };
}

function originsOf(value: string | undefined): { origins: string[]; problems: string[] } {
  const origins = (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const bad = origins.filter((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  return {
    origins,
    problems: bad.length
      ? [
          `CORS_ORIGINS: ${bad.length} entr${bad.length === 1 ? 'y is' : 'ies are'} not an origin like https://app.example.com`,
        ]
      : [],
  };
}

const CredentialsSchema = EnvSchema.pick({
  ELEPAY_BASE_URL: true,
  ELEPAY_SECRET_KEY: true,
  ELOPAGE_BASE_URL: true,
  ELOPAGE_API_KEY: true,
  ELOPAGE_API_SECRET: true,
  ELOPAGE_WEBHOOK_TOKEN: true,
  PAYGRAPH_CLIENTS: true,
  PAYGRAPH_CLIENTS_FILE: true,
});

function credentialProblems(e: z.output<typeof CredentialsSchema>): string[] {
  const problems: string[] = [];
  // Real credentials move real money: such a gateway is never open to whoever reaches it.
  if (
    (e.ELEPAY_SECRET_KEY || e.ELOPAGE_API_KEY || e.ELOPAGE_API_SECRET) &&
    loadApiClients(e).clients.length === 0
  ) {
    problems.push(
      'PAYGRAPH_CLIENTS: API clients are required when a provider uses real credentials (see README, Security)',
    );
  }

  // elepay: a key means remote mode. Test and live keys share one HTTPS host (providers/elepay.md §1),
  // so a live key over plain HTTP is refused outright, and any key only goes to loopback over HTTP.
  const elepayBaseUrl = e.ELEPAY_BASE_URL ?? DEFAULT_ELEPAY_BASE_URL;
  if (e.ELEPAY_SECRET_KEY) {
    if (
      !isPlainHttpAllowed(elepayBaseUrl, []) ||
      (e.ELEPAY_SECRET_KEY.startsWith('sk_live_') && new URL(elepayBaseUrl).protocol === 'http:')
    ) {
      problems.push(
        'ELEPAY_BASE_URL: must use https with this secret key (a live key never travels over plain HTTP)',
      );
    }
  } else if (e.ELEPAY_BASE_URL) {
    problems.push(
      'ELEPAY_BASE_URL: is set but ELEPAY_SECRET_KEY is not (unset both to use the embedded sandbox)',
    );
  }

  // elopage: key and secret come together; HTTP only to its staging sandbox or this machine.
  const elopageBaseUrl = e.ELOPAGE_BASE_URL ?? DEFAULT_ELOPAGE_BASE_URL;
  const elopageRemote = Boolean(e.ELOPAGE_API_KEY || e.ELOPAGE_API_SECRET);
  if (elopageRemote) {
    if (!e.ELOPAGE_API_KEY) problems.push('ELOPAGE_API_KEY: is required when ELOPAGE_API_SECRET is set');
    if (!e.ELOPAGE_API_SECRET) problems.push('ELOPAGE_API_SECRET: is required when ELOPAGE_API_KEY is set');
    if (!e.ELOPAGE_WEBHOOK_TOKEN) {
      problems.push(
        'ELOPAGE_WEBHOOK_TOKEN: is required with elopage credentials (sales pages register the webhook URL it guards)',
      );
    }
    if (!isPlainHttpAllowed(elopageBaseUrl, ['staging.elopage.com'])) {
      problems.push(
        'ELOPAGE_BASE_URL: must use https with live credentials (plain HTTP only for staging.elopage.com)',
      );
    }
  } else if (e.ELOPAGE_BASE_URL) {
    problems.push(
      'ELOPAGE_BASE_URL: is set but ELOPAGE_API_KEY is not (unset both to use the embedded sandbox)',
    );
  }
  return problems;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=` in an env file) means unset; coerced, it would read as 0.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value?.trim()));
  const parsed = EnvSchema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const credentials = CredentialsSchema.safeParse(given);
  if (credentials.success) problems.push(...credentialProblems(credentials.data));
  const access = loadApiClients(parsed.success ? parsed.data : {});
  const cors = originsOf(parsed.success ? parsed.data.CORS_ORIGINS : undefined);
  problems.push(...access.problems, ...cors.problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const elepayBaseUrl = e.ELEPAY_BASE_URL ?? DEFAULT_ELEPAY_BASE_URL;
  const elopageBaseUrl = e.ELOPAGE_BASE_URL ?? DEFAULT_ELOPAGE_BASE_URL;
  const elopageRemote = Boolean(e.ELOPAGE_API_KEY || e.ELOPAGE_API_SECRET);
  const allSandbox = !e.ELEPAY_SECRET_KEY && !elopageRemote;

  return {
    port: e.PORT,
    host: e.HOST,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    publicUrl: e.PUBLIC_URL ? e.PUBLIC_URL.replace(/\/+$/, '') : null,
    sandboxWebhookUrl: e.SANDBOX_WEBHOOK_URL ? e.SANDBOX_WEBHOOK_URL.replace(/\/+$/, '') : null,
    logLevel: e.LOG_LEVEL,
    graphiql: e.GRAPHIQL ?? allSandbox,
    metricsToken: e.METRICS_TOKEN ?? null,
    elepay: {
      mode: e.ELEPAY_SECRET_KEY ? 'remote' : 'sandbox',
      baseUrl: elepayBaseUrl,
      secretKey: e.ELEPAY_SECRET_KEY ?? null,
      authScheme: e.ELEPAY_AUTH_SCHEME,
      webhookSecret: e.ELEPAY_WEBHOOK_SECRET ?? null,
      previousWebhookSecret: e.ELEPAY_WEBHOOK_SECRET_PREVIOUS ?? null,
      timeoutMs: e.ELEPAY_TIMEOUT_MS ?? e.PROVIDER_TIMEOUT_MS,
      maxConcurrency: e.ELEPAY_MAX_CONCURRENCY ?? e.PROVIDER_MAX_CONCURRENCY,
      breakerCooldownMs: e.PROVIDER_BREAKER_COOLDOWN_MS,
      sandboxPort: e.ELEPAY_SANDBOX_PORT,
    },
    elopage: {
      mode: elopageRemote ? 'remote' : 'sandbox',
      baseUrl: elopageBaseUrl,
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
      redisUrl: e.REDIS_URL ?? null,
      redisKeyPrefix: e.REDIS_KEY_PREFIX,
      retentionEvents: e.EVENT_RETENTION_EVENTS,
      retentionHours: e.EVENT_RETENTION_HOURS,
    },
    security: {
      clients: access.clients,
      openAccess: allSandbox && access.clients.length === 0,
      corsOrigins: cors.origins,
      introspection: e.INTROSPECTION ?? allSandbox,
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_QUERY_ALIASES,
      maxTokens: e.MAX_QUERY_TOKENS,
      maxDirectives: e.MAX_QUERY_DIRECTIVES,
      maxProviderCalls: e.MAX_PROVIDER_CALLS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    },
    ledger: ledgerConfigOf(e.DATABASE_URL),
  };
}
