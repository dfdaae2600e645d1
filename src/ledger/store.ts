import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SelectQueryBuilder,
  type Transaction as SqlTransaction,
  sql,
} from 'kysely';
import { encodeGlobalId, globalIdOf } from '../domain/ids.js';
import type { Transaction } from '../domain/model.js';
import { Dec, fromMinorUnits, toMinorUnits } from '../domain/money.js';
import type { PaymentStatus } from '../domain/status.js';
import { compareCursors, FINAL_STATUSES, judgeChange } from '../events/event.js';
import type { Logger } from '../logger.js';
import type { LedgerConfig } from './config.js';
import type { WebhookDeliveries } from './deliveries.js';
import { SqlWebhookDeliveries } from './deliveryStore.js';
import type {
  DuePoll,
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
  /** The owner a new row gets (a tenant's mutation); null: none yet. */
  tenant: string | null;
}

/**
 * One table's retention: deletes at most `limit` of its rows older than `before` in one short
 * statement (or transaction) and resolves to how many it deleted.
 */
interface RetentionSweep {
  table: string;
  deleteBatch(before: Date, limit: number): Promise<number>;
}

/**
 * Final transactions whose last change is older than `beforeMs`, with their history. A final status
 * never changes again (events/event.ts, judgeChange), so a row selected here stays expired.
 */
async function deleteFinalTransactions(
  db: Kysely<LedgerDatabase>,
  before: Date,
  limit: number,
): Promise<number> {
  const beforeMs = before.getTime();
  return db.transaction().execute(async (trx) => {
    const expired = await trx
      .selectFrom('transactions')
      .select('id')
      .where('status', 'in', [...FINAL_STATUSES])
      .where('updated_at_ms', '<', beforeMs)
      .orderBy('updated_at_ms')
      .limit(limit)
      .execute();
    if (expired.length === 0) return 0;
    const ids = expired.map((row) => row.id);
    await trx.deleteFrom('status_changes').where('transaction_id', 'in', ids).execute();
    const deleted = await trx.deleteFrom('transactions').where('id', 'in', ids).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  });
}

export class SqlLedger implements Ledger {
  private readonly locks: boolean;
  private readonly noted = new Map<string, PaymentStatus>();
  /** Whether the last observation failed: an outage is logged when it begins and when it ends. */
  private failing = false;
  private readonly noting = new Set<Promise<void>>();
  readonly deliveries: WebhookDeliveries;

  constructor(
    private readonly db: Kysely<LedgerDatabase>,
    engine: LedgerConfig['engine'],
    private readonly logger: Logger,
  ) {
    this.locks = engine === 'postgres';
    this.deliveries = new SqlWebhookDeliveries(db, logger);
  }

  observe(transactions: readonly Transaction[], source: ObservationSource): Promise<void> {
    // Nearly every read sees what the ledger has already: that costs a lookup, no promise chain.
    const unnoted = transactions.filter(
      (transaction) => this.noted.get(globalIdOf(transaction)) !== transaction.status,
    );
    if (unnoted.length === 0) return Promise.resolve();
    // Reads do not wait for their notes: close() does, so none is cut off by a shutdown.
    const noting = this.note(unnoted, source);
    this.noting.add(noting);
    return noting.finally(() => this.noting.delete(noting));
  }

  private async note(transactions: readonly Transaction[], source: ObservationSource): Promise<void> {
    const observedAt = new Date();
    const news = transactions.map(
      (transaction): Observation => ({
        transaction,
        source,
        observedAt,
        providerEventId: null,
        cursor: null,
        tenant: null,
      }),
    );
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const observation of inLockOrder(news)) await this.apply(trx, observation);
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
    for (const { transaction } of news) this.noted.set(globalIdOf(transaction), transaction.status);
  }

  async project(changes: readonly RecordedChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      const checkpoint = await trx
        .selectFrom('checkpoints')
        .select('cursor')
        .where('name', '=', EVENTS_CHECKPOINT)
        .$if(this.locks, (query) => query.forUpdate())
        .executeTakeFirstOrThrow();
      let last = checkpoint.cursor;
      const fresh: Observation[] = [];
      for (const change of changes) {
        if (compareCursors(change.cursor, last) <= 0) continue;
        fresh.push({
          transaction: change.transaction,
          source: change.source ?? 'WEBHOOK',
          observedAt: change.occurredAt,
          providerEventId: change.providerEventId ?? null,
          cursor: change.cursor,
          tenant: null,
        });
        last = change.cursor;
      }
      if (fresh.length === 0) return 0;
      for (const observation of inLockOrder(fresh)) await this.apply(trx, observation);
      await trx
        .updateTable('checkpoints')
        .set({ cursor: last })
        .where('name', '=', EVENTS_CHECKPOINT)
        .execute();
      return fresh.length;
    });
  }

  async own(transactions: readonly Transaction[], tenant: string): Promise<void> {
    if (transactions.length === 0) return;
    const observedAt = new Date();
    const observations = transactions.map(
      (transaction): Observation => ({
        transaction,
        source: 'MUTATION',
        observedAt,
        providerEventId: null,
        cursor: null,
        tenant,
      }),
    );
    await this.db.transaction().execute(async (trx) => {
      for (const observation of inLockOrder(observations)) await this.apply(trx, observation);
      // A row some other source made first (a webhook faster than the answer) has no owner yet.
      await trx
        .updateTable('transactions')
        .set({ tenant })
        .where('id', 'in', [...new Set(transactions.map(globalIdOf))])
        .where('tenant', 'is', null)
        .execute();
    });
    for (const transaction of transactions) this.noted.set(globalIdOf(transaction), transaction.status);
  }

  async owners(transactionIds: readonly string[]): Promise<(string | null)[]> {
    if (transactionIds.length === 0) return [];
    const rows = await withinDeadline(
      this.db
        .selectFrom('transactions')
        .select(['id', 'tenant'])
        .where('id', 'in', [...new Set(transactionIds)])
        .execute(),
      'owners',
    );
    const owners = new Map(rows.map((row) => [row.id, row.tenant]));
    return transactionIds.map((id) => owners.get(id) ?? null);
  }

  async refunded(transactionIds: readonly string[]): Promise<boolean[]> {
    if (transactionIds.length === 0) return [];
    const rows = await withinDeadline(
      this.db
        .selectFrom('transactions')
        .select('refunded_id')
        .distinct()
        .where('refunded_id', 'in', [...new Set(transactionIds)])
        .where('kind', '=', 'REFUND')
        .where('status', '!=', 'FAILED')
        .execute(),
      'refunds',
    );
    const refunded = new Set(rows.map((row) => row.refunded_id));
    return transactionIds.map((id) => refunded.has(id));
  }

  async ownerOf(transaction: Transaction): Promise<string | null> {
    const lookUp = async () => {
      const row = await this.db
        .selectFrom('transactions')
        .select('tenant')
        .where('id', '=', globalIdOf(transaction))
        .executeTakeFirst();
      // Not in the ledger yet (a buyer's first webhook): the tenant it will get when recorded.
      return row ? row.tenant : inheritedOwner(this.db, transaction);
    };
    return withinDeadline(lookUp(), 'owner');
  }

  async ownSalesPage(salesPageId: string, tenant: string): Promise<void> {
    await this.db
      .insertInto('sales_pages')
      .values({ id: salesPageId, tenant })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
  }

  async salesPageOwners(salesPageIds: readonly string[]): Promise<(string | null)[]> {
    if (salesPageIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('sales_pages')
      .selectAll()
      .where('id', 'in', [...new Set(salesPageIds)])
      .execute();
    const owners = new Map(rows.map((row) => [row.id, row.tenant]));
    return salesPageIds.map((id) => owners.get(id) ?? null);
  }

  /**
   * What LEDGER_RETENTION_DAYS deletes, one sweep per table, in this order. A table that grows with
   * time adds its sweep here.
   */
  private readonly retentionSweeps: readonly RetentionSweep[] = [
    {
      table: 'transactions',
      deleteBatch: (before, limit) => deleteFinalTransactions(this.db, before, limit),
    },
    {
      table: 'webhook_deliveries',
      deleteBatch: (before, limit) => this.deliveries.deleteReceivedBefore(before, limit),
    },
  ];

  async sweep(before: Date, batchSize: number, pauseMs: number): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const { table, deleteBatch } of this.retentionSweeps) {
      deleted[table] = 0;
      for (;;) {
        const count = await deleteBatch(before, batchSize);
        deleted[table] += count;
        if (count < batchSize) break;
        // Between batches, whatever waits for the database (SQLite: the event loop) goes first.
        await sleep(pauseMs);
      }
    }
    return deleted;
  }

  async ping(): Promise<void> {
    await withinDeadline(sql`select 1`.execute(this.db), 'ping');
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

  async dueForReconciliation(now: Date, limit: number): Promise<DuePoll[]> {
    const rows = await this.db
      .selectFrom('transactions')
      .selectAll()
      // A change the gateway saw itself is due even when final: subscribers hear only what the
      // log publishes, and a failed charge has no webhook to bring it.
      .where((eb) => eb.or([eb('status', 'not in', [...FINAL_STATUSES]), eb('unpublished', '=', 1)]))
      .where((eb) =>
        eb.or([eb('reconcile_after_ms', 'is', null), eb('reconcile_after_ms', '<=', now.getTime())]),
      )
      .orderBy('reconcile_after_ms')
      .orderBy('sequence')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      entry: toEntry(row),
      attempts: toNumber(row.reconcile_attempts),
      unpublished: toNumber(row.unpublished) === 1,
    }));
  }

  async deferReconciliation(transactionId: string, until: Date, attempts: number): Promise<void> {
    await this.db
      .updateTable('transactions')
      .set({ reconcile_after_ms: until.getTime(), reconcile_attempts: attempts })
      .where('id', '=', transactionId)
      .execute();
  }

  async lease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean> {
    const held = await this.db
      .insertInto('leases')
      .values({ name, holder, expires_at_ms: now.getTime() + ttlMs })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet((eb) => ({
            holder: eb.ref('excluded.holder'),
            expires_at_ms: eb.ref('excluded.expires_at_ms'),
          }))
          .where((eb) =>
            eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at_ms', '<', now.getTime())]),
          ),
      )
      .returning('holder')
      .executeTakeFirst();
    return held !== undefined;
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

  async entry(transactionId: string): Promise<LedgerEntry | null> {
    const row = await this.db
      .selectFrom('transactions')
      .selectAll()
      .where('id', '=', transactionId)
      .executeTakeFirst();
    return row ? toEntry(row) : null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.noting, this.deliveries.flush()]);
    await this.db.destroy();
  }

  /**
   * Records one observation inside a database transaction: the transaction's row is made if new,
   * then locked and judged; only a status that moves it forward is stored and added to its history.
   */
  private async apply(trx: SqlTransaction<LedgerDatabase>, observation: Observation): Promise<void> {
    const { transaction, cursor } = observation;
    const id = globalIdOf(transaction);
    const at = observation.observedAt.getTime();
    const amountMinor = minorUnitsOf(transaction);
    let row = await this.lockRow(trx, id);
    if (!row) {
      const salesPageId = 'salesPageId' in transaction ? transaction.salesPageId : null;
      // New: the row comes with its first status, unless another instance made it just now.
      const made = await trx
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
          sales_page_id: salesPageId,
          tenant: (await inheritedOwner(trx, transaction)) ?? observation.tenant,
          refunded_id: refundedIdOf(transaction),
          created_at_ms: transaction.createdAt?.getTime() ?? at,
          updated_at_ms: at,
          changes: 1,
        })
        .onConflict((conflict) => conflict.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (made) return this.addChange(trx, id, 1, null, observation);
      row = await this.lockRow(trx, id);
      if (!row) throw new Error(`ledger: transaction ${id} vanished while being recorded`);
    }
    const changes = toNumber(row.changes);
    const previous = row.status as PaymentStatus;
    if (cursor !== null && previous === transaction.status) {
      // The log now carries the status the gateway saw itself: subscribers have heard of it.
      await trx
        .updateTable('transactions')
        .set({ unpublished: 0 })
        .where('id', '=', id)
        .where('unpublished', '=', 1)
        .execute();
    }
    if (judgeChange(previous, transaction.status) !== 'publish') return;
    await trx
      .updateTable('transactions')
      .set({
        status: transaction.status,
        provider_status: transaction.providerStatus,
        amount_minor: amountMinor,
        updated_at_ms: at,
        changes: changes + 1,
        // News: the reconciler starts its backoff over.
        reconcile_after_ms: null,
        reconcile_attempts: 0,
        unpublished: cursor === null ? 1 : 0,
      })
      .where('id', '=', id)
      .execute();
    await this.addChange(trx, id, changes + 1, previous, observation);
  }

  /** A transaction's status and history length, locked for this database transaction (PostgreSQL). */
  private lockRow(trx: SqlTransaction<LedgerDatabase>, id: string) {
    return trx
      .selectFrom('transactions')
      .select(['status', 'changes'])
      .where('id', '=', id)
      .$if(this.locks, (query) => query.forUpdate())
      .executeTakeFirst();
  }

  private async addChange(
    trx: SqlTransaction<LedgerDatabase>,
    id: string,
    position: number,
    previous: PaymentStatus | null,
    { transaction, source, providerEventId, observedAt, cursor }: Observation,
  ): Promise<void> {
    await trx
      .insertInto('status_changes')
      .values({
        transaction_id: id,
        position,
        status: transaction.status,
        previous_status: previous,
        provider_status: transaction.providerStatus,
        source,
        provider_event_id: providerEventId,
        observed_at_ms: observedAt.getTime(),
        event_cursor: cursor,
      })
      .execute();
  }
}

/**
 * The tenant a transaction belongs to whoever made it or told the gateway of it: a payment or
 * refund of a tenant's sales page is the tenant's (whoever paid), and a refund is its refunded
 * transaction's tenant's (whoever refunded, at the gateway or at the provider). Null: neither.
 */
async function inheritedOwner(db: Kysely<LedgerDatabase>, transaction: Transaction): Promise<string | null> {
  const salesPageId = 'salesPageId' in transaction ? transaction.salesPageId : null;
  if (salesPageId) {
    const page = await db
      .selectFrom('sales_pages')
      .select('tenant')
      .where('id', '=', salesPageId)
      .executeTakeFirst();
    if (page) return page.tenant;
  }
  const refunded = refundedIdOf(transaction);
  if (!refunded) return null;
  const row = await db
    .selectFrom('transactions')
    .select('tenant')
    .where('id', '=', refunded)
    .executeTakeFirst();
  return row?.tenant ?? null;
}

/** The global ID of the transaction a refund gives money back for; null when none is named. */
function refundedIdOf(transaction: Transaction): string | null {
  if (transaction.kind !== 'Refund') return null;
  if (transaction.provider === 'ELEPAY') return encodeGlobalId({ kind: 'Charge', id: transaction.chargeId });
  return transaction.refundedPaymentId
    ? encodeGlobalId({ kind: 'Payment', id: transaction.refundedPaymentId })
    : null;
}

/**
 * How long a read on the request or webhook path (an owner, the readiness probe) may wait on the
 * database: a PostgreSQL that hangs must fail these fast, not after pg's own query timeout (10 s).
 */
const QUICK_READ_DEADLINE_MS = 1_000;

async function withinDeadline<T>(query: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`ledger: ${what} did not answer within ${QUICK_READ_DEADLINE_MS} ms`)),
      QUICK_READ_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([query, late]);
  } finally {
    clearTimeout(timer);
  }
}

function filtered<O>(
  query: SelectQueryBuilder<LedgerDatabase, 'transactions', O>,
  { tenant, provider, statuses, kind, salesPageId, createdAfter, createdBefore }: LedgerFilter,
): SelectQueryBuilder<LedgerDatabase, 'transactions', O> {
  let matching = query;
  if (tenant) matching = matching.where('tenant', '=', tenant);
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

/**
 * Observations in the one order every writer locks transactions in, by global ID, so that writers
 * on several instances never wait for each other in a circle (PostgreSQL would abort one). The
 * sort is stable: one transaction's observations keep their order, which is all its history
 * depends on.
 */
function inLockOrder(observations: Observation[]): Observation[] {
  const keyed = observations.map((observation) => ({ id: globalIdOf(observation.transaction), observation }));
  keyed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return keyed.map(({ observation }) => observation);
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
