import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { print } from 'graphql';
import { TransactionStatusChangedDocument } from '../test/generated/graphql.js';
import type { FromWorker, ToWorker, WorkerInput } from './subscriberWorker.js';

/**
 * Many graphql-ws subscribers of `transactionStatusChanged` (no filter), in worker threads
 * (bench/subscriberWorker.ts), and a tracker in this thread that records, for every expected event
 * (`<transaction id>|<status>`), when each subscriber received it. Each subscriber counts every
 * event once: a second copy is a duplicate, a missing one is lost, an event nobody announced is
 * unexpected. Times are on the clock every thread shares: `now()`.
 */
export const now = () => performance.timeOrigin + performance.now();

export interface TrackedEvent {
  key: string;
  /** now() when the triggering request was sent. */
  t0: number;
  /** now() of each subscriber's receipt, in its worker (0 = not yet). */
  times: Float64Array;
  received: number;
}

export class Tracker {
  private readonly events = new Map<string, TrackedEvent>();
  private readonly waiters = new Map<string, () => void>();
  duplicates = 0;
  unexpected = 0;
  errors: string[] = [];
  completed = 0;

  constructor(readonly size: number) {}

  /** Announce an event before triggering it; set `t0` right before sending the request. */
  track(key: string): TrackedEvent {
    const event: TrackedEvent = {
      key,
      t0: now(),
      times: new Float64Array(this.size),
      received: 0,
    };
    this.events.set(key, event);
    return event;
  }

  receive(subscriber: number, key: string, at: number): void {
    const event = this.events.get(key);
    if (!event) {
      this.unexpected += 1;
      return;
    }
    if (event.times[subscriber] !== 0) {
      this.duplicates += 1;
      return;
    }
    event.times[subscriber] = at;
    event.received += 1;
    if (event.received === this.size) this.waiters.get(key)?.();
  }

  /** Resolves true once every subscriber has the event, false after `timeoutMs`. */
  waitAll(event: TrackedEvent, timeoutMs: number): Promise<boolean> {
    if (event.received === this.size) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(event.key);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(event.key, () => {
        clearTimeout(timer);
        this.waiters.delete(event.key);
        resolve(true);
      });
    });
  }
}

/** Worker threads for the subscribers: the machine's 2 cores are shared with the gateway anyway. */
const WORKERS = 2;

/**
 * graphql-ws connections in worker threads; `subscribe` opens `perConnection` subscriptions on each,
 * reporting receipts to `tracker`.
 */
export class SubscriberPool {
  private constructor(
    private readonly workers: Worker[],
    readonly connections: number,
    /** Time to open the sockets (graphql-ws connection_init acknowledged). */
    readonly connectMs: number,
  ) {}

  static async open(url: string, connections: number): Promise<SubscriberPool> {
    const t0 = performance.now();
    const workerCount = Math.min(WORKERS, connections);
    const shares = Array.from({ length: workerCount }, (_, w) => {
      const first = Math.floor((connections * w) / workerCount);
      return { first, count: Math.floor((connections * (w + 1)) / workerCount) - first };
    });
    const workers = shares.map(
      ({ first, count }) =>
        new Worker(new URL('./subscriberWorker.mjs', import.meta.url), {
          workerData: { url, firstConnection: first, connections: count } satisfies WorkerInput,
        }),
    );
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (message: FromWorker) => {
                if (message.type === 'problem') reject(new Error(message.error));
                if (message.type !== 'connected') return;
                worker.off('message', onMessage);
                resolve();
              };
              worker.on('message', onMessage);
              worker.once('error', reject);
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new SubscriberPool(workers, connections, performance.now() - t0);
  }

  /**
   * Sends the subscribe messages, resolving once every worker has sent its own (their processing is
   * proven by confirmSubscribers). Subscriber n is subscription n % perConnection of connection
   * ⌊n / perConnection⌋.
   */
  async subscribe(perConnection: number, tracker: Tracker): Promise<void> {
    const query = print(TransactionStatusChangedDocument);
    let sent = 0;
    let allSent: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => {
      allSent = resolve;
    });
    for (const worker of this.workers) {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'subscribed' && ++sent === this.workers.length) allSent();
        else if (message.type === 'receipts') {
          const { subscribers, keys, times } = message;
          for (let i = 0; i < subscribers.length; i++)
            tracker.receive(subscribers[i] ?? 0, keys[i] ?? '', times[i] ?? 0);
        } else if (message.type === 'problem') tracker.errors.push(message.error);
        else if (message.type === 'completed') tracker.completed += 1;
      });
      worker.postMessage({ type: 'subscribe', query, perConnection } satisfies ToWorker);
    }
    await subscribed;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.on('message', (message: FromWorker) => {
              if (message.type === 'closed') resolve();
            });
            worker.postMessage({ type: 'close' } satisfies ToWorker);
          }),
      ),
    );
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Connections, then subscriptions: `connections` × `perConnection` subscribers. */
export async function openSubscribers(
  url: string,
  tracker: Tracker,
  connections: number,
  perConnection: number,
): Promise<SubscriberPool> {
  const pool = await SubscriberPool.open(url, connections);
  await pool.subscribe(perConnection, tracker);
  return pool;
}
