import type { Provider, Transaction } from '../domain/model.js';
import type { Money } from '../domain/money.js';
import type { PaymentStatus } from '../domain/status.js';
import type { TransactionStatusEvent } from '../events/event.js';
import type { WebhookDeliveries } from './deliveries.js';

/**
 * The transaction ledger: an index of every transaction the gateway learns about and the history
 * of its status, across both providers (docs/ledger.md). What the rest of the gateway sees of it;
 * the SQL behind it lives in store.ts alone.
 *
 * A transaction's ledger status only moves forward, by the event log's rule (events/event.ts,
 * judgeChange), whichever source tells it: a status seen again, or one behind the known one, adds
 * nothing. So each status appears once in a history, with the source the gateway learned it from first.
 */

/** How the gateway learned a status. */
export type StatusSource = 'WEBHOOK' | 'RECONCILIATION' | 'MUTATION' | 'READ';

/** What the gateway saw itself, outside the event log. */
export type ObservationSource = Extract<StatusSource, 'MUTATION' | 'READ'>;

export type TransactionKind = 'PAYMENT' | 'CHARGE' | 'REFUND';

/** One transaction as the ledger knows it. */
export interface LedgerEntry {
  /** The global ID (domain/ids.ts): unique across providers, and enough to fetch it again. */
  id: string;
  provider: Provider;
  kind: TransactionKind;
  providerId: string;
  status: PaymentStatus;
  providerStatus: string;
  /** Null only for an amount with more digits than its currency has (never rounded to fit). */
  amount: Money | null;
  currency: string;
  /** The elopage sales page (provider ID) of a payment or refund. */
  salesPageId: string | null;
  /** The provider's creation time, or when the gateway first saw it if the provider states none. */
  createdAt: Date;
  /** When its status last changed in the ledger. */
  updatedAt: Date;
}

/** One step of a transaction's status history. */
export interface StatusChange {
  transactionId: string;
  status: PaymentStatus;
  /** The status before, as the ledger had it; null for the first one. */
  previousStatus: PaymentStatus | null;
  providerStatus: string;
  source: StatusSource;
  /** The provider's ID of the event that told it (elepay `evt_…`), where there is one. */
  providerEventId: string | null;
  observedAt: Date;
  /** The event log's cursor of a recorded change (WEBHOOK, RECONCILIATION); null otherwise. */
  cursor: string | null;
}

export interface LedgerFilter {
  /** Only this tenant's transactions (a tenant's client); absent or null: every transaction. */
  tenant?: string | null;
  provider?: Provider | null;
  statuses?: readonly PaymentStatus[] | null;
  kind?: TransactionKind | null;
  salesPageId?: string | null;
  /** Created at or after this instant. */
  createdAfter?: Date | null;
  /** Created at or before this instant. */
  createdBefore?: Date | null;
}

/** Where a page ends in the list (newest first); opaque to clients, see store.ts. */
export interface ListPosition {
  createdAt: Date;
  sequence: number;
}

export interface LedgerPage {
  entries: { entry: LedgerEntry; position: ListPosition }[];
  hasNextPage: boolean;
  /** How many transactions match the filter in all. */
  totalCount: number;
}

/** A change recorded in the event log, as the ledger takes it in. */
export type RecordedChange = Pick<TransactionStatusEvent, 'cursor' | 'occurredAt' | 'transaction'> & {
  providerEventId?: string | null;
  /** What found it; a webhook when not said. */
  source?: RecordedSource;
};

/** What finds a change recorded in the event log. */
export type RecordedSource = Extract<StatusSource, 'WEBHOOK' | 'RECONCILIATION'>;

/** A transaction the reconciler should poll now. */
export interface DuePoll {
  entry: LedgerEntry;
  /** Polls since its last change that found nothing new. */
  attempts: number;
  /**
   * Its last change is one the gateway saw itself (a read, a mutation's answer) and the event log
   * has not carried, so subscribers have not heard of it yet: the poll hands it to the log.
   */
  unpublished: boolean;
}

export interface Ledger {
  /**
   * Notes the transactions a mutation answered with or a read returned. Never rejects: without its
   * database the ledger misses these (logged once per outage), and the read or mutation goes on.
   */
  observe(transactions: readonly Transaction[], source: ObservationSource): Promise<void>;
  /**
   * Takes in changes of the event log, in log order, in one database transaction, each exactly
   * once: a cursor at or before the checkpoint is a duplicate and skipped. Resolves to how many were
   * new; rejects, taking in none, when the database cannot record them.
   */
  project(changes: readonly RecordedChange[]): Promise<number>;
  /**
   * Makes the transactions `tenant`'s where they have no owner yet (a mutation of the tenant's
   * client created them), noting them as a mutation's answer first when the ledger has not seen
   * them. Unlike observe, rejects when the database cannot record it: an owner not recorded would
   * hide the tenant's own transaction from it.
   */
  own(transactions: readonly Transaction[], tenant: string): Promise<void>;
  /**
   * The tenant owning each transaction (by global ID); null for none, or one the ledger does not
   * know. Rejects when the database does not answer within a second.
   */
  owners(transactionIds: readonly string[]): Promise<(string | null)[]>;
  /**
   * Whether the ledger knows a refund (not failed) of each transaction (by global ID). Rejects when
   * the database does not answer within a second.
   */
  refunded(transactionIds: readonly string[]): Promise<boolean[]>;
  /**
   * The tenant a transaction belongs to, or will when the ledger records it (the tenant of its sales
   * page); null for none. Rejects when the database does not answer within a second.
   */
  ownerOf(transaction: Transaction): Promise<string | null>;
  /**
   * Makes the sales page (elopage ID) `tenant`'s unless it has an owner: the payments and refunds
   * of a tenant's sales page are then the tenant's as the ledger first learns of them (however it
   * does: a buyer pays on elopage's own page). Rejects when the database cannot record it.
   */
  ownSalesPage(salesPageId: string, tenant: string): Promise<void>;
  /** The tenant owning each sales page (elopage ID); null for none. */
  salesPageOwners(salesPageIds: readonly string[]): Promise<(string | null)[]>;
  /**
   * Deletes, in batches of at most `batchSize` rows, what is older than `before`: final transactions
   * whose last change was before it, with their history (and whatever else a retention sweep of
   * store.ts covers). Pauses `pauseMs` between batches. Resolves to the number of rows deleted per table.
   */
  sweep(before: Date, batchSize: number, pauseMs: number): Promise<Record<string, number>>;
  /** Whether the database answers (one trivial query); rejects when it does not within a second. */
  ping(): Promise<void>;
  /** The cursor of the last change taken in from the event log ('0-0' before the first). */
  checkpoint(): Promise<string>;
  /** Transactions matching `filter`, newest first, `first` of them after `after`. */
  list(filter: LedgerFilter, first: number, after: ListPosition | null): Promise<LedgerPage>;
  /**
   * Up to `limit` transactions whose next poll is due at `now`, the longest waiting first: those in
   * a status that is not final, and those whose last change the event log has not carried
   * (`unpublished`), each with the number of polls since its last change that found nothing new.
   */
  dueForReconciliation(now: Date, limit: number): Promise<DuePoll[]>;
  /** When to poll a transaction next, after a poll that found nothing new (its `attempts`th). */
  deferReconciliation(transactionId: string, until: Date, attempts: number): Promise<void>;
  /**
   * Takes or renews the lease `name` for `holder` until `now + ttlMs`; true when `holder` has it,
   * false while another holder's lease has not expired. Atomic on both engines (one upsert).
   */
  lease(name: string, holder: string, now: Date, ttlMs: number): Promise<boolean>;
  /** The status history of each transaction (by global ID), oldest first; [] for an unknown one. */
  histories(transactionIds: readonly string[]): Promise<StatusChange[][]>;
  /** One transaction (by global ID) as the ledger knows it; null when it does not. */
  entry(transactionId: string): Promise<LedgerEntry | null>;
  /** Every webhook request the receivers got (deliveries.ts). */
  readonly deliveries: WebhookDeliveries;
  close(): Promise<void>;
}
