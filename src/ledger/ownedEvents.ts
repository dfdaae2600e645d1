import type { Transaction } from '../domain/model.js';
import type { RecordOrigin } from '../events/event.js';
import type { EventLog, RecordOutcome } from '../events/log.js';
import type { Logger } from '../logger.js';
import type { Ledger } from './ledger.js';

/**
 * The event log with each recorded change carrying its transaction's owner (docs/ledger.md,
 * Tenants): looked up in the ledger once per change, as it is appended, so every subscriber on every
 * instance (the owner travels with the event through Redis) decides with a plain comparison.
 *
 * A webhook does not wait long on the ledger (Ledger.ownerOf answers within a second or fails):
 * without an answer the change is recorded without an owner, which fails closed (only clients
 * without a tenant hear it).
 */
export function withOwners(log: EventLog, ledger: Ledger, logger: Logger): EventLog {
  let failing = false;
  async function ownerOf(transaction: Transaction): Promise<string | null> {
    try {
      const owner = await ledger.ownerOf(transaction);
      failing = false;
      return owner;
    } catch (error) {
      if (!failing) {
        logger.warn(
          { err: { message: (error as Error).message } },
          "ledger: cannot look up transactions' tenants; their events go to clients without a tenant only",
        );
      }
      failing = true;
      return null;
    }
  }

  return {
    async record(transaction: Transaction, origin?: RecordOrigin): Promise<RecordOutcome> {
      return log.record(transaction, { ...origin, tenant: await ownerOf(transaction) });
    },
    observe: (transaction) => log.observe(transaction),
    since: (cursor) => log.since(cursor),
    locate: (cursor) => log.locate(cursor),
    listen: (listener) => log.listen(listener),
    isHealthy: () => log.isHealthy(),
    close: () => log.close(),
  };
}
