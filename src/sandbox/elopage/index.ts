import type { Logger } from '../../logger.js';
import { SandboxServer } from '../server.js';
import { PROVIDER_RETRY_DELAYS_MS, WebhookSender } from '../webhooks.js';
import { createAuthenticator } from './auth.js';
import { checkoutRoutes } from './checkout.js';
import type { ElopageContext } from './notify.js';
import { paymentRoutes } from './paymentRoutes.js';
import { pricingPlanRoutes } from './pricingPlans.js';
import { salesPageRoutes } from './salesPages.js';
import { seedElopage } from './seed.js';
import { ElopageTables } from './tables.js';
import { triggerRoute } from './trigger.js';

/**
 * The elopage provider simulator (providers/elopage.md): the documented REST API under `/api`,
 * plus `/_sandbox/...` helpers that play the buyer (checkout) and the bank (settle).
 */
export interface ElopageSandboxOptions {
  apiKey: string;
  apiSecret: string;
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
    allowedOrigins: options.allowedWebhookOrigins,
    logger,
  });
  const tables = new ElopageTables();
  if (options.seed !== false) seedElopage(tables);
  const context: ElopageContext = { tables, webhooks, logger };
  const server = new SandboxServer({
    name: 'elopage',
    routes: [
      ...salesPageRoutes(context),
      ...pricingPlanRoutes(context),
      ...paymentRoutes(context),
      ...checkoutRoutes(context),
      triggerRoute(context),
    ],
    authenticate: createAuthenticator(options.apiKey, options.apiSecret),
    latencyMs: options.latencyMs,
    logger,
    onClose: () => webhooks.close(),
  });
  return { server, webhooks };
}
