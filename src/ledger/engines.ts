import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { LedgerConfig } from './config.js';
import type { LedgerDatabase } from './tables.js';

/**
 * Connects Kysely to the configured engine, as Backstage's database connectors do: embedded SQLite
 * (better-sqlite3) in memory or in a file for one instance, PostgreSQL (pg's pool) for several.
 * Each driver is imported only when used, so a SQLite gateway never loads pg and the other way round.
 */
export async function connect(config: LedgerConfig): Promise<Kysely<LedgerDatabase>> {
  if (config.engine === 'postgres') {
    const { Pool } = (await import('pg')).default;
    const pool = new Pool({
      connectionString: config.url,
      max: 10,
      // Fail fast rather than hang a webhook's projection or a read's note behind a dead server.
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
    });
    // A client losing its server (a restart, pg_terminate_backend) emits 'error': on the pool while
    // idle in it, on the client itself while checked out between two queries (inside a
    // transaction), where no listener would make it an uncaught exception that ends the process.
    // Either way the next query on it fails, and that failure is what the ledger's callers handle.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    return new Kysely({ dialect: new PostgresDialect({ pool }) });
  }
  const Database = (await import('better-sqlite3')).default;
  const database = new Database(config.path ?? ':memory:');
  // Every integer comes back as a bigint: money in minor units stays exact beyond 2^53.
  database.defaultSafeIntegers(true);
  database.pragma('foreign_keys = ON');
  if (config.path) {
    // A file: readers do not wait for the writer, and a crash loses no committed change.
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
  }
  return new Kysely({ dialect: new SqliteDialect({ database }) });
}
