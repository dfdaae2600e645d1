import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { createYoga } from 'graphql-yoga';
import { type AuthInitialContext, useAuthentication, viewerOf } from './auth/useAuthentication.js';
import type { Authenticator } from './auth/viewer.js';
import { createContext, type Services } from './context.js';
import { createWebhookReceivers, type WebhookReceiverOptions } from './events/receivers.js';
import { useSharedSubscriptionExecution } from './events/sharedExecution.js';
import { createGraphiql, wantsGraphiql } from './graphiql.js';
import { schema } from './graphql/schema.js';
import { checkReadiness } from './health.js';
import type { Logger } from './logger.js';
import { type MetricsAccess, serveMetrics } from './metricsEndpoint.js';
import { createMaskError, useMaskedErrorsWithRequestId } from './plugins/maskError.js';
import { useBadRequests } from './plugins/useBadRequests.js';
import { type BrowserSafetyOptions, corsOptionsFor, useBrowserSafety } from './plugins/useBrowserSafety.js';
import { useIdempotencyReplay } from './plugins/useIdempotencyReplay.js';
import { useLargeResponseCompression } from './plugins/useLargeResponseCompression.js';
import { useMetrics } from './plugins/useMetrics.js';
import { useNoSuggestions } from './plugins/useNoSuggestions.js';
import { type QueryLimits, useQueryLimits } from './plugins/useQueryLimits.js';
import { type RateLimiter, useRateLimit } from './plugins/useRateLimit.js';
import { useRequestBodyLimit } from './plugins/useRequestBodyLimit.js';
import { acceptRequestId, assignRequestId, useRequestId } from './plugins/useRequestId.js';
import { useUnusedFragments } from './plugins/useUnusedFragments.js';
import { traceWebhook, tracingPlugins } from './tracing/index.js';

export interface AppOptions {
  services: Services;
  webhooks: WebhookReceiverOptions;
  graphiql: boolean;
  /** Example operations GraphiQL opens with, one tab each. */
  graphiqlTabs: { query: string }[];
  /** Who may call: API clients from configuration, or open access (src/auth/). */
  authenticator: Authenticator;
  /** Depth, aliases, tokens, directives and provider calls per operation (config.security). */
  queryLimits: QueryLimits;
  /** Operations per client per minute; gateway.ts creates and closes it (it may hold a Redis connection). */
  rateLimiter: RateLimiter;
  /** CORS allow-list and the introspection switch (config.security; src/plugins/useBrowserSafety.ts). */
  browser: BrowserSafetyOptions;
  /** Who may scrape `/metrics`: bearers of this token, anyone (open access) or nobody (404). */
  metricsAccess: MetricsAccess;
  /** How far the ledger's projection is behind the event log, for /readyz (src/ledger/projection.ts). */
  projectionLagMs?: () => number;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Over HTTP the listener has settled the ID already (assignRequestId); graphql-ws gets a fresh one. */
function requestIdOf(headers: Headers | undefined): string {
  return acceptRequestId(headers?.get('x-request-id'));
}

/** Yoga logs an error only after our masking logged it in full: its name is enough, its message may not be safe. */
const yogaLogArg = (arg: unknown): string => (arg instanceof Error ? arg.name : String(arg));

/**
 * Yoga's log calls as ours. Yoga logs at debug on every request: below the configured level that
 * must cost nothing, not the mapping of its arguments.
 */
function yogaLogger(logger: Logger) {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      if (logger.isLevelEnabled(level)) logger[level]({ args: args.map(yogaLogArg) }, 'yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** GraphQL requests are small; Yoga's default would accept 25 MB. Webhooks have their own limit. */
const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The gateway's HTTP surface: `/graphql` (Yoga, with GraphiQL and SSE subscriptions), the provider
 * webhooks, `/healthz`, `/readyz`, `/metrics`. Returns the Yoga instance too, for graphql-ws (websocket.ts).
 */
export function buildApp({
  services,
  webhooks,
  graphiql,
  graphiqlTabs,
  authenticator,
  queryLimits,
  rateLimiter,
  browser,
  metricsAccess,
  projectionLagMs,
}: AppOptions) {
  // Yoga's own GraphiQL would inline all of it (9 MB) in one page on every load: src/graphiql.ts
  // serves it as compressed, cacheable files instead. Subscriptions are JSON POSTs (SSE) like every
  // other operation, so they pass the CSRF guard as they are, with or without a token.
  const graphiqlApp = graphiql
    ? createGraphiql({ title: 'paygraph', defaultTabs: graphiqlTabs, method: 'POST' })
    : null;
  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    cors: corsOptionsFor(browser.corsOrigins),
    // Enforced by useRequestBodyLimit instead, which does not stream every body through a counter.
    maxRequestBodySize: false,
    // No field takes a file: multipart parsing would only be attack surface.
    multipart: false,
    // Over WebSocket there is no Request: graphql-ws passes its own connection context instead.
    // The viewer comes from the Authorization header over HTTP and SSE, and from the socket's
    // connectionParams (checked once in websocket.ts) over graphql-ws.
    // Built on Yoga's context object itself rather than returned for Yoga to merge in: a merge
    // reads every property, and the request logger is made only when read (src/context.ts).
    context: (initial: AuthInitialContext) => {
      createContext(
        services,
        {
          requestId: requestIdOf(initial.request?.headers),
          viewer: viewerOf(authenticator, initial),
          idempotencyKeyHeader: initial.request?.headers.get('idempotency-key') ?? null,
        },
        initial,
      );
      return {};
    },
    maskedErrors: { maskError: createMaskError(services.logger) },
    // Cross-cutting concerns, one useXxx plugin each (src/plugins/), in the order they apply.
    plugins: [
      // With tracing on (src/tracing/), first: its spans wrap everything the others do.
      ...tracingPlugins('phases'),
      // Request hygiene before any policy: CSRF guard, introspection switch and response headers; the
      // request ID on every response; malformed parameters as 400; the body size limit; masking that knows the request ID
      // (listed before the others so no other plugin sees an execution's unmasked errors).
      ...useBrowserSafety(browser),
      useRequestId(),
      useBadRequests(),
      useRequestBodyLimit(MAX_GRAPHQL_BODY_BYTES),
      useMaskedErrorsWithRequestId(services.logger),
      // Counts every operation that reaches parsing, by the codes clients see (so after masking).
      useMetrics(services.metrics),
      // With tracing on, the same codes on the operation's spans.
      ...tracingPlugins('outcomes'),
      // GraphiQL sends the operation you run with every fragment of its tab; unused ones are fine.
      useUnusedFragments(),
      // Without introspection, errors must not spell out the schema either ("Did you mean …").
      ...(browser.introspection ? [] : [useNoSuggestions()]),
      // Then identity: a caller without a valid API token is refused before any GraphQL work (src/auth/).
      useAuthentication(authenticator, services.logger),
      // Then the client's budget: every operation that reaches execution counts, refused or not.
      useRateLimit(rateLimiter, services.logger),
      // Depth, aliases, tokens, directives (parse and validation) and provider calls (before execution).
      useQueryLimits(queryLimits),
      // Marks replayed mutation payloads in `extensions.idempotency` (src/idempotency/).
      useIdempotencyReplay(),
      // Subscriptions: one execution per subscriber group and event (src/events/sharedExecution.ts).
      useSharedSubscriptionExecution(),
      // Last, on the finished answer: large JSON (GraphiQL's schema introspection) goes out compressed.
      useLargeResponseCompression(),
    ],
    logging: yogaLogger(services.logger),
  });

  const notFound = (res: ServerResponse) => sendJson(res, 404, { error: 'not found' });
  const router = FindMyWay({ defaultRoute: (_req, res) => notFound(res) });
  router.all('/graphql', (req, res) => {
    if (graphiqlApp && wantsGraphiql(req)) graphiqlApp.page(req, res);
    else void yoga(req, res);
  });
  if (graphiqlApp) {
    router.get('/graphiql/*', (req, res) => graphiqlApp.asset(req, res, () => notFound(res)));
  }
  const receivers = createWebhookReceivers(webhooks);
  // One trace per delivery, named by the route template: the elopage token never enters a span.
  router.post('/webhooks/elepay', (req, res) => {
    void traceWebhook('POST /webhooks/elepay', req, res, () => receivers.elepay(req, res));
  });
  router.post('/webhooks/elopage/:token', (req, res, params) => {
    void traceWebhook('POST /webhooks/elopage/:token', req, res, () =>
      receivers.elopage(req, res, params.token ?? ''),
    );
  });
  router.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  router.get('/readyz', (_req, res) => {
    checkReadiness(services, projectionLagMs).then(
      (readiness) => sendJson(res, readiness.ready ? 200 : 503, readiness),
      () => sendJson(res, 503, { ready: false }),
    );
  });
  router.get('/metrics', (req, res) => {
    void serveMetrics(services.metrics, metricsAccess, req, res);
  });
  // Every route answers with an x-request-id, and Yoga reads the same one (src/plugins/useRequestId.ts).
  const listener: RequestListener = (req, res) => {
    assignRequestId(req, res);
    router.lookup(req, res);
  };
  return { listener, yoga };
}
