import { globalIdOf } from '../domain/ids.js';
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
 * A webhook must not wait long on the ledger: past OWNER_DEADLINE_MS, or when the ledger fails, the
 * change is recorded without an owner, which fails closed (only clients without a tenant see it).
 */
const OWNER_DEADLINE_MS = 1_000;

export function withOwners(log: EventLog, ledger: Ledger, logger: Logger): EventLog {
  let failing = false;
  async function ownerOf(transaction: Transaction): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the ledger did not answer in time')), OWNER_DEADLINE_MS);
    });
    try {
      const [owner] = await Promise.race([ledger.owners([globalIdOf(transaction)]), late]);
      failing = false;
      return owner ?? null;
    } catch (error) {
      if (!failing) {
        logger.warn(
          { err: { message: (error as Error).message } },
          "ledger: cannot look up transactions' tenants; their events go to clients without a tenant only",
        );
      }
      failing = true;
      return null;
    } finally {
      clearTimeout(timer);
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
