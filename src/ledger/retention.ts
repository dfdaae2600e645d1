import type { Logger } from '../logger.js';
import type { Ledger } from './ledger.js';

/**
 * LEDGER_RETENTION_DAYS: once at start and every SWEEP_EVERY_MS, deletes what the ledger keeps
 * longer than that (Ledger.sweep: final transactions whose last change is older, with their
 * history). Batches are small and separated by a pause, so the sweep never holds the database (or,
 * with SQLite, the event loop) long enough to delay requests. Without a retention, nothing is deleted.
 */
export interface Retention {
  /** One sweep now (the one under way, if any): rows deleted per table; null when it failed. */
  sweep(): Promise<Record<string, number> | null>;
  /** Stops the schedule and waits for a sweep under way. */
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3_600_000;
/** Often enough that nothing outlives its retention by much more than an hour. */
const SWEEP_EVERY_MS = 3_600_000;
/** Rows per statement: a few milliseconds of work each on either engine. */
export const SWEEP_BATCH = 500;
/** Between two batches. */
const SWEEP_PAUSE_MS = 50;

export function startRetention(ledger: Ledger, retentionDays: number, logger: Logger): Retention {
  let running: Promise<Record<string, number> | null> | null = null;
  let stopped = false;

  function sweep(): Promise<Record<string, number> | null> {
    running ??= ledger
      .sweep(new Date(Date.now() - retentionDays * DAY_MS), SWEEP_BATCH, SWEEP_PAUSE_MS)
      .then(
        (deleted) => {
          if (Object.values(deleted).some((count) => count > 0)) {
            logger.info({ deleted, retentionDays }, 'ledger: deleted rows past LEDGER_RETENTION_DAYS');
          }
          return deleted;
        },
        (error: Error) => {
          // The next sweep deletes what this one could not.
          logger.warn({ err: { message: error.message } }, 'ledger: retention sweep failed');
          return null;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => {
    if (!stopped) void sweep();
  }, SWEEP_EVERY_MS);
  timer.unref();
  void sweep();

  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
