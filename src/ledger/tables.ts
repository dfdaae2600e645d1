import type { ColumnType } from 'kysely';

/**
 * The ledger's tables as Kysely types (migrations.ts creates them). Both engines store the same
 * column types: text, and 64-bit integers for money (minor units), times (UTC milliseconds since
 * the epoch) and counters. Integers come back as bigint from SQLite (better-sqlite3's safeIntegers)
 * and as text from PostgreSQL's bigint, so store.ts reads every one through a converter.
 */
type Int = ColumnType<bigint | number | string, bigint | number, bigint | number>;
/** Assigned by the database, never written. */
type GeneratedInt = ColumnType<bigint | number | string, never, never>;

export interface TransactionsTable {
  /** Insertion order: breaks ties between equal creation times (elopage states minutes only). */
  sequence: GeneratedInt;
  /** Global ID. */
  id: string;
  provider: string;
  kind: string;
  provider_id: string;
  status: string;
  provider_status: string;
  amount_minor: Int | null;
  currency: string;
  sales_page_id: string | null;
  /** The tenant whose API client created it; null = no tenant's (seen only by clients without one). */
  tenant: string | null;
  created_at_ms: Int;
  updated_at_ms: Int;
  /** How many status changes its history holds (the next one gets this number plus one). */
  changes: Int;
  /** When the reconciler polls it next; null = at its next pass. Reset by every change. */
  reconcile_after_ms: ColumnType<
    bigint | number | string | null,
    bigint | number | null | undefined,
    bigint | number | null
  >;
  /** Polls since its last change that found nothing new (the backoff's exponent). */
  reconcile_attempts: ColumnType<bigint | number | string, bigint | number | undefined, bigint | number>;
  /**
   * 1 while its last change is one the gateway saw itself (a read, a mutation's answer) that the
   * event log has not carried, so subscribers have not heard of it; else 0.
   */
  unpublished: ColumnType<bigint | number | string, number | undefined, number>;
  /** Of a refund: the global ID of the transaction it gives money back for; else null. */
  refunded_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface StatusChangesTable {
  transaction_id: string;
  /** 1, 2, … per transaction. */
  position: Int;
  status: string;
  previous_status: string | null;
  provider_status: string;
  source: string;
  provider_event_id: string | null;
  observed_at_ms: Int;
  /** The event log's cursor of a recorded change; null for what the gateway saw itself. */
  event_cursor: string | null;
}

/** How far each projection has read its source: the event log's cursor of its last change. */
export interface CheckpointsTable {
  name: string;
  cursor: string;
}

/** A lease one instance holds at a time (the reconciler's), until it expires unrenewed. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at_ms: Int;
}

/** The tenant owning a sales page (elopage ID) since its client created it. */
export interface SalesPagesTable {
  id: string;
  tenant: string;
}

/** Every webhook request the receivers got (deliveries.ts): what it was, and how it was answered. */
export interface WebhookDeliveriesTable {
  /** Insertion order, and the delivery's ID. */
  sequence: GeneratedInt;
  received_at_ms: Int;
  provider: string;
  /** 1 when its signature (elepay) or path token (elopage) was right, else 0. */
  verified: Int;
  refusal: string | null;
  http_status: Int;
  outcome: string;
  /** JSON arrays of global IDs and event-log cursors. */
  transaction_ids: string;
  event_cursors: string;
  provider_event_id: string | null;
  /** What replay needs: the body as received, and elepay's signature header (an HMAC, no secret). */
  body: string | null;
  signature: string | null;
  /** Set while the reconciler must still poll what a verified but refused delivery named. */
  follow_up_after_ms: ColumnType<
    bigint | number | string | null,
    bigint | number | null | undefined,
    bigint | number | null
  >;
  follow_up_attempts: ColumnType<bigint | number | string, bigint | number | undefined, bigint | number>;
}

export interface LedgerDatabase {
  sales_pages: SalesPagesTable;
  leases: LeasesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  transactions: TransactionsTable;
  status_changes: StatusChangesTable;
  checkpoints: CheckpointsTable;
}
