import { globalIdOf } from '../domain/ids.js';
import type { Provider, Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';

/**
 * A verified status change of a transaction, as subscribers receive it. `transaction` is the state
 * the gateway fetched from the provider after the webhook, never the webhook body.
 */
export interface TransactionStatusEvent {
  /** Position in the event log; resume a subscription after it. Ordered: see compareCursors. */
  cursor: string;
  occurredAt: Date;
  provider: Provider;
  /** Global ID of the transaction. */
  transactionId: string;
  /** elopage sales page (provider ID) of a payment or refund, for the `salesPageId` filter. */
  salesPageId: string | null;
  previousStatus: PaymentStatus | null;
  status: PaymentStatus;
  transaction: Transaction;
  /** The provider's ID of the webhook event that reported it (elepay `evt_…`), when it sends one. */
  providerEventId?: string;
  /** What found the change; absent for a webhook's (so events stored before this field read right). */
  source?: 'RECONCILIATION';
  /**
   * The tenant owning the transaction when the change was recorded (looked up once per event); null
   * or absent (events stored before tenants): no tenant's, delivered only to clients without one.
   */
  tenant?: string | null;
}

/** What found a change: a verified webhook (the default) or the reconciler's poll of the provider. */
export interface RecordOrigin {
  source?: 'WEBHOOK' | 'RECONCILIATION';
  /** The provider's ID of the webhook event (elepay `evt_…`). */
  providerEventId?: string;
  /** The tenant owning the transaction (src/ledger/ownedEvents.ts); null: none. */
  tenant?: string | null;
}

/** What a backend stores; the cursor is assigned by the log when it appends. */
export type EventBody = Omit<TransactionStatusEvent, 'cursor'>;

/**
 * Statuses that end a transaction's life: nothing after them is believed. The rest are ordered, and a
 * change may only move forward: a late `pending` delivered after `successful` is ignored.
 */
export const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set(['FAILED', 'CANCELED', 'REFUNDED']);
const RANK: Record<PaymentStatus, number> = {
  PENDING: 0,
  REQUIRES_ACTION: 1,
  AUTHORIZED: 2,
  SUCCEEDED: 3,
  PARTIALLY_REFUNDED: 4,
  REFUNDED: 5,
  FAILED: 5,
  CANCELED: 5,
};

export type Verdict = 'publish' | 'unchanged' | 'stale';

/** Whether moving from the last known status to `next` is news. */
export function judgeChange(previous: PaymentStatus | null, next: PaymentStatus): Verdict {
  if (previous === null) return 'publish';
  if (previous === next) return 'unchanged';
  if (FINAL_STATUSES.has(previous) || RANK[next] < RANK[previous]) return 'stale';
  return 'publish';
}

/** The key the log remembers a transaction's last status under. */
export function transactionKey(transaction: Transaction): string {
  return globalIdOf(transaction);
}

export function eventBodyOf(
  transaction: Transaction,
  previousStatus: PaymentStatus | null,
  occurredAt: Date,
  { source, providerEventId, tenant }: RecordOrigin = {},
): EventBody {
  return {
    occurredAt,
    provider: transaction.provider,
    transactionId: globalIdOf(transaction),
    salesPageId: 'salesPageId' in transaction ? transaction.salesPageId : null,
    previousStatus,
    status: transaction.status,
    transaction,
    ...(providerEventId ? { providerEventId } : {}),
    ...(source === 'RECONCILIATION' ? { source } : {}),
    tenant: tenant ?? null,
  };
}

/**
 * Cursors are Redis-stream-style IDs, `<milliseconds>-<sequence>`, for both backends. Compared for
 * every subscriber and event, so without splitting into arrays.
 */
export function compareCursors(a: string, b: string): number {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const aMs = Number(aDash < 0 ? a : a.slice(0, aDash)) || 0;
  const bMs = Number(bDash < 0 ? b : b.slice(0, bDash)) || 0;
  if (aMs !== bMs) return aMs - bMs;
  return (
    (aDash < 0 ? 0 : Number(a.slice(aDash + 1)) || 0) - (bDash < 0 ? 0 : Number(b.slice(bDash + 1)) || 0)
  );
}

export function isCursor(value: string): boolean {
  return /^\d{1,15}-\d{1,15}$/.test(value);
}

/**
 * The Date fields of a stored event: `occurredAt` and the transaction's dates (domain/model.ts; keep
 * in sync). Only these are revived: a key-suffix rule would also turn a merchant's metadata such as
 * `{ "shippedAt": "after lunch" }` into an Invalid Date.
 */
const TRANSACTION_DATE_FIELDS = ['createdAt', 'paidAt', 'refundedAt', 'succeededAt'] as const;

/** JSON for storage (Dates become ISO strings); parseEventBody turns them back into Dates. */
export function serializeEventBody(body: EventBody): string {
  return JSON.stringify(body);
}

export function parseEventBody(text: string): EventBody {
  const body = JSON.parse(text) as EventBody & { occurredAt: Date | string };
  body.occurredAt = new Date(body.occurredAt);
  reviveTransactionDates(body.transaction as unknown as Record<string, unknown>);
  return body;
}

/**
 * Turns a JSON-parsed transaction's date strings back into Dates, in place. Shared with every other
 * store of domain objects (idempotency/payload.ts), so the list of date fields lives in one place.
 */
export function reviveTransactionDates(transaction: Record<string, unknown>): void {
  for (const field of TRANSACTION_DATE_FIELDS) {
    const value = transaction[field];
    if (typeof value === 'string') transaction[field] = new Date(value);
  }
}
