import type { Logger } from '../logger.js';
import type { LedgerConfig } from './config.js';
import { connect } from './engines.js';
import type { Ledger } from './ledger.js';
import { migrateToLatest } from './migrations.js';
import { SqlLedger } from './store.js';

/**
 * Opens the configured ledger and brings its schema up to date. A database that cannot be reached
 * or migrated fails the start with one message: the ledger is the gateway's memory, not an option.
 */
export async function openLedger(config: LedgerConfig, logger: Logger): Promise<Ledger> {
  const db = await connect(config).catch((error: unknown) => {
    throw new LedgerOpenError(error);
  });
  try {
    await migrateToLatest(db, config.engine);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new LedgerOpenError(error);
  }
  return new SqlLedger(db, config.engine, logger);
}

/** The configured database cannot be opened or migrated: the operator's problem, said in one line. */
export class LedgerOpenError extends Error {
  constructor(cause: unknown) {
    super(`ledger: cannot open the database (${(cause as Error).message ?? String(cause)})`);
    this.name = 'LedgerOpenError';
  }
}
