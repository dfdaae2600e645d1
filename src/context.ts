import type { StatusNormalizer } from './domain/status.js';
import type { EventLog } from './events/log.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { Logger } from './logger.js';
import type { ElepayClient } from './providers/elepay/client.js';
import type { ElopageClient } from './providers/elopage/client.js';

/** What lives as long as the gateway: provider clients and the settings resolvers need. */
export interface Services {
  elepay: ElepayClient;
  elopage: ElopageClient;
  /** Which providers run on the embedded simulator (the sandbox helper mutations need it). */
  sandbox: { elepay: boolean; elopage: boolean };
  /** elopage states no currency (providers/elopage.md, Conventions): it comes from configuration. */
  elopageCurrency: string;
  /** The gateway's own elopage webhook URL, the default `webhookUrl` of new sales pages. */
  elopageWebhookUrl: string;
  statuses: StatusNormalizer;
  /** Verified status changes, for the subscription (events/). */
  events: EventLog;
  logger: Logger;
}

/** What one GraphQL operation sees. Loaders are per request so their caches never go stale. */
export interface Context {
  services: Services;
  loaders: Loaders;
  requestId: string;
  logger: Logger;
}

export function createContext(services: Services, requestId: string): Context {
  return {
    services,
    loaders: createLoaders(services),
    requestId,
    logger: services.logger.child({ requestId }),
  };
}
