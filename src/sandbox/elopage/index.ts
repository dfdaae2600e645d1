/**
 * The elopage simulator (providers/elopage.md): the documented REST API under `/api`, plus
 * `/_sandbox/...` helpers that play the buyer (checkout) and the bank (settle). Same layout as the
 * elepay simulator: model · state · validation · render · routes · helperRoutes · trigger ·
 * webhooks · seed · auth · errors, plus fees (elopage's money math).
 */

import type { Logger } from '../../logger.js';
import { SandboxServer } from '../server.js';
import { PROVIDER_RETRY_DELAYS_MS, WebhookSender } from '../webhooks.js';
import { createAuthenticator } from './auth.js';
import { helperRoutes } from './helperRoutes.js';
import { providerRoutes } from './routes.js';
import { seed } from './seed.js';
import { ElopageState } from './state.js';
import { triggerRoute } from './trigger.js';
import { createWebhookSink } from './webhooks.js';

export interface ElopageSandboxOptions {
  apiKey: string;
  apiSecret: string;
  /** False: events fire but no webhook is sent (SANDBOX_WEBHOOKS=off); default true. */
  sendWebhooks?: boolean;
  /** Default PROVIDER_RETRY_DELAYS_MS: elopage documents no retry schedule. */
  webhookRetryDelaysMs?: number[];
  /** Injected delay on provider routes. */
  latencyMs?: number;
  /** Default true. */
  seed?: boolean;
  /** The gateway's origins: the only loopback or private webhook targets delivered to. */
  allowedWebhookOrigins?: string[];
  logger: Logger;
}

export interface ElopageSandbox {
  server: SandboxServer;
  webhooks: WebhookSender;
}

export function createElopageSandbox(options: ElopageSandboxOptions): ElopageSandbox {
  const logger = options.logger.child({ sandbox: 'elopage' });
  const webhooks = new WebhookSender({
    retryDelaysMs: options.webhookRetryDelaysMs ?? PROVIDER_RETRY_DELAYS_MS,
    enabled: options.sendWebhooks,
    allowedOrigins: options.allowedWebhookOrigins,
    logger,
  });
  const state = new ElopageState();
  if (options.seed !== false) seed(state);
  // Attached after seeding so seeded history fires no webhooks.
  const sink = createWebhookSink(state, webhooks, () => server.origin ?? 'http://127.0.0.1', logger);
  state.setEventSink(sink);
  const server: SandboxServer = new SandboxServer({
    name: 'elopage',
    routes: [...providerRoutes(state), ...helperRoutes(state), triggerRoute({ state, emit: sink })],
    authenticate: createAuthenticator(options.apiKey, options.apiSecret),
    latencyMs: options.latencyMs,
    logger,
    onClose: () => webhooks.close(),
  });
  return { server, webhooks };
}
