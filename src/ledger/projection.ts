import type { TransactionStatusEvent } from '../events/event.js';
import type { EventLog } from '../events/log.js';
import type { Logger } from '../logger.js';
import type { Ledger } from './ledger.js';

/**
 * Keeps the ledger in step with the event log, the one source of truth for recorded changes and
 * their cursors (docs/ledger.md). Every change the log records, on any instance, is taken into the
 * ledger in log order with its cursor as the idempotency key (Ledger.project), so a change reaches
 * the ledger exactly once however many instances follow the log.
 *
 * It starts, and starts again after any failure, with a catch-up: it reads the log from the
 * ledger's checkpoint. A crash between the log's append and the ledger's write, or a database
 * outage, therefore loses nothing the log still keeps. Live changes that arrive during a catch-up
 * wait in a queue (those the catch-up already took in are duplicates); while it waits to retry, it
 * queues nothing, since the next catch-up reads them from the log.
 */
export interface Projection {
  /**
   * How long the ledger has been behind the log, in milliseconds: since the oldest change this
   * instance heard of and has not taken in yet (or since it started failing); 0 when caught up.
   */
  lagMs(): number;
  /** Stops following the log, after the change being written. */
  stop(): Promise<void>;
}

/** At most this many changes per database transaction. */
const BATCH = 200;
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 30_000;

export function startProjection(events: EventLog, ledger: Ledger, logger: Logger): Projection {
  let queue: TransactionStatusEvent[] = [];
  let catchingUp = true;
  let waiting = false;
  let stopped = false;
  let failing = false;
  let retryMs = RETRY_FIRST_MS;
  let running: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  /** When the projection last went from caught up to behind (Date.now()); null while caught up. */
  let behindSince: number | null = Date.now();

  const project = (events: TransactionStatusEvent[]) =>
    ledger.project(
      events.map((event) => ({
        cursor: event.cursor,
        occurredAt: event.occurredAt,
        transaction: event.transaction,
        providerEventId: event.providerEventId ?? null,
        source: event.source ?? 'WEBHOOK',
      })),
    );

  async function catchUp(): Promise<void> {
    queue = [];
    const checkpoint = await ledger.checkpoint();
    const replay = await events.since(checkpoint);
    if (replay.position.kind === 'expired') {
      logger.warn(
        { checkpoint, oldestCursor: replay.position.oldest },
        'ledger: the event log no longer keeps every change since the ledger last read it; those are missing from the ledger',
      );
    }
    for (let start = 0; start < replay.events.length; start += BATCH) {
      if (stopped) return;
      await project(replay.events.slice(start, start + BATCH));
    }
    catchingUp = false;
  }

  async function backOff(error: unknown): Promise<void> {
    if (!failing) {
      logger.warn(
        { err: { message: (error as Error).message } },
        'ledger: cannot take in event-log changes; retrying (nothing is lost while the log keeps them)',
      );
    }
    failing = true;
    catchingUp = true;
    waiting = true;
    queue = [];
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, retryMs).unref();
    });
    wake = null;
    waiting = false;
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }

  function recovered(): void {
    if (failing) logger.info('ledger: taking in event-log changes again');
    failing = false;
    retryMs = RETRY_FIRST_MS;
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      try {
        if (catchingUp) {
          await catchUp();
          recovered();
        }
        if (queue.length === 0) {
          behindSince = null;
          return;
        }
        // A burst of webhooks is taken in together: one database transaction, one checkpoint write.
        // Should it fail, the catch-up that follows reads these again from the log.
        await project(queue.splice(0, BATCH));
        recovered();
      } catch (error) {
        await backOff(error);
      }
    }
  }

  function kick(): void {
    if (running || stopped) return;
    running = drain().finally(() => {
      running = null;
      if (queue.length > 0 || catchingUp) kick();
    });
  }

  const unlisten = events.listen((event) => {
    behindSince ??= Date.now();
    if (waiting) return;
    queue.push(event);
    kick();
  });
  kick();

  return {
    lagMs: () => (behindSince === null ? 0 : Date.now() - behindSince),
    async stop() {
      stopped = true;
      unlisten();
      wake?.();
      await running;
    },
  };
}
