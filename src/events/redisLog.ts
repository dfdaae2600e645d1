import type { Redis } from 'ioredis';
import type { Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis.js';
import {
  eventBodyOf,
  judgeChange,
  parseEventBody,
  serializeEventBody,
  type TransactionStatusEvent,
  transactionKey,
} from './event.js';
import { type EventLog, notifyListeners, type RecordOutcome, type RetentionOptions } from './log.js';

/**
 * The shared event log for several gateway instances: one Redis stream holds the events (its entry
 * IDs are the cursors), a key per transaction holds its last status. Appending is one Lua script
 * that checks the last status is still what this instance read (compare-and-set) before writing,
 * so concurrent deliveries on different instances publish a change once. Every instance follows the
 * stream with a blocking XREAD on its own connection and hands new entries to local subscribers;
 * after a Redis outage it resumes from the last entry it saw, so subscribers miss nothing retained.
 */
// Trimming is exact ('=', not '~'): approximate trimming only drops whole stream nodes (100 entries
// by default), so the log kept more than EVENT_RETENTION_EVENTS and replayed events older than
// EVENT_RETENTION_HOURS, unlike the memory log and the EventLog contract ("at most", "none older").
// With one append per webhook, exact trimming removes about one entry per call, which is cheap.
const APPEND_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[5], '*', 'event', ARGV[4])
redis.call('XTRIM', KEYS[2], 'MINID', '=', ARGV[6])
return id`;

/** How long a transaction's last status is remembered (long after the stream forgot its events). */
const LAST_STATUS_TTL_SECONDS = 90 * 24 * 3600;
const READ_BLOCK_MS = 5_000;
const READ_BATCH = 500;
const APPEND_ATTEMPTS = 5;

type AppendingRedis = Redis & {
  appendIfUnchanged(
    statusKey: string,
    streamKey: string,
    expectedPrevious: string,
    status: string,
    ttlSeconds: number,
    event: string,
    maxEvents: number,
    minId: string,
  ): Promise<string | null>;
};

type StreamEntries = [id: string, fields: string[]][];

export interface RedisEventLogOptions {
  redis: RedisConnections;
  keyPrefix: string;
  retention: RetentionOptions;
  logger: Logger;
}

export class RedisEventLog implements EventLog {
  private readonly writer: AppendingRedis;
  private readonly reader: Redis;
  private readonly streamKey: string;
  private readonly listeners = new Set<(event: TransactionStatusEvent) => void>();
  private closed = false;
  private following: Promise<void> | null = null;

  constructor(private readonly options: RedisEventLogOptions) {
    // Fail fast (src/redis.ts): while Redis is down or stalled, webhooks answer 503 and the provider retries.
    this.writer = options.redis.open('eventLog') as AppendingRedis;
    this.writer.defineCommand('appendIfUnchanged', { numberOfKeys: 2, lua: APPEND_IF_UNCHANGED });
    // The reader blocks in XREAD, so it gets its own connection; it may queue while reconnecting.
    this.reader = options.redis.open('eventLog', { blockingMs: READ_BLOCK_MS });
    this.streamKey = `${options.keyPrefix}events`;
  }

  /** Waits (bounded) for the first connection, so a fresh instance can record at once. */
  async start(timeoutMs = 5_000): Promise<void> {
    const ready = (client: Redis) =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => client.once('ready', () => resolve()));
    await Promise.race([
      Promise.all([ready(this.writer), ready(this.reader)]),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
    this.following = this.follow();
  }

  async record(transaction: Transaction): Promise<RecordOutcome> {
    const statusKey = `${this.options.keyPrefix}status:${transactionKey(transaction)}`;
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const previous = (await this.writer.get(statusKey)) as PaymentStatus | null;
      const verdict = judgeChange(previous, transaction.status);
      if (verdict !== 'publish') return { verdict };
      const body = eventBodyOf(transaction, previous, new Date());
      const minId = `${Date.now() - this.options.retention.maxAgeMs}-0`;
      const cursor = await this.writer.appendIfUnchanged(
        statusKey,
        this.streamKey,
        previous ?? '',
        transaction.status,
        LAST_STATUS_TTL_SECONDS,
        serializeEventBody(body),
        this.options.retention.maxEvents,
        minId,
      );
      if (cursor) return { verdict, event: { cursor, ...body } };
      // Another delivery changed the status between our read and our write: judge again.
    }
    throw new Error('event log: too much contention on one transaction');
  }

  async since(cursor: string): Promise<TransactionStatusEvent[]> {
    const entries = (await this.writer.xrange(this.streamKey, `(${cursor}`, '+')) as StreamEntries;
    return entries.flatMap((entry) => this.toEvent(entry) ?? []);
  }

  listen(listener: (event: TransactionStatusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async isHealthy(): Promise<boolean> {
    return this.writer.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.reader.disconnect();
    this.writer.disconnect();
    await this.following?.catch(() => undefined);
  }

  /** Follows the stream from its current end, handing every new entry to local listeners in order. */
  private async follow(): Promise<void> {
    let lastId: string | null = null;
    while (!this.closed) {
      try {
        if (lastId === null) {
          // Resolve "the end of the stream" to a concrete ID once, so nothing slips between reads.
          const newest = (await this.reader.xrevrange(this.streamKey, '+', '-', 'COUNT', 1)) as StreamEntries;
          lastId = newest[0]?.[0] ?? '0-0';
        }
        const batch = (await this.reader.xread(
          'COUNT',
          READ_BATCH,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.streamKey,
          lastId,
        )) as [key: string, entries: StreamEntries][] | null;
        for (const entry of batch?.[0]?.[1] ?? []) {
          lastId = entry[0];
          const event = this.toEvent(entry);
          if (event) notifyListeners(this.listeners, event);
        }
      } catch (error) {
        if (this.closed) return;
        this.options.logger.debug(
          { err: { message: (error as Error).message } },
          'event stream read failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private toEvent([id, fields]: [string, string[]]): TransactionStatusEvent | null {
    const text = fields[fields.indexOf('event') + 1];
    if (!text) return null;
    try {
      return { cursor: id, ...parseEventBody(text) };
    } catch {
      this.options.logger.warn({ cursor: id }, 'unreadable event in the log; skipped');
      return null;
    }
  }
}
