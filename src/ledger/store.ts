import type {
  ExpressionBuilder,
  Kysely,
  Selectable,
  SelectQueryBuilder,
  Transaction as SqlTransaction,
} from 'kysely';
import { globalIdOf } from '../domain/ids.js';
import type { Transaction } from '../domain/model.js';
import { Dec, fromMinorUnits, toMinorUnits } from '../domain/money.js';
import type { PaymentStatus } from '../domain/status.js';
import { compareCursors, judgeChange } from '../events/event.js';
import type { Logger } from '../logger.js';
import type { LedgerConfig } from './config.js';
import type {
  Ledger,
  LedgerEntry,
  LedgerFilter,
  LedgerPage,
  ListPosition,
  ObservationSource,
  RecordedChange,
  StatusChange,
  StatusSource,
  TransactionKind,
} from './ledger.js';
import type { LedgerDatabase, StatusChangesTable, TransactionsTable } from './tables.js';

/**
 * The ledger in SQL, one implementation for both engines: every query is Kysely's, and the only
 * engine difference here is row locking. PostgreSQL serves several instances at once, so a write
 * locks the rows it reads before judging (SELECT … FOR UPDATE); SQLite has one writer and Kysely
 * runs its transactions one after another on its single connection, so there is nothing to lock.
 */

/** The checkpoint row of the event-log projection (migrations.ts creates it). */
const EVENTS_CHECKPOINT = 'events';

/**
 * How many transactions' last noted statuses an instance remembers, to skip writing what the ledger
 * already has (a page of 100 charges read again and again). Forgotten all at once when full: the
 * cost is one redundant write per transaction afterwards.
 */
const NOTED_CAPACITY = 100_000;

interface Observation {
  transaction: Transaction;
  source: StatusSource;
  observedAt: Date;
  providerEventId: string | null;
  cursor: string | null;
}

export class SqlLedger implements Ledger {
  private readonly locks: boolean;
  private readonly noted = new Map<string, PaymentStatus>();
  /** Whether the last observation failed: an outage is logged when it begins and when it ends. */
  private failing = false;

  constructor(
    private readonly db: Kysely<LedgerDatabase>,
    engine: LedgerConfig['engine'],
    private readonly logger: Logger,
  ) {
    this.locks = engine === 'postgres';
  }

  async observe(transactions: readonly Transaction[], source: ObservationSource): Promise<void> {
    // One lock order for every writer (sorted by ID), so two concurrent pages cannot deadlock.
    const news = transactions
      .map((transaction) => ({ id: globalIdOf(transaction), transaction }))
      .filter(({ id, transaction }) => this.noted.get(id) !== transaction.status)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (news.length === 0) return;
    const observedAt = new Date();
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const { transaction } of news) {
          await this.apply(trx, { transaction, source, observedAt, providerEventId: null, cursor: null });
        }
      });
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(
          { err: { message: (error as Error).message } },
          'ledger: cannot note transactions; reads and mutations go on without it',
        );
      }
      this.failing = true;
      return;
    }
    if (this.failing) this.logger.info('ledger: noting transactions again');
    this.failing = false;
    if (this.noted.size + news.length > NOTED_CAPACITY) this.noted.clear();
    for (const { id, transaction } of news) this.noted.set(id, transaction.status);
  }

  async project(change: RecordedChange): Promise<'applied' | 'duplicate'> {
    return this.db.transaction().execute(async (trx) => {
      const checkpoint = await trx
        .selectFrom('checkpoints')
        .select('cursor')
        .where('name', '=', EVENTS_CHECKPOINT)
        .$if(this.locks, (query) => query.forUpdate())
        .executeTakeFirstOrThrow();
      if (compareCursors(change.cursor, checkpoint.cursor) <= 0) return 'duplicate';
      await this.apply(trx, {
        transaction: change.transaction,
        source: 'WEBHOOK',
        observedAt: change.occurredAt,
        providerEventId: change.providerEventId ?? null,
        cursor: change.cursor,
      });
      await trx
        .updateTable('checkpoints')
        .set({ cursor: change.cursor })
        .where('name', '=', EVENTS_CHECKPOINT)
        .execute();
      return 'applied';
    });
  }

  async checkpoint(): Promise<string> {
    const row = await this.db
      .selectFrom('checkpoints')
      .select('cursor')
      .where('name', '=', EVENTS_CHECKPOINT)
      .executeTakeFirstOrThrow();
    return row.cursor;
  }

  async list(filter: LedgerFilter, first: number, after: ListPosition | null): Promise<LedgerPage> {
    const matching = filtered(this.db.selectFrom('transactions'), filter);
    const counted = matching.select((eb) => eb.fn.countAll<bigint | number | string>().as('count'));
    const page = (after ? matching.where((eb) => before(eb, after)) : matching)
      .selectAll()
      .orderBy('created_at_ms', 'desc')
      .orderBy('sequence', 'desc')
      // One more than asked: whether a next page exists.
      .limit(first + 1);
    const [rows, total] = await Promise.all([page.execute(), counted.executeTakeFirstOrThrow()]);
    return {
      entries: rows.slice(0, first).map((row) => ({
        entry: toEntry(row),
        position: { createdAt: new Date(toNumber(row.created_at_ms)), sequence: toNumber(row.sequence) },
      })),
      hasNextPage: rows.length > first,
      totalCount: toNumber(total.count),
    };
  }

  async histories(transactionIds: readonly string[]): Promise<StatusChange[][]> {
    if (transactionIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('status_changes')
      .selectAll()
      .where('transaction_id', 'in', [...new Set(transactionIds)])
      .orderBy('transaction_id')
      .orderBy('position')
      .execute();
    const byTransaction = new Map<string, StatusChange[]>();
    for (const row of rows) {
      const changes = byTransaction.get(row.transaction_id) ?? [];
      changes.push(toStatusChange(row));
      byTransaction.set(row.transaction_id, changes);
    }
    return transactionIds.map((id) => byTransaction.get(id) ?? []);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Records one observation inside a database transaction: the transaction's row is made if new,
   * then locked and judged; only a status that moves it forward is stored and added to its history.
   */
  private async apply(trx: SqlTransaction<LedgerDatabase>, observation: Observation): Promise<void> {
    const { transaction, observedAt } = observation;
    const id = globalIdOf(transaction);
    const at = observedAt.getTime();
    const amountMinor = minorUnitsOf(transaction);
    await trx
      .insertInto('transactions')
      .values({
        id,
        provider: transaction.provider,
        kind: kindOf(transaction),
        provider_id: transaction.providerId,
        status: transaction.status,
        provider_status: transaction.providerStatus,
        amount_minor: amountMinor,
        currency: transaction.amount.currency,
        sales_page_id: 'salesPageId' in transaction ? transaction.salesPageId : null,
        tenant: null,
        created_at_ms: transaction.createdAt?.getTime() ?? at,
        updated_at_ms: at,
        changes: 0,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    const row = await trx
      .selectFrom('transactions')
      .select(['status', 'changes'])
      .where('id', '=', id)
      .$if(this.locks, (query) => query.forUpdate())
      .executeTakeFirstOrThrow();
    const changes = toNumber(row.changes);
    const previous = changes === 0 ? null : (row.status as PaymentStatus);
    if (judgeChange(previous, transaction.status) !== 'publish') return;
    await trx
      .updateTable('transactions')
      .set({
        status: transaction.status,
        provider_status: transaction.providerStatus,
        amount_minor: amountMinor,
        updated_at_ms: at,
        changes: changes + 1,
      })
      .where('id', '=', id)
      .execute();
    await trx
      .insertInto('status_changes')
      .values({
        transaction_id: id,
        position: changes + 1,
        status: transaction.status,
        previous_status: previous,
        provider_status: transaction.providerStatus,
        source: observation.source,
        provider_event_id: observation.providerEventId,
        observed_at_ms: at,
        event_cursor: observation.cursor,
      })
      .execute();
  }
}

function filtered<O>(
  query: SelectQueryBuilder<LedgerDatabase, 'transactions', O>,
  { provider, statuses, kind, salesPageId, createdAfter, createdBefore }: LedgerFilter,
): SelectQueryBuilder<LedgerDatabase, 'transactions', O> {
  let matching = query;
  if (provider) matching = matching.where('provider', '=', provider);
  if (statuses?.length) matching = matching.where('status', 'in', [...statuses]);
  if (kind) matching = matching.where('kind', '=', kind);
  if (salesPageId) matching = matching.where('sales_page_id', '=', salesPageId);
  if (createdAfter) matching = matching.where('created_at_ms', '>=', createdAfter.getTime());
  if (createdBefore) matching = matching.where('created_at_ms', '<=', createdBefore.getTime());
  return matching;
}

/** Rows after `position` in the list's order (newest first): older, or as old and inserted earlier. */
function before(eb: ExpressionBuilder<LedgerDatabase, 'transactions'>, position: ListPosition) {
  const createdAt = position.createdAt.getTime();
  return eb.or([
    eb('created_at_ms', '<', createdAt),
    eb.and([eb('created_at_ms', '=', createdAt), eb('sequence', '<', position.sequence)]),
  ]);
}

function kindOf(transaction: Transaction): TransactionKind {
  return transaction.kind === 'Payment' ? 'PAYMENT' : transaction.kind === 'Charge' ? 'CHARGE' : 'REFUND';
}

function minorUnitsOf(transaction: Transaction): bigint | null {
  const { amount, currency } = transaction.amount;
  const units = toMinorUnits(new Dec(amount), currency);
  return units === null ? null : BigInt(units);
}

/** A 64-bit integer column as a number: times and counters stay far below 2^53. */
function toNumber(value: bigint | number | string): number {
  return Number(value);
}

function toEntry(row: Selectable<TransactionsTable>): LedgerEntry {
  return {
    id: row.id,
    provider: row.provider as LedgerEntry['provider'],
    kind: row.kind as TransactionKind,
    providerId: row.provider_id,
    status: row.status as PaymentStatus,
    providerStatus: row.provider_status,
    amount:
      row.amount_minor === null ? null : fromMinorUnits(BigInt(row.amount_minor).toString(), row.currency),
    currency: row.currency,
    salesPageId: row.sales_page_id,
    createdAt: new Date(toNumber(row.created_at_ms)),
    updatedAt: new Date(toNumber(row.updated_at_ms)),
  };
}

function toStatusChange(row: Selectable<StatusChangesTable>): StatusChange {
  return {
    transactionId: row.transaction_id,
    status: row.status as PaymentStatus,
    previousStatus: row.previous_status as PaymentStatus | null,
    providerStatus: row.provider_status,
    source: row.source as StatusSource,
    providerEventId: row.provider_event_id,
    observedAt: new Date(toNumber(row.observed_at_ms)),
    cursor: row.event_cursor,
  };
}
