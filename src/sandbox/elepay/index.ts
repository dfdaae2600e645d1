import type { Logger } from '../../logger.js';
import { SandboxServer } from '../server.js';
import { PROVIDER_RETRY_DELAYS_MS, WebhookSender } from '../webhooks.js';
import { createAuthenticator } from './auth.js';
import { createWebhookSink } from './events.js';
import { helperRoutes } from './helper-routes.js';
import { ElepayLedger } from './ledger.js';
import { providerRoutes } from './routes.js';
import { seedLedger } from './seed.js';
import { triggerRoute } from './trigger.js';

/** The elepay simulator: the Charge/Refund API of providers/elepay.md §3 plus sandbox helpers. */
export interface ElepaySandboxOptions {
  /** The one secret key the simulator accepts (Basic user with empty password, or Bearer token). */
  secretKey: string;
  /** Where events go and the secret that signs them; null/undefined = no webhooks. */
  webhook?: { url: string; secret: string } | null;
  /** Retry schedule for failed deliveries; default PROVIDER_RETRY_DELAYS_MS from ../webhooks.js. */
  webhookRetryDelaysMs?: number[];
  /** Injected delay before every provider route answers (tests make the provider slow). */
  latencyMs?: number;
  /** Seed a few realistic charges in several states (default true). */
  seed?: boolean;
  logger: Logger;
}

export interface ElepaySandbox {
  server: SandboxServer;
  webhooks: WebhookSender;
}

export function createElepaySandbox(options: ElepaySandboxOptions): ElepaySandbox {
  const logger = options.logger.child({ sandbox: 'elepay' });
  const webhooks = new WebhookSender({
    retryDelaysMs: options.webhookRetryDelaysMs ?? PROVIDER_RETRY_DELAYS_MS,
    // elepay posts only to the one URL it is configured with (the gateway), never to a caller's.
    allowedOrigins: options.webhook ? [options.webhook.url] : [],
    logger,
  });
  const ledger = new ElepayLedger();
  if (options.seed !== false) seedLedger(ledger);
  // Attached after seeding so seeded history fires no webhooks.
  const sink = createWebhookSink(webhooks, options.webhook ?? null, logger);
  ledger.setEventSink(sink);
  // The trigger route re-sends through the same sink, so its deliveries are signed like live ones.
  const trigger = triggerRoute({ ledger, emit: sink, webhookConfigured: Boolean(options.webhook) });
  const server = new SandboxServer({
    name: 'elepay',
    routes: [...providerRoutes(ledger), ...helperRoutes(ledger), trigger],
    authenticate: createAuthenticator(options.secretKey),
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    logger,
    onClose: () => webhooks.close(),
  });
  return { server, webhooks };
}

export type { ElepayEventType } from './ledger.js';
export { SIGNATURE_HEADER, signWebhook } from './signature.js';
