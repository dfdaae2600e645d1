import type { Services } from './context.js';
import { ProviderError } from './domain/errors.js';
import type { RedisState } from './redis.js';

export interface Readiness {
  ready: boolean;
  providers: { elepay: string; elopage: string };
  eventLog: 'ok' | 'unavailable';
  /**
   * The ledger's database answers a trivial query within a second, and how far its projection
   * of the event log is behind (src/ledger/projection.ts).
   */
  ledger: { store: 'ok' | 'unavailable'; projectionLagMs: number };
  /** With REDIS_URL: each Redis connection's user and its state (`stalled`: connected, no answers). */
  redis?: Record<string, RedisState>;
}

/**
 * `GET /readyz`: each provider answers an authenticated request, the event log can record, the
 * ledger's database answers, and every Redis connection answers a PING within its deadline. A cheap read per provider: a
 * one-charge list at elepay, and at elopage a sales page that cannot exist (not found is fine —
 * it proves the host answers and the credentials are accepted). Every check is bounded (provider
 * deadline, Redis command deadline), so /readyz answers even while a dependency hangs.
 */
export async function checkReadiness(
  services: Services,
  projectionLagMs: () => number = () => 0,
): Promise<Readiness> {
  const [elepay, elopage, redis, store] = await Promise.all([
    probe(() => services.elepay.listCharges({ limit: 1 })),
    probe(() => services.elopage.getSalesPage('0')),
    services.redis?.check(),
    probeLedger(services),
  ]);
  const logHealthy = await services.events.isHealthy();
  const eventLog = logHealthy && (redis?.eventLog ?? 'ok') === 'ok' ? 'ok' : 'unavailable';
  const redisOk = Object.values(redis ?? {}).every((state) => state === 'ok');
  return {
    ready: elepay === 'ok' && elopage === 'ok' && eventLog === 'ok' && redisOk && store === 'ok',
    providers: { elepay, elopage },
    eventLog,
    ledger: { store, projectionLagMs: projectionLagMs() },
    ...(redis ? { redis } : {}),
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

/** The ledger's probe answers within a second (Ledger.ping): a PostgreSQL that hangs makes the gateway unready, not /readyz slow. */
async function probeLedger(services: Services): Promise<'ok' | 'unavailable'> {
  try {
    await services.ledger.ping();
    return 'ok';
  } catch {
    return 'unavailable';
  }
}
