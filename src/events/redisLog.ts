import type { ChainableCommander, Redis } from 'ioredis';
import type { Transaction } from '../domain/model.js';
import type { PaymentStatus } from '../domain/status.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis.js';
import {
  eventBodyOf,
  judgeChange,
  parseEventBody,
  type RecordOrigin,
  serializeEventBody,
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
// Before trimming, the script notes the newest entry it is about to drop (KEYS[3]): a cursor older
// than that has lost events (locate(): `expired`). Redis's own max-deleted-entry-id ignores trims.
const APPEND_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
local id = redis.call('XADD', KEYS[2], '*', 'event', ARGV[4])
local function later(a, b)
  if not a then return b end
  local ams, aseq = string.match(a, '(%d+)-(%d+)')
  local bms, bseq = string.match(b, '(%d+)-(%d+)')
  ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
  if bms > ams or (bms == ams and bseq > aseq) then return b end
  return a
end
local dropped = nil
local excess = redis.call('XLEN', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', excess)
  dropped = oldest[#oldest][1]
end
local expired = redis.call('XREVRANGE', KEYS[2], '(' .. ARGV[6], '-', 'COUNT', 1)
if expired[1] then dropped = later(dropped, expired[1][1]) end
if dropped then
  redis.call('XTRIM', KEYS[2], 'MAXLEN', '=', ARGV[5])
  redis.call('XTRIM', KEYS[2], 'MINID', '=', ARGV[6])
  redis.call('SET', KEYS[3], later(redis.call('GET', KEYS[3]) or false, dropped))
end
return id`;

/** How long a transaction's last status is remembered (long after the stream forgot its events). */
const LAST_STATUS_TTL_SECONDS = 90 * 24 * 3600;
/** How long a status the gateway saw itself (a mutation's answer) is remembered for previousStatus. */
const OBSERVED_TTL_SECONDS = 7 * 24 * 3600;
const READ_BLOCK_MS = 5_000;
const READ_BATCH = 500;
const APPEND_ATTEMPTS = 5;

type AppendingRedis = Redis & {
  appendIfUnchanged(
    statusKey: string,
    streamKey: string,
    droppedKey: string,
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
  /** The ID of the newest entry retention dropped from the stream. */
  private readonly droppedKey: string;
  private readonly listeners = new Set<(event: TransactionStatusEvent) => void>();
  private closed = false;
  private following: Promise<void> | null = null;

  constructor(private readonly options: RedisEventLogOptions) {
    // Fail fast (src/redis.ts): while Redis is down or stalled, webhooks answer 503 and the provider retries.
    this.writer = options.redis.open('eventLog') as AppendingRedis;
    this.writer.defineCommand('appendIfUnchanged', { numberOfKeys: 3, lua: APPEND_IF_UNCHANGED });
    // The reader blocks in XREAD, so it gets its own connection; it may queue while reconnecting.
    this.reader = options.redis.open('eventLog', { blockingMs: READ_BLOCK_MS });
    this.streamKey = `${options.keyPrefix}events`;
    this.droppedKey = `${options.keyPrefix}events:dropped`;
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

  async record(transaction: Transaction, origin?: RecordOrigin): Promise<RecordOutcome> {
    const statusKey = this.statusKeyOf(transaction);
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const [previous, observed] = (await this.writer.mget(statusKey, this.observedKeyOf(transaction))) as [
        PaymentStatus | null,
        PaymentStatus | null,
      ];
      const verdict = judgeChange(previous, transaction.status);
      if (verdict !== 'publish') return { verdict };
      const previousStatus = previousStatusOf(previous, observed, transaction.status);
      const body = eventBodyOf(transaction, previousStatus, new Date(), origin);
      const minId = `${Date.now() - this.options.retention.maxAgeMs}-0`;
      const cursor = await this.writer.appendIfUnchanged(
        statusKey,
        this.streamKey,
        this.droppedKey,
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

  async observe(transaction: Transaction): Promise<void> {
    // NX: the first status seen is the one before the first recorded change.
    await this.writer.set(
      this.observedKeyOf(transaction),
      transaction.status,
      'EX',
      OBSERVED_TTL_SECONDS,
      'NX',
    );
  }

  private statusKeyOf(transaction: Transaction): string {
    return `${this.options.keyPrefix}status:${transactionKey(transaction)}`;
  }

  private observedKeyOf(transaction: Transaction): string {
    return `${this.options.keyPrefix}observed:${transactionKey(transaction)}`;
  }

  async since(cursor: string): Promise<Replay> {
    // One transaction, so the position is the one these entries were read at.
    const [entries, ...ends] = await this.transaction((multi) =>
      this.endsOf(multi.xrange(this.streamKey, `(${cursor}`, '+')),
    );
    return {
      events: (entries as StreamEntries).flatMap((entry) => this.toEvent(entry) ?? []),
      position: this.positionIn(cursor, ends),
    };
  }

  async locate(cursor: string): Promise<CursorPosition> {
    return this.positionIn(cursor, await this.transaction((multi) => this.endsOf(multi)));
  }

  private endsOf(multi: ChainableCommander): ChainableCommander {
    return multi
      .xrevrange(this.streamKey, '+', '-', 'COUNT', 1)
      .xrange(this.streamKey, '-', '+', 'COUNT', 1)
      .get(this.droppedKey);
  }

  private async transaction(build: (multi: ChainableCommander) => ChainableCommander): Promise<unknown[]> {
    const replies = await build(this.writer.multi()).exec();
    if (!replies) throw new Error('event log: transaction aborted');
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  private positionIn(cursor: string, ends: unknown[]): CursorPosition {
    const [newest, oldest, dropped] = ends as [StreamEntries, StreamEntries, string | null];
    return positionOf(cursor, {
      // Trimming never drops the newest entry, so it is the newest cursor ever assigned.
      newest: newest[0]?.[0] ?? '0-0',
      oldest: oldest[0]?.[0] ?? null,
      dropped,
    });
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
