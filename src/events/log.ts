import type { Transaction } from '../domain/model.js';
import type { TransactionStatusEvent, Verdict } from './event.js';

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
   * once the event is durable in the backend; rejects when the backend cannot record it.
   */
  record(transaction: Transaction): Promise<RecordOutcome>;
  /** Events after `cursor` (exclusive), oldest first, as far back as retention reaches. */
  since(cursor: string): Promise<TransactionStatusEvent[]>;
  /** Every event appended from now on, in log order, on any instance sharing the backend. */
  listen(listener: (event: TransactionStatusEvent) => void): () => void;
  /** Whether events can be recorded right now (for /readyz and the webhook routes). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RetentionOptions {
  /** Keep at most this many events… */
  maxEvents: number;
  /** …and none older than this. */
  maxAgeMs: number;
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
