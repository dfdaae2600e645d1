/**
 * The reconciler: brings the gateway to the providers' truth when webhooks are late, lost or never
 * sent (elepay sends none for a failed or uncaptured charge). Every RECONCILE_INTERVAL_MS, the one
 * instance holding the ledger's `reconciler` lease reads each non-final transaction that is due from
 * its provider and records what it finds in the event log with source RECONCILIATION: the webhooks'
 * own path, so a change is news once (the log's rule), reaches every instance's subscribers once,
 * and the ledger's projection adds it to `statusHistory`. A poll that finds nothing new puts the next
 * one off, interval × 2^polls-without-news up to 64 intervals; a change starts the backoff over.
 * It also polls what a verified webhook answered 503 named (object not readable yet, event log
 * down), until it is recorded: the ledger may not know those transactions at all. An unverified
 * webhook (bad signature, wrong token) never makes the gateway call a provider.
 */
import { randomUUID } from 'node:crypto';
import type { Services } from '../context.js';
import { ProviderError } from '../domain/errors.js';
import { decodeGlobalId } from '../domain/ids.js';
import type { Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { rerecordDelivery } from './webhookReplay.js';

type ReconcilerServices = Pick<Services, 'elepay' | 'elopage' | 'events' | 'ledger' | 'logger' | 'metrics'>;

/** The ledger's lease row: one instance polls at a time. */
const LEASE = 'reconciler';
/** The most transactions (and refused webhooks) one pass polls; the rest are due at the next. */
const BATCH = 100;
/** 2^6 = 64 intervals between polls at most (about an hour at the default 60 s). */
const MAX_BACKOFF_EXPONENT = 6;
/** A poll asks the provider now: it must not join a read already in flight (providers/sharedReads.ts). */
const FRESH = { fresh: true };

export interface Reconciler {
  /**
   * One pass now: how many changes it recorded, or null when another instance holds the lease (or
   * the ledger cannot be used) and this one polled nothing.
   */
  pass(): Promise<number | null>;
  /** Stops the schedule and waits for a pass under way. */
  stop(): Promise<void>;
}

/** What one poll of a transaction found. */
export interface PollResult {
  /** The transaction as its provider has it now; null when it no longer knows it. */
  transaction: Transaction | null;
  /** The status the gateway knew before (the ledger's); null when it knew none. */
  previousStatus: PaymentStatus | null;
  /** The event-log cursor of the change the poll recorded; null when there was no news. */
  cursor: string | null;
}

/** What the provider says of a transaction (by global ID) now; null when it no longer knows it. */
async function readFromProvider(services: ReconcilerServices, id: string): Promise<Transaction | null> {
  const ref = decodeGlobalId(id);
  if (ref?.kind === 'Charge') return services.elepay.getCharge(ref.id, FRESH);
  if (ref?.kind === 'Refund' && ref.provider === 'ELEPAY') {
    return services.elepay.getRefund(ref.chargeId, ref.id, FRESH);
  }
  if (ref?.kind === 'Payment' || ref?.kind === 'Refund')
    return services.elopage.getTransaction(ref.id, FRESH);
  return null;
}

/**
 * Polls one transaction now: reads it from its provider and records a status the ledger (`known`,
 * null when the ledger has none) does not have in the event log, with source RECONCILIATION; and,
 * when `unpublished`, the ledger's own status too, which the gateway saw itself (a read, a
 * mutation's answer) but subscribers have not heard of (the ledger keeps who told it first).
 * The reconciler's pass and the operator's `reconcileTransaction` both poll through here.
 */
export async function pollTransaction(
  services: ReconcilerServices,
  id: string,
  known: LedgerEntry | null,
  unpublished = false,
): Promise<PollResult> {
  const { events, logger, metrics } = services;
  const transaction = await readFromProvider(services, id);
  const previousStatus = known?.status ?? null;
  const unchanged = transaction?.status === previousStatus;
  // Only a status the ledger does not have yet is news; the log then judges it as a webhook's.
  if (transaction === null || (unchanged && !unpublished)) {
    return { transaction, previousStatus, cursor: null };
  }
  if (known && !unchanged) {
    // The ledger's status is one the gateway saw (a mutation's answer, a read): the event's previousStatus.
    await events.observe({ ...transaction, status: known.status, providerStatus: known.providerStatus });
  }
  const outcome = await events.record(transaction, { source: 'RECONCILIATION' });
  if (outcome.verdict === 'publish') {
    const { provider, kind, status } = transaction;
    metrics.statusChanges.inc({ provider, kind, status });
    logger.info(
      { transaction: transaction.providerId, provider, status, cursor: outcome.event?.cursor },
      'reconciler: status change recorded',
    );
  }
  return { transaction, previousStatus, cursor: outcome.event?.cursor ?? null };
}

export function startReconciler(services: ReconcilerServices, intervalMs: number): Reconciler {
  const { ledger, logger } = services;
  // This instance's name on the lease: new per start, so a restarted instance waits its turn.
  const holder = randomUUID();
  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number | null> | null = null;

  /** When to poll again after the `attempts`th poll that found nothing new. */
  const backedOff = (now: Date, attempts: number) =>
    new Date(now.getTime() + intervalMs * 2 ** Math.min(attempts, MAX_BACKOFF_EXPONENT));

  const cannotPoll = (what: Record<string, unknown>, error: unknown) =>
    logger.warn(
      { ...what, reason: error instanceof ProviderError ? error.code : (error as Error).message },
      'reconciler: cannot poll a transaction now; trying again later',
    );

  async function poll(): Promise<number | null> {
    const now = new Date();
    // The lease outlives two missed passes, so a slow pass keeps it and a dead instance's lapses.
    if (!(await ledger.lease(LEASE, holder, now, intervalMs * 3))) return null;
    let recorded = 0;
    for (const { entry, attempts, unpublished } of await ledger.dueForReconciliation(now, BATCH)) {
      if (stopped) break;
      try {
        // A recorded change is news: the projection's write of it starts the backoff over.
        if ((await pollTransaction(services, entry.id, entry, unpublished)).cursor !== null) {
          recorded++;
          continue;
        }
      } catch (error) {
        cannotPoll({ transaction: entry.providerId, provider: entry.provider }, error);
      }
      await ledger.deferReconciliation(entry.id, backedOff(now, attempts), attempts + 1);
    }
    // Verified webhooks answered 503 name transactions the ledger may not know yet: poll those too.
    for (const { delivery, attempts } of await ledger.deliveries.dueFollowUps(now, BATCH)) {
      if (stopped) break;
      try {
        const { result, eventCursors } = await rerecordDelivery(services, delivery, 'RECONCILIATION');
        if (result !== 'NOT_READABLE_YET') {
          recorded += eventCursors.length;
          continue;
        }
      } catch (error) {
        cannotPoll({ webhookDelivery: delivery.id, provider: delivery.provider }, error);
      }
      await ledger.deliveries.deferFollowUp(delivery.id, backedOff(now, attempts), attempts + 1);
    }
    return recorded;
  }

  function pass(): Promise<number | null> {
    running ??= poll()
      .then(
        (recorded) => {
          if (failing) logger.info('reconciler: polling again');
          failing = false;
          return recorded;
        },
        (error: Error) => {
          if (!failing) logger.warn({ err: { message: error.message } }, 'reconciler: cannot use the ledger');
          failing = true;
          return null;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => void pass().finally(schedule), intervalMs);
    timer.unref();
  }
  schedule();

  return {
    pass,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
