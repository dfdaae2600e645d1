import type { Services } from './context.js';
import { ProviderError } from './domain/errors.js';

export interface Readiness {
  ready: boolean;
  providers: { elepay: string; elopage: string };
  eventLog: 'ok' | 'unavailable';
}

/**
 * `GET /readyz`: each provider answers an authenticated request and the event log can record. A cheap read per provider: a
 * one-charge list at elepay, and at elopage a sales page that cannot exist (not found is fine —
 * it proves the host answers and the credentials are accepted).
 */
export async function checkReadiness(services: Services): Promise<Readiness> {
  const [elepay, elopage, eventLog] = await Promise.all([
    probe(() => services.elepay.listCharges({ limit: 1 })),
    probe(() => services.elopage.getSalesPage('0')),
    services.events.isHealthy().then((healthy): Readiness['eventLog'] => (healthy ? 'ok' : 'unavailable')),
  ]);
  return {
    ready: elepay === 'ok' && elopage === 'ok' && eventLog === 'ok',
    providers: { elepay, elopage },
    eventLog,
  };
}

async function probe(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    return error instanceof ProviderError ? error.code : 'INTERNAL';
  }
}
