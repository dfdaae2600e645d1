import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { LedgerConfig } from './config.js';
import type { LedgerDatabase } from './tables.js';

/**
 * The ledger's schema, as Kysely migrations written in code (not files found at run time), so they
 * run the same from `tsx` and from the compiled `dist/`. Each migration is named by its order and
 * never changed once released; a change of schema is a new migration. On PostgreSQL, Kysely's
 * migration lock lets several instances start at once: one migrates, the others wait.
 */
type Engine = LedgerConfig['engine'];

function migrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_transactions_and_history': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('transactions')
          // The one engine difference: an ever-increasing insertion number.
          .addColumn('sequence', engine === 'postgres' ? 'bigint' : 'integer', (column) =>
            engine === 'postgres'
              ? column.primaryKey().generatedByDefaultAsIdentity()
              : column.primaryKey().autoIncrement(),
          )
          .addColumn('id', 'text', (column) => column.notNull().unique())
          .addColumn('provider', 'text', (column) => column.notNull())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('provider_id', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('provider_status', 'text', (column) => column.notNull())
          .addColumn('amount_minor', 'bigint')
          .addColumn('currency', 'text', (column) => column.notNull())
          .addColumn('sales_page_id', 'text')
          .addColumn('tenant', 'text')
          .addColumn('created_at_ms', 'bigint', (column) => column.notNull())
          .addColumn('updated_at_ms', 'bigint', (column) => column.notNull())
          .addColumn('changes', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        // Newest first, and the same under each filter a list is likely to use.
        await db.schema
          .createIndex('transactions_newest')
          .on('transactions')
          .columns(['created_at_ms', 'sequence'])
          .execute();
        await db.schema
          .createIndex('transactions_status_newest')
          .on('transactions')
          .columns(['status', 'created_at_ms', 'sequence'])
          .execute();
        await db.schema
          .createIndex('transactions_sales_page_newest')
          .on('transactions')
          .columns(['sales_page_id', 'created_at_ms', 'sequence'])
          .execute();

        await db.schema
          .createTable('status_changes')
          .addColumn('transaction_id', 'text', (column) =>
            column.notNull().references('transactions.id').onDelete('cascade'),
          )
          .addColumn('position', 'integer', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('previous_status', 'text')
          .addColumn('provider_status', 'text', (column) => column.notNull())
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('provider_event_id', 'text')
          .addColumn('observed_at_ms', 'bigint', (column) => column.notNull())
          .addColumn('event_cursor', 'text')
          .addPrimaryKeyConstraint('status_changes_pk', ['transaction_id', 'position'])
          .execute();

        await db.schema
          .createTable('checkpoints')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('cursor', 'text', (column) => column.notNull())
          .execute();
        // The row exists from the start, so projecting can lock it (PostgreSQL: FOR UPDATE).
        await sql`insert into checkpoints (name, cursor) values ('events', '0-0')`.execute(db);
      },
    },
    '0002_reconciliation': {
      async up(db: Kysely<unknown>) {
        // When the reconciler next polls a transaction, and how many polls found nothing new since
        // its last change (the backoff's exponent). Null: due at the next pass.
        await db.schema.alterTable('transactions').addColumn('reconcile_after_ms', 'bigint').execute();
        await db.schema
          .alterTable('transactions')
          .addColumn('reconcile_attempts', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createIndex('transactions_reconcile_due')
          .on('transactions')
          .columns(['status', 'reconcile_after_ms'])
          .execute();
        await db.schema
          .createTable('leases')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('holder', 'text', (column) => column.notNull())
          .addColumn('expires_at_ms', 'bigint', (column) => column.notNull())
          .execute();
      },
    },
    '0003_webhook_deliveries': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('sequence', engine === 'postgres' ? 'bigint' : 'integer', (column) =>
            engine === 'postgres'
              ? column.primaryKey().generatedByDefaultAsIdentity()
              : column.primaryKey().autoIncrement(),
          )
          .addColumn('received_at_ms', 'bigint', (column) => column.notNull())
          .addColumn('provider', 'text', (column) => column.notNull())
          .addColumn('verified', 'integer', (column) => column.notNull())
          .addColumn('refusal', 'text')
          .addColumn('http_status', 'integer', (column) => column.notNull())
          .addColumn('outcome', 'text', (column) => column.notNull())
          .addColumn('transaction_ids', 'text', (column) => column.notNull())
          .addColumn('event_cursors', 'text', (column) => column.notNull())
          .addColumn('provider_event_id', 'text')
          .addColumn('body', 'text')
          .addColumn('signature', 'text')
          .addColumn('follow_up_after_ms', 'bigint')
          .addColumn('follow_up_attempts', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        // Newest first (the operator's list, retention's oldest first), and the reconciler's due ones.
        await db.schema
          .createIndex('webhook_deliveries_newest')
          .on('webhook_deliveries')
          .columns(['received_at_ms', 'sequence'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_follow_up')
          .on('webhook_deliveries')
          .column('follow_up_after_ms')
          .execute();
      },
    },
    // The `tenant` column of transactions exists since 0001.
    '0004_tenants_and_retention': {
      async up(db: Kysely<unknown>) {
        // A tenant's list, newest first.
        await db.schema
          .createIndex('transactions_tenant_newest')
          .on('transactions')
          .columns(['tenant', 'created_at_ms', 'sequence'])
          .execute();
        // Retention's sweep: final transactions by their last change.
        await db.schema
          .createIndex('transactions_status_updated')
          .on('transactions')
          .columns(['status', 'updated_at_ms'])
          .execute();
        // The tenant of each sales page a tenant's client created: its payments are the tenant's.
        await db.schema
          .createTable('sales_pages')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('tenant', 'text', (column) => column.notNull())
          .execute();
      },
    },
    '0005_unpublished_changes': {
      async up(db: Kysely<unknown>) {
        // The reconciler hands such a change to the event log, final or not (services/reconcile.ts).
        await db.schema
          .alterTable('transactions')
          .addColumn('unpublished', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        await sql`
          UPDATE transactions SET unpublished = 1 WHERE EXISTS (
            SELECT 1 FROM status_changes
            WHERE status_changes.transaction_id = transactions.id
              AND status_changes.position = transactions.changes
              AND status_changes.previous_status IS NOT NULL
              AND status_changes.event_cursor IS NULL)`.execute(db);
        // Few rows at a time: a partial index keeps finding them cheap however large the ledger.
        await db.schema
          .createIndex('transactions_unpublished')
          .on('transactions')
          .column('reconcile_after_ms')
          .where(sql.ref('unpublished'), '=', 1)
          .execute();
      },
    },
    '0006_refunded_transactions': {
      async up(db: Kysely<unknown>) {
        // What a refund reverses: an elopage payment reads successful after its refund, so whether
        // it was refunded is the ledger's knowledge (domain/actions.ts). Rows from before stay null.
        await db.schema.alterTable('transactions').addColumn('refunded_id', 'text').execute();
        await db.schema
          .createIndex('transactions_refunded')
          .on('transactions')
          .column('refunded_id')
          .where(sql.ref('refunded_id'), 'is not', null)
          .execute();
      },
    },
  };
}

/** Brings the database to the newest schema; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<LedgerDatabase>, engine: Engine): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    // No failed migration: none could run (the database could not be reached or locked).
    const what = failed ? `ledger migration ${failed} failed` : 'ledger migrations could not run';
    throw new Error(`${what}: ${(error as Error).message ?? String(error)}`);
  }
}
