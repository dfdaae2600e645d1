import type { Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';
import {
  compareCursors,
  judgeChange,
  type RecordOrigin,
  type TransactionStatusEvent,
  type Verdict,
} from './event.js';

/**
 * The event log behind live status: webhooks append verified changes, subscriptions replay and
 * follow it. Two backends share this interface: memory (one instance) and Redis Streams (many).
 */
export interface RecordOutcome {
  verdict: Verdict;
  /** Set when the change was news and is now in the log. */
  event?: TransactionStatusEvent;
}

export interface EventLog {
  /**
   * Appends the transaction's current status when it is a change (see judgeChange). Resolves only
   * once the event is durable in the backend; rejects when the backend cannot record it. `origin`
   * says what found it (a webhook unless said otherwise) and the webhook event's ID.
   */
  record(transaction: Transaction, origin?: RecordOrigin): Promise<RecordOutcome>;
  /**
   * The gateway saw this status itself (a mutation's answer), before any change of the transaction
   * was recorded: it becomes the first recorded change's `previousStatus`. Publishes nothing, and
   * leaves what is news to record() (a webhook's first status is still published).
   */
  observe(transaction: Transaction): Promise<void>;
  /**
   * Events after `cursor` (exclusive), oldest first, as far back as retention reaches, and where
   * the cursor stood when they were read (atomically: an `expired` position means this replay has a gap).
   */
  since(cursor: string): Promise<Replay>;
  /** Whether resuming after `cursor` would replay every event since it (see CursorPosition). */
  locate(cursor: string): Promise<CursorPosition>;
  /** Every event appended from now on, in log order, on any instance sharing the backend. */
  listen(listener: (event: TransactionStatusEvent) => void): () => void;
  /** Whether events can be recorded right now (for /readyz and the webhook routes). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Where a cursor stands in the log:
 * - `retained`: every event after it is still in the log (or none happened yet);
 * - `beyond`: it is after the newest cursor this log ever assigned (another environment's, or a
 *   Redis that was reset): resuming there would silently skip everything until time caught up;
 * - `expired`: retention dropped events after it, so a replay would have a gap.
 * `"0-0"` asks for whatever is kept, so it is always `retained`.
 */
export type CursorPosition =
  | { kind: 'retained' }
  | { kind: 'beyond'; newest: string }
  | { kind: 'expired'; oldest: string | null };

export interface Replay {
  events: TransactionStatusEvent[];
  position: CursorPosition;
}

/** What a log knows about its ends: the cursors of its newest event, and the last one it dropped. */
export interface LogEnds {
  /** The newest cursor ever assigned ('0-0' before the first). */
  newest: string;
  /** The oldest event still kept, if any. */
  oldest: string | null;
  /** The newest event retention has dropped, if any. */
  dropped: string | null;
}

export function positionOf(cursor: string, ends: LogEnds): CursorPosition {
  if (compareCursors(cursor, ends.newest) > 0) return { kind: 'beyond', newest: ends.newest };
  if (cursor !== '0-0' && ends.dropped !== null && compareCursors(cursor, ends.dropped) < 0) {
    return { kind: 'expired', oldest: ends.oldest };
  }
  return { kind: 'retained' };
}

export interface RetentionOptions {
  /** Keep at most this many events… */
  maxEvents: number;
  /** …and none older than this. */
  maxAgeMs: number;
}

/**
 * The `previousStatus` of a transaction's event: the last recorded status, else the first one the
 * gateway observed itself when it precedes the new status (the same status again tells nothing).
 */
export function previousStatusOf(
  recorded: PaymentStatus | null,
  observed: PaymentStatus | null,
  next: PaymentStatus,
): PaymentStatus | null {
  if (recorded !== null) return recorded;
  return observed !== null && judgeChange(observed, next) === 'publish' ? observed : null;
}

const TRANSACTION_KINDS: ReadonlySet<unknown> = new Set(['Charge', 'Payment', 'Refund']);

/** The transactions a mutation's payload carries (`charge`, `refund`, …). */
export function transactionsIn(payload: object): Transaction[] {
  return Object.values(payload).filter(
    (value): value is Transaction =>
      value !== null &&
      typeof value === 'object' &&
      TRANSACTION_KINDS.has((value as { kind?: unknown }).kind),
  );
}

/**
 * Observes the status of every transaction a mutation's payload carries.
 * Never fails the mutation: without the log, events just lack this previousStatus.
 */
export async function observePayload(log: EventLog, payload: object): Promise<void> {
  await Promise.all(
    transactionsIn(payload).map((transaction) => log.observe(transaction).catch(() => undefined)),
  );
}

/**
 * Hands an event to every listener. The event is already recorded when this runs: one failing
 * listener must neither fail the recording (the provider would retry a recorded event) nor keep the
 * event from the listeners after it. A subscriber's own failure ends only that subscriber.
 */
export function notifyListeners(
  listeners: Iterable<(event: TransactionStatusEvent) => void>,
  event: TransactionStatusEvent,
): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // See subscription.ts: the subscriber has already been stopped with the error.
    }
  }
}
