import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import {
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../test/generated/graphql.js';
import { connectWs } from '../test/support/subscriptions.js';

/**
 * Many graphql-ws subscribers of `transactionStatusChanged` (no filter) in this process, and a
 * tracker that records, for every expected event (`<transaction id>|<status>`), when each subscriber
 * received it. Each subscriber counts every event once: a second copy is a duplicate, a missing one
 * is lost, an event nobody announced is unexpected.
 */
export interface TrackedEvent {
  key: string;
  /** performance.now() when the triggering request was sent. */
  t0: number;
  /** performance.now() of each subscriber's receipt (0 = not yet). */
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
      t0: performance.now(),
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

export interface SubscriberPool {
  connections: number;
  subscriptions: number;
  /** Time to open the sockets (graphql-ws connection_init acknowledged). */
  connectMs: number;
  /** Time to send the subscribe messages (their processing is proven by confirmSubscribers). */
  subscribeMs: number;
  close(): Promise<void>;
}

function connected(client: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('graphql-ws connection timed out')), timeoutMs);
    const offs = [
      client.on('connected', () => done()),
      client.on('closed', (event) => done(new Error(`graphql-ws closed: ${JSON.stringify(event)}`))),
      client.on('error', (error) => done(new Error(`graphql-ws error: ${String(error)}`))),
    ];
    function done(error?: Error) {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error) reject(error);
      else resolve();
    }
  });
}

/** Opens `count` graphql-ws connections (the tests' connectWs), `parallel` at a time. */
export async function openConnections(url: string, count: number, parallel = 50): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const open = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const client = connectWs(url);
      clients.push(client);
      await connected(client, 30_000);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, open));
  } catch (error) {
    await Promise.all(clients.map((client) => client.dispose()));
    throw error;
  }
  return clients;
}

/** Subscribes `perConnection` times on each client; subscriber n is subscription n % perConnection of client ⌊n / perConnection⌋. */
export function subscribeAll(clients: Client[], perConnection: number, tracker: Tracker): void {
  const query = print(TransactionStatusChangedDocument);
  for (const [index, client] of clients.entries()) {
    for (let s = 0; s < perConnection; s++) {
      const subscriber = index * perConnection + s;
      client.subscribe<TransactionStatusChangedSubscription>(
        { query, variables: {} },
        {
          next: (value) => {
            const at = performance.now();
            const change = value.data?.transactionStatusChanged;
            if (!change) tracker.errors.push(JSON.stringify(value.errors ?? value).slice(0, 300));
            else tracker.receive(subscriber, `${change.transaction.id}|${change.status}`, at);
          },
          error: (error) => tracker.errors.push(String(error instanceof Error ? error.message : error)),
          complete: () => {
            tracker.completed += 1;
          },
        },
      );
    }
  }
}

/** Connections, then subscriptions: `connections` × `perConnection` subscribers. */
export async function openSubscribers(
  url: string,
  tracker: Tracker,
  connections: number,
  perConnection: number,
): Promise<SubscriberPool> {
  const t0 = performance.now();
  const clients = await openConnections(url, connections);
  const t1 = performance.now();
  subscribeAll(clients, perConnection, tracker);
  return {
    connections,
    subscriptions: connections * perConnection,
    connectMs: t1 - t0,
    subscribeMs: performance.now() - t1,
    close: () => closeAll(clients),
  };
}

export async function closeAll(clients: Client[]): Promise<void> {
  await Promise.all(clients.map((client) => client.dispose()));
}
