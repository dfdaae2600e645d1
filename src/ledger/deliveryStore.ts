import type { Kysely, Selectable } from 'kysely';
import type { Logger } from '../logger.js';
import type {
  DeliveryFilter,
  DeliveryOutcome,
  DeliveryPage,
  DeliveryPosition,
  DeliveryRefusal,
  DueFollowUp,
  NewDelivery,
  WebhookDeliveries,
  WebhookDelivery,
} from './deliveries.js';
import type { LedgerDatabase, WebhookDeliveriesTable } from './tables.js';

/**
 * The webhook deliveries in SQL (deliveries.ts), on both engines with the same queries. Writes are
 * made the way the ledger notes reads: nobody waits for them and they never fail the webhook.
 */

/**
 * Writes waiting for a slow database at most; beyond this a burst of webhooks is not recorded
 * rather than held in memory without bound.
 */
const MAX_PENDING_WRITES = 1_000;

export class SqlWebhookDeliveries implements WebhookDeliveries {
  private readonly pending = new Set<Promise<void>>();
  /** Whether the last write failed: an outage is logged when it begins and when it ends. */
  private failing = false;

  constructor(
    private readonly db: Kysely<LedgerDatabase>,
    private readonly logger: Logger,
  ) {}

  record(delivery: NewDelivery): void {
    if (this.pending.size >= MAX_PENDING_WRITES) {
      this.failed(new Error('too many writes waiting'));
      return;
    }
    const write = this.insert(delivery).then(
      () => {
        if (this.failing) this.logger.info('ledger: recording webhook deliveries again');
        this.failing = false;
      },
      (error: Error) => this.failed(error),
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async find(id: number): Promise<WebhookDelivery | null> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('sequence', '=', id)
      .executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  async list(filter: DeliveryFilter, first: number, after: DeliveryPosition | null): Promise<DeliveryPage> {
    let matching = this.db.selectFrom('webhook_deliveries');
    const { provider, verified, outcome, receivedAfter, receivedBefore } = filter;
    if (provider) matching = matching.where('provider', '=', provider);
    if (verified != null) matching = matching.where('verified', '=', verified ? 1 : 0);
    if (outcome) matching = matching.where('outcome', '=', outcome);
    if (receivedAfter) matching = matching.where('received_at_ms', '>=', receivedAfter.getTime());
    if (receivedBefore) matching = matching.where('received_at_ms', '<=', receivedBefore.getTime());
    const counted = matching.select((eb) => eb.fn.countAll<bigint | number | string>().as('count'));
    const at = after?.receivedAt.getTime() ?? 0;
    const page = (
      after
        ? matching.where((eb) =>
            eb.or([
              eb('received_at_ms', '<', at),
              eb.and([eb('received_at_ms', '=', at), eb('sequence', '<', after.id)]),
            ]),
          )
        : matching
    )
      .selectAll()
      .orderBy('received_at_ms', 'desc')
      .orderBy('sequence', 'desc')
      .limit(first + 1);
    const [rows, total] = await Promise.all([page.execute(), counted.executeTakeFirstOrThrow()]);
    return {
      deliveries: rows.slice(0, first).map(toDelivery),
      hasNextPage: rows.length > first,
      totalCount: Number(total.count),
    };
  }

  async dueFollowUps(now: Date, limit: number): Promise<DueFollowUp[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('follow_up_after_ms', '<=', now.getTime())
      .orderBy('follow_up_after_ms')
      .orderBy('sequence')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ delivery: toDelivery(row), attempts: Number(row.follow_up_attempts) }));
  }

  async deferFollowUp(id: number, until: Date, attempts: number): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ follow_up_after_ms: until.getTime(), follow_up_attempts: attempts })
      .where('sequence', '=', id)
      .where('follow_up_after_ms', 'is not', null)
      .execute();
  }

  async endFollowUp(id: number, transactionIds: readonly string[]): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        follow_up_after_ms: null,
        ...(transactionIds.length > 0 ? { transaction_ids: JSON.stringify(transactionIds) } : {}),
      })
      .where('sequence', '=', id)
      .execute();
  }

  async deleteReceivedBefore(before: Date, limit: number): Promise<number> {
    // DELETE … LIMIT is SQLite's alone: the batch is chosen by a subquery on both engines.
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('sequence', 'in', (eb) =>
        eb
          .selectFrom('webhook_deliveries')
          .select('sequence')
          .where('received_at_ms', '<', before.getTime())
          .orderBy('received_at_ms')
          .orderBy('sequence')
          .limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async insert(delivery: NewDelivery): Promise<void> {
    const receivedAt = delivery.receivedAt.getTime();
    await this.db
      .insertInto('webhook_deliveries')
      .values({
        received_at_ms: receivedAt,
        provider: delivery.provider,
        verified: delivery.verified ? 1 : 0,
        refusal: delivery.refusal,
        http_status: delivery.httpStatus,
        outcome: delivery.outcome,
        transaction_ids: JSON.stringify(delivery.transactionIds),
        event_cursors: JSON.stringify(delivery.eventCursors),
        provider_event_id: delivery.providerEventId,
        body: delivery.body,
        signature: delivery.signature,
        // Due at the reconciler's next pass.
        follow_up_after_ms: delivery.followUp ? receivedAt : null,
      })
      .execute();
  }

  private failed(error: Error): void {
    if (!this.failing) {
      this.logger.warn(
        { err: { message: error.message } },
        'ledger: cannot record webhook deliveries; webhooks are answered without them',
      );
    }
    this.failing = true;
  }
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: Number(row.sequence),
    provider: row.provider as WebhookDelivery['provider'],
    receivedAt: new Date(Number(row.received_at_ms)),
    verified: Number(row.verified) === 1,
    refusal: row.refusal as DeliveryRefusal | null,
    httpStatus: Number(row.http_status),
    outcome: row.outcome as DeliveryOutcome,
    transactionIds: JSON.parse(row.transaction_ids) as string[],
    eventCursors: JSON.parse(row.event_cursors) as string[],
    providerEventId: row.provider_event_id,
    body: row.body,
    signature: row.signature,
    awaitingReconciliation: row.follow_up_after_ms !== null,
  };
}
