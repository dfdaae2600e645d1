/**
 * The elepay simulator: the Charge/Refund API of providers/elepay.md §3 plus sandbox helpers. Both
 * simulators share one layout: model (enums, rows) · state (state machine) · validation (zod
 * request schemas) · render (rows → wire JSON, typed by the gateway's wire types) · routes ·
 * helperRoutes · trigger · webhooks · seed · auth · errors (thrown, answered by the HTTP shell).
 *
 * Fidelity notes: a charge created without `resource` is a `web` charge, and any value outside
 * elepay's ResourceType is refused with M002002 (legacy 40035), because elepay's own SDKs cannot
 * read a charge whose enum-typed fields are null or unknown (model.ts DEFAULT_RESOURCE).
 */

import type { Logger } from '../../logger.js';
import { SandboxServer } from '../server.js';
import { PROVIDER_RETRY_DELAYS_MS, WebhookSender } from '../webhooks.js';
import { createAuthenticator } from './auth.js';
import { helperRoutes } from './helperRoutes.js';
import { providerRoutes } from './routes.js';
import { seed } from './seed.js';
import { ElepayState } from './state.js';
import { triggerRoute } from './trigger.js';
import { createWebhookSink, type ElepayWebhookTarget } from './webhooks.js';

export interface ElepaySandboxOptions {
  /** The one secret key the simulator accepts (Basic user with empty password, or Bearer token). */
  secretKey: string;
  /** Where events go and the secret that signs them; null/undefined = no webhooks. */
  webhook?: ElepayWebhookTarget | null;
  /** False: events fire but no webhook is sent (SANDBOX_WEBHOOKS=off); default true. */
  sendWebhooks?: boolean;
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
    enabled: options.sendWebhooks,
    // elepay posts only to the one URL it is configured with (the gateway), never to a caller's.
    allowedOrigins: options.webhook ? [options.webhook.url] : [],
    logger,
  });
  const state = new ElepayState();
  if (options.seed !== false) seed(state);
  // Attached after seeding so seeded history fires no webhooks.
  const sink = createWebhookSink(state, webhooks, options.webhook ?? null, logger);
  state.setEventSink(sink);
  const server = new SandboxServer({
    name: 'elepay',
    routes: [
      ...providerRoutes(state),
      ...helperRoutes(state),
      // The trigger re-sends through the same sink, so its deliveries are signed like live ones.
      triggerRoute({
        state,
        emit: sink,
        webhookConfigured: Boolean(options.webhook) && options.sendWebhooks !== false,
      }),
    ],
    authenticate: createAuthenticator(options.secretKey),
    latencyMs: options.latencyMs,
    logger,
    onClose: () => webhooks.close(),
  });
  return { server, webhooks };
}

export { SIGNATURE_HEADER, signWebhook } from './signature.js';
