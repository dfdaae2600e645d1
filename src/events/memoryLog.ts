import type { Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';
import {
  compareCursors,
  eventBodyOf,
  judgeChange,
  type RecordOrigin,
  type TransactionStatusEvent,
  transactionKey,
} from './event.js';
import {
  type CursorPosition,
  type EventLog,
  notifyListeners,
  positionOf,
  previousStatusOf,
  type RecordOutcome,
  type Replay,
  type RetentionOptions,
} from './log.js';

/** How many transactions' last statuses one instance remembers (oldest forgotten first). */
const KNOWN_TRANSACTIONS = 100_000;

/**
 * The single-instance event log: an array trimmed to the retention window, and a map of each
 * transaction's last status. JavaScript runs one record() check-and-append at a time, so two
 * deliveries of the same webhook cannot both publish.
 */
export class MemoryEventLog implements EventLog {
  private readonly events: TransactionStatusEvent[] = [];
  private readonly lastStatus = new Map<string, PaymentStatus>();
  private readonly observed = new Map<string, PaymentStatus>();
  private readonly listeners = new Set<(event: TransactionStatusEvent) => void>();
  private lastMs = 0;
  private sequence = 0;
  /** The cursor of the newest event retention dropped. */
  private dropped: string | null = null;

  constructor(private readonly retention: RetentionOptions) {}

  async record(transaction: Transaction, origin?: RecordOrigin): Promise<RecordOutcome> {
    const key = transactionKey(transaction);
    const previous = this.lastStatus.get(key) ?? null;
    const verdict = judgeChange(previous, transaction.status);
    if (verdict !== 'publish') return { verdict };
    remember(this.lastStatus, key, transaction.status);
    const now = new Date();
    const previousStatus = previousStatusOf(previous, this.observed.get(key) ?? null, transaction.status);
    this.observed.delete(key);
    const event: TransactionStatusEvent = {
      cursor: this.nextCursor(now.getTime()),
      ...eventBodyOf(transaction, previousStatus, now, origin),
    };
    this.events.push(event);
    this.trim(now.getTime());
    notifyListeners(this.listeners, event);
    return { verdict, event };
  }

  async observe(transaction: Transaction): Promise<void> {
    const key = transactionKey(transaction);
    if (!this.lastStatus.has(key) && !this.observed.has(key))
      remember(this.observed, key, transaction.status);
  }

  async since(cursor: string): Promise<Replay> {
    return {
      events: this.events.filter((event) => compareCursors(event.cursor, cursor) > 0),
      position: await this.locate(cursor),
    };
  }

  async locate(cursor: string): Promise<CursorPosition> {
    return positionOf(cursor, {
      newest: `${this.lastMs}-${this.sequence}`,
      oldest: this.events[0]?.cursor ?? null,
      dropped: this.dropped,
    });
  }

  listen(listener: (event: TransactionStatusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Stream-style cursors (`ms-seq`), strictly increasing even within one millisecond. */
  private nextCursor(ms: number): string {
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.sequence = 0;
    } else {
      this.sequence += 1;
    }
    return `${this.lastMs}-${this.sequence}`;
  }

  private trim(now: number): void {
    const oldestAllowed = now - this.retention.maxAgeMs;
    let drop = Math.max(0, this.events.length - this.retention.maxEvents);
    while (drop < this.events.length && (this.events[drop]?.occurredAt.getTime() ?? now) < oldestAllowed)
      drop += 1;
    if (drop > 0) this.dropped = this.events.splice(0, drop).at(-1)?.cursor ?? this.dropped;
  }
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest beyond KNOWN_TRANSACTIONS. */
function remember(map: Map<string, PaymentStatus>, key: string, status: PaymentStatus): void {
  map.delete(key);
  map.set(key, status);
  if (map.size > KNOWN_TRANSACTIONS) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}
