/**
 * The composition root: starts the embedded simulators a configuration needs, builds the provider
 * clients (and the simulators' helper clients, only in sandbox mode), the event log, idempotency
 * store and rate limiter, and serves the app on one HTTP server.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth/viewer.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import { StatusNormalizer } from './domain/status.js';
import { createEventLog } from './events/index.js';
import { elepaySignatureCheck } from './events/webhookIntake.js';
import { loadGraphiqlTabs } from './graphiqlTabs.js';
import { createIdempotencyStore } from './idempotency/index.js';
import { describeLedger } from './ledger/config.js';
import { openLedger } from './ledger/index.js';
import { withOwners } from './ledger/ownedEvents.js';
import { startProjection } from './ledger/projection.js';
import { startRetention } from './ledger/retention.js';
import { type Logger, protectSecretValues } from './logger.js';
import { Metrics, operationNamesIn } from './metrics.js';
import { createRateLimiter } from './plugins/useRateLimit.js';
import { ElepayClient, type ElepayClientOptions } from './providers/elepay/client.js';
import { ElepaySandboxClient } from './providers/elepay/sandbox.js';
import { ElopageClient, type ElopageClientOptions } from './providers/elopage/client.js';
import { ElopageSandboxClient } from './providers/elopage/sandbox.js';
import type { ElepaySandbox } from './sandbox/elepay/index.js';
import type { ElopageSandbox } from './sandbox/elopage/index.js';
import { type Reconciler, startReconciler } from './services/reconcile.js';
import { serveGraphqlOverWebSocket } from './websocket.js';

/** An embedded simulator and the credentials the gateway was given for it. */
export interface EmbeddedSandbox<S> {
  url: string;
  sandbox: S;
  credentials: Record<string, string>;
}

export interface RunningGateway {
  /** The URL the gateway listens on, e.g. http://127.0.0.1:4000. */
  url: string;
  publicUrl: string;
  server: Server;
  sandboxes: {
    elepay: EmbeddedSandbox<ElepaySandbox> | null;
    elopage: EmbeddedSandbox<ElopageSandbox> | null;
  };
  /** Secrets in use (configured or generated), so tests can prove none of them leaks. */
  secrets: string[];
  /** Polls non-final transactions every RECONCILE_INTERVAL_MS; `pass()` runs one now. */
  reconciler: Reconciler;
  close(): Promise<void>;
}

function secret(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('hex')}`;
}

/**
 * Starts the gateway: listens first (so the public URL and webhook URLs are known even on port 0),
 * starts the embedded simulator of every provider that has no credentials, then serves.
 */
export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const server = createServer(serverTimeouts(config.requestTimeoutMs), (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"error":"starting"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const publicUrl = config.publicUrl ?? `http://localhost:${port}`;
  // The embedded simulators run in this process: they reach the gateway where it listens (loopback
  // when it listens on every interface). PUBLIC_URL is for browsers and real providers.
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const sandboxWebhookBase = config.sandboxWebhookUrl ?? (wildcard ? `http://127.0.0.1:${port}` : url);
  // The embedded sandbox signs with a generated secret; a remote elepay without a configured
  // secret has its webhook route disabled (nothing could be verified).
  const elepayWebhookSecret =
    config.elepay.webhookSecret ?? (config.elepay.mode === 'sandbox' ? secret('whsec_') : null);
  const elopageWebhookToken = config.elopage.webhookToken ?? randomBytes(24).toString('base64url');
  const secrets = [elepayWebhookSecret ?? '', elopageWebhookToken];

  let elepaySandbox: RunningGateway['sandboxes']['elepay'] = null;
  let elepay: { baseUrl: string; secretKey: string };
  if (config.elepay.mode === 'sandbox') {
    const secretKey = secret('sk_test_');
    // Imported only when needed: a gateway with real providers never loads the simulators.
    const { createElepaySandbox } = await import('./sandbox/elepay/index.js');
    const sandbox = createElepaySandbox({
      secretKey,
      webhook: {
        url: `${sandboxWebhookBase}/webhooks/elepay`,
        secret: elepayWebhookSecret ?? secret('whsec_'),
      },
      sendWebhooks: config.sandboxWebhooks,
      logger,
    });
    const sandboxUrl = await sandbox.server.listen(config.elepay.sandboxPort);
    elepaySandbox = { url: sandboxUrl, sandbox, credentials: { secretKey } };
    elepay = { baseUrl: sandboxUrl, secretKey };
  } else {
    elepay = { baseUrl: config.elepay.baseUrl, secretKey: config.elepay.secretKey ?? '' };
  }
  secrets.push(elepay.secretKey);

  let elopageSandbox: RunningGateway['sandboxes']['elopage'] = null;
  let elopage: { baseUrl: string; apiKey: string; apiSecret: string };
  if (config.elopage.mode === 'sandbox') {
    const apiKey = secret('key_', 16);
    const apiSecret = secret('secret_');
    const { createElopageSandbox } = await import('./sandbox/elopage/index.js');
    // Sales pages name their webhook URL; of local targets, the simulator posts only to this gateway.
    const allowedWebhookOrigins = [publicUrl, url, sandboxWebhookBase];
    const sandbox = createElopageSandbox({
      apiKey,
      apiSecret,
      allowedWebhookOrigins,
      sendWebhooks: config.sandboxWebhooks,
      logger,
    });
    const sandboxUrl = await sandbox.server.listen(config.elopage.sandboxPort);
    elopageSandbox = { url: sandboxUrl, sandbox, credentials: { apiKey, apiSecret } };
    elopage = { baseUrl: `${sandboxUrl}/api`, apiKey, apiSecret };
  } else {
    elopage = {
      baseUrl: config.elopage.baseUrl,
      apiKey: config.elopage.apiKey ?? '',
      apiSecret: config.elopage.apiSecret ?? '',
    };
  }
  secrets.push(elopage.apiKey, elopage.apiSecret);
  // Cut out of every log line, whatever carries them there (src/logger.ts); the Redis password too.
  const redisPassword = config.events.redisUrl ? new URL(config.events.redisUrl).password : null;
  const databasePassword = config.ledger.engine === 'postgres' ? config.ledger.password : null;
  protectSecretValues([
    ...secrets,
    config.elepay.previousWebhookSecret,
    redisPassword,
    databasePassword,
    config.metricsToken,
  ]);
  if (config.metricsToken) secrets.push(config.metricsToken);

  // The example operations: GraphiQL's tabs, and the only operation names metrics use as labels
  // (read even with GraphiQL off, for the names; a few small files).
  const graphiqlTabs = await loadGraphiqlTabs(new URL('../schema/operations/', import.meta.url));
  const metrics = new Metrics({ knownOperations: operationNamesIn(graphiqlTabs) });

  // Every Redis connection (event log, idempotency, rate limits) comes from here: deadlines, health.
  // Imported only with Redis configured: a single instance never loads ioredis.
  const redis = config.events.redisUrl
    ? new (await import('./redis.js')).RedisConnections(config.events.redisUrl, logger)
    : null;
  const statuses = new StatusNormalizer((table, raw) =>
    logger.warn({ table, providerStatus: raw }, 'unknown provider status; reading it as PENDING'),
  );
  const elepayOptions: ElepayClientOptions = {
    ...elepay,
    authScheme: config.elepay.authScheme,
    timeoutMs: config.elepay.timeoutMs,
    maxConcurrency: config.elepay.maxConcurrency,
    breakerCooldownMs: config.elepay.breakerCooldownMs,
    logger,
    metrics,
    statuses,
  };
  const elopageOptions: ElopageClientOptions = {
    ...elopage,
    timeoutMs: config.elopage.timeoutMs,
    maxConcurrency: config.elopage.maxConcurrency,
    breakerCooldownMs: config.elopage.breakerCooldownMs,
    logger,
    metrics,
    currency: config.elopage.currency,
    statuses,
  };
  const ledger = await openLedger(config.ledger, logger);
  const elepaySecrets = [elepayWebhookSecret, config.elepay.previousWebhookSecret].filter((s): s is string =>
    Boolean(s),
  );
  const services: Services = {
    elepay: new ElepayClient(elepayOptions),
    elopage: new ElopageClient(elopageOptions),
    // The simulators' helper routes get clients of their own, only when a simulator runs (their
    // calls are no provider calls: not in the provider metrics).
    sandbox: {
      elepay: elepaySandbox ? new ElepaySandboxClient({ ...elepayOptions, metrics: undefined }) : null,
      elopage: elopageSandbox
        ? new ElopageSandboxClient({ ...elopageOptions, baseUrl: elopageSandbox.url, metrics: undefined })
        : null,
    },
    elopageCurrency: config.elopage.currency,
    // The URL createSalesPage registers: the simulator delivers to it, real elopage needs PUBLIC_URL.
    elopageWebhookUrl: `${elopageSandbox ? sandboxWebhookBase : publicUrl}/webhooks/elopage/${elopageWebhookToken}`,
    checkElepaySignature: elepaySignatureCheck(elepaySecrets),
    // Each recorded change carries its transaction's tenant, for subscribers (src/ledger/ownedEvents.ts).
    events: withOwners(await createEventLog(config.events, logger, redis), ledger, logger),
    idempotency: await createIdempotencyStore(config, redis),
    ledger,
    redis,
    logger,
    metrics,
  };

  // The ledger follows the event log from its checkpoint on (src/ledger/projection.ts).
  const projection = startProjection(services.events, services.ledger, logger);
  // Polls what webhooks have not settled; one instance at a time (src/services/reconcile.ts).
  const reconciler = startReconciler(services, config.reconcileIntervalMs);
  // LEDGER_RETENTION_DAYS: old final transactions are deleted in batches (src/ledger/retention.ts).
  const retention =
    config.ledgerRetentionDays === null ? null : startRetention(ledger, config.ledgerRetentionDays, logger);
  // Rate limits and failed authentications share one connection, opened last before serving so
  // nothing that can still fail above leaves it open.
  const budgets = redis ? { redis: redis.open('rateLimit'), keyPrefix: config.events.redisKeyPrefix } : null;
  const rateLimiter = createRateLimiter({
    perMinute: config.security.rateLimitPerMinute,
    shared: budgets,
    logger,
  });
  const authenticator = createAuthenticator(config.security, budgets);
  const { listener, yoga } = buildApp({
    services,
    webhooks: {
      services,
      elepaySecrets,
      elopageToken: elopageWebhookToken,
    },
    graphiql: config.graphiql,
    graphiqlTabs,
    authenticator,
    queryLimits: config.security,
    rateLimiter,
    browser: config.security,
    // Without a token, /metrics is as open as the GraphQL endpoint: only when everything is sandboxed.
    projectionLagMs: projection.lagMs,
    metricsAccess: config.metricsToken
      ? { token: config.metricsToken }
      : config.security.openAccess
        ? 'open'
        : 'off',
  });
  server.removeAllListeners('request');
  server.on('request', listener);
  const closeWebSockets = serveGraphqlOverWebSocket(
    server,
    yoga,
    authenticator,
    logger,
    config.security.corsOrigins,
    metrics,
  );

  return {
    url,
    publicUrl,
    server,
    sandboxes: { elepay: elepaySandbox, elopage: elopageSandbox },
    secrets: secrets.filter(Boolean),
    reconciler,
    async close() {
      await reconciler.stop();
      await retention?.stop();
      await closeWebSockets();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([
        services.elepay.close(),
        services.elopage.close(),
        services.sandbox.elepay?.close(),
        services.sandbox.elopage?.close(),
        elepaySandbox?.sandbox.server.close(),
        elopageSandbox?.sandbox.server.close(),
      ]);
      await projection.stop();
      await services.events.close();
      await services.ledger.close();
      await services.idempotency.close();
      redis?.close();
    },
  };
}

/**
 * A client must send its whole request (a webhook's body too) within REQUEST_TIMEOUT_MS, and its
 * headers within 10 s of that, or it gets 408 and the connection closes: Node's defaults (300 s,
 * checked every 30 s) let slow senders hold sockets open for minutes. Responses are not limited:
 * SSE and graphql-ws streams run as long as they are read.
 */
function serverTimeouts(requestTimeoutMs: number) {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(10_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
  };
}

/** Who may call, for the banner: open access is loud, so nobody runs it by accident. Names only, never tokens. */
function accessOf(config: Config): string {
  const count = config.security.clients.length;
  if (config.security.openAccess) return 'access: OPEN (no API clients; all providers sandboxed)';
  return `access: ${count} API client${count === 1 ? '' : 's'}`;
}

/** One human-readable line for operators: where GraphiQL is, where each provider lives, who may call. */
export function describeGateway(gateway: RunningGateway, config: Config): string {
  const where = (name: 'elepay' | 'elopage', baseUrl: string) => {
    const sandbox = gateway.sandboxes[name];
    return sandbox ? `${name}: SANDBOX (embedded simulator at ${sandbox.url})` : `${name}: ${baseUrl}`;
  };
  return [
    `paygraph listening on ${gateway.url}`,
    config.graphiql ? `GraphiQL at ${gateway.publicUrl}/graphql` : 'GraphiQL off',
    where('elepay', config.elepay.baseUrl),
    where('elopage', config.elopage.baseUrl),
    accessOf(config),
    describeLedger(config.ledger),
    // The collector's origin only: its path is the SDK's business, its headers may hold an API key.
    ...(config.tracing
      ? [`traces: OTLP ${config.tracing.protocol} to ${new URL(config.tracing.endpoint).origin}`]
      : []),
    // Without a secret nothing elepay sends could be verified, so its webhook route is off: say so.
    ...(config.elepay.mode === 'remote' && !config.elepay.webhookSecret
      ? ['elepay webhooks OFF (set ELEPAY_WEBHOOK_SECRET to receive live status)']
      : []),
  ].join(' | ');
}
