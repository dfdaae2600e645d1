import type { Provider } from '../domain/model.js';

/**
 * Webhook deliveries: every request the webhook receivers (events/receivers.ts) got, with how it
 * was verified and answered, for the operator view and for replay (docs/ledger.md, "Webhook
 * deliveries"). What is stored is what replay needs — the body and elepay's signature header —
 * never a secret: the elopage path token is not kept, right or wrong.
 */

/** Why a delivery was not (or not yet) recorded. */
export const DELIVERY_REFUSALS = [
  'WEBHOOKS_DISABLED',
  'SIGNATURE_MISSING',
  'SIGNATURE_MALFORMED',
  'STALE_TIMESTAMP',
  'BAD_SIGNATURE',
  'WRONG_TOKEN',
  'BODY_TOO_LARGE',
  'BODY_TOO_SLOW',
  'UNREADABLE_BODY',
  'OBJECT_NOT_READABLE_YET',
  'PROVIDER_UNAVAILABLE',
  'EVENT_LOG_UNAVAILABLE',
] as const;
export type DeliveryRefusal = (typeof DELIVERY_REFUSALS)[number];

/**
 * How it was answered: RECORDED (2xx, news published), DUPLICATE (2xx, nothing new), IGNORED (2xx,
 * an event about nothing the gateway follows), RETRY_LATER (503: the provider retries), REFUSED (4xx).
 */
export const DELIVERY_OUTCOMES = ['RECORDED', 'DUPLICATE', 'IGNORED', 'RETRY_LATER', 'REFUSED'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** A delivery as the receiver saw it, before the ledger gives it an ID. */
export interface NewDelivery {
  provider: Provider;
  receivedAt: Date;
  /** Whether its signature (elepay) or path token (elopage) was right. */
  verified: boolean;
  refusal: DeliveryRefusal | null;
  httpStatus: number;
  outcome: DeliveryOutcome;
  /** Global IDs of the transactions it named (read from the provider, or named by an elepay body). */
  transactionIds: string[];
  /** Event-log cursors of the changes it published. */
  eventCursors: string[];
  providerEventId: string | null;
  /** The body as received (UTF-8); null when it was not read (refused before, or too large). */
  body: string | null;
  /** elepay's `elepay-signature` header. */
  signature: string | null;
  /** Whether the reconciler must poll what it named: verified, but answered RETRY_LATER. */
  followUp: boolean;
}

export interface WebhookDelivery extends Omit<NewDelivery, 'followUp'> {
  /** The ledger's insertion number: increasing, unique. */
  id: number;
  /** Whether the reconciler still polls what it named. */
  awaitingReconciliation: boolean;
}

export interface DeliveryFilter {
  provider?: Provider | null;
  verified?: boolean | null;
  outcome?: DeliveryOutcome | null;
  /** Received at or after this instant. */
  receivedAfter?: Date | null;
  /** Received at or before this instant. */
  receivedBefore?: Date | null;
}

/** Where a page of deliveries ends (newest first). */
export interface DeliveryPosition {
  receivedAt: Date;
  id: number;
}

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  hasNextPage: boolean;
  totalCount: number;
}

/** A verified delivery whose named transactions the reconciler polls now. */
export interface DueFollowUp {
  delivery: WebhookDelivery;
  /** Polls so far that did not converge. */
  attempts: number;
}

export interface WebhookDeliveries {
  /**
   * Stores a delivery without making anyone wait: a webhook's answer never depends on it. Never
   * rejects; while the database fails (or too many writes wait), deliveries are dropped, logged once
   * per outage. `flush()` waits for the writes under way.
   */
  record(delivery: NewDelivery): void;
  flush(): Promise<void>;
  find(id: number): Promise<WebhookDelivery | null>;
  list(filter: DeliveryFilter, first: number, after: DeliveryPosition | null): Promise<DeliveryPage>;
  /** Up to `limit` deliveries awaiting reconciliation whose next poll is due at `now`, oldest first. */
  dueFollowUps(now: Date, limit: number): Promise<DueFollowUp[]>;
  /** Polls what `id` named again at `until`, after its `attempts`th poll that did not converge. */
  deferFollowUp(id: number, until: Date, attempts: number): Promise<void>;
  /**
   * What `id` named has been read and recorded (by the reconciler or a replay): no more polling.
   * `transactionIds`, when any, replace what it named (an elopage notification's ID says payment or
   * refund only once read).
   */
  endFollowUp(id: number, transactionIds: readonly string[]): Promise<void>;
  /**
   * Retention: deletes up to `limit` deliveries received before `before`, oldest first; resolves to
   * how many it deleted (call again until it is less than `limit`).
   */
  deleteReceivedBefore(before: Date, limit: number): Promise<number>;
}
