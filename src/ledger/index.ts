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
  const db = await connect(config);
  try {
    await migrateToLatest(db, config.engine);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new Error(`ledger: cannot open the database (${(error as Error).message})`);
  }
  return new SqlLedger(db, config.engine, logger);
}
