/**
 * The environment variables, one zod field each: what each accepts, its default, and the one-line
 * message a bad value gets. Rules that read several variables are in ./credentials.ts; the API
 * client list is in ./clients.ts.
 */

import { z } from 'zod';
import { isKnownCurrency } from '../domain/money.js';
import { databaseUrlVariable } from '../ledger/config.js';

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

/** Comma-separated origins such as https://app.example.com; unset = none. */
const origins = optionalText.transform((value, ctx) => {
  const list = (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const bad = list.filter((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  if (bad.length > 0) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `${bad.length} entr${bad.length === 1 ? 'y is' : 'ies are'} not an origin like https://app.example.com`,
    });
  }
  return list;
});

/** gRPC would add a second network stack to the image for what a Collector also takes over HTTP (port 4318). */
const otlpProtocol = z
  .enum(['http/protobuf', 'http/json'], {
    message:
      'must be "http/protobuf" (the default) or "http/json"; gRPC is not supported (a Collector takes OTLP over HTTP on port 4318)',
  })
  .optional();

export const EnvSchema = z.object({
  PORT: port(4000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl,
  SANDBOX_WEBHOOK_URL: httpUrl,
  /** off: the embedded simulators send no webhooks (the reconciler alone brings news). */
  SANDBOX_WEBHOOKS: flag(true),
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
  CORS_ORIGINS: origins,
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
  METRICS_TOKEN: optionalText.refine(
    (value) => value === undefined || /^[\x21-\x7e]{24,256}$/.test(value),
    'must be 24–256 printable characters without spaces (it guards /metrics)',
  ),

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
  /** How often the reconciler looks for transactions due a poll (src/services/reconcile.ts). */
  RECONCILE_INTERVAL_MS: positiveInt(60_000, 24 * 3_600_000),
  /** Days the ledger keeps a final transaction after its last change; unset: forever (src/ledger/retention.ts). */
  LEDGER_RETENTION_DAYS: positiveIntOrUnset(36_500),

  // OpenTelemetry's own names (its specification's variables), checked before the SDK reads them (./tracing.ts).
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_HEADERS: optionalText,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optionalText,
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], { message: 'must be "otlp" or "none" (paygraph exports traces over OTLP only)' })
    .optional(),
  OTEL_SDK_DISABLED: optionalText,
});

export type Env = z.output<typeof EnvSchema>;
