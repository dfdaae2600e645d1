import { parentPort, workerData } from 'node:worker_threads';
import type { Client } from 'graphql-ws';
import type { TransactionStatusChangedSubscription } from '../test/generated/graphql.js';
import { connectWs } from '../test/support/subscriptions.js';

/**
 * A share of the bench's subscribers, in a worker thread (bench/fanout.ts): their sockets, the
 * graphql-ws clients and the JSON parsing of every message run here, so the thread that drives the
 * changes and keeps the books is not the one reading 100,000 messages a second. Each receipt is
 * stamped when this thread handles the message, on the clock all threads share (`timeOrigin +
 * now()`), and sent to the main thread in batches.
 */
export interface WorkerInput {
  url: string;
  /** Global index of this worker's first connection. */
  firstConnection: number;
  connections: number;
}

export type ToWorker = { type: 'subscribe'; query: string; perConnection: number } | { type: 'close' };

export type FromWorker =
  | { type: 'connected' }
  | { type: 'subscribed' }
  | { type: 'receipts'; subscribers: number[]; keys: string[]; times: number[] }
  | { type: 'problem'; error: string }
  | { type: 'completed' }
  | { type: 'closed' };

const { url, firstConnection, connections } = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error('bench/subscriberWorker.ts runs as a worker thread');
const post = (message: FromWorker) => port.postMessage(message);
const now = () => performance.timeOrigin + performance.now();

/** Receipts are flushed every few milliseconds, and at once when many piled up. */
const FLUSH_MS = 2;
const FLUSH_COUNT = 2_000;
let batch = { subscribers: [] as number[], keys: [] as string[], times: [] as number[] };
let flushTimer: NodeJS.Timeout | null = null;

function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  if (batch.subscribers.length === 0) return;
  post({ type: 'receipts', ...batch });
  batch = { subscribers: [], keys: [], times: [] };
}

function receive(subscriber: number, key: string, at: number): void {
  batch.subscribers.push(subscriber);
  batch.keys.push(key);
  batch.times.push(at);
  if (batch.subscribers.length >= FLUSH_COUNT) flush();
  else flushTimer ??= setTimeout(flush, FLUSH_MS);
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

/** Opens this worker's connections (the tests' connectWs), 50 at a time. */
async function openConnections(): Promise<Client[]> {
  const clients: Client[] = [];
  let next = 0;
  const open = async (): Promise<void> => {
    while (next < connections) {
      next += 1;
      const client = connectWs(url);
      clients.push(client);
      await connected(client, 30_000);
    }
  };
  await Promise.all(Array.from({ length: Math.min(50, connections) }, open));
  return clients;
}

/** Subscriber n is subscription n % perConnection of connection ⌊n / perConnection⌋. */
function subscribeAll(clients: Client[], query: string, perConnection: number): void {
  for (const [index, client] of clients.entries()) {
    for (let s = 0; s < perConnection; s++) {
      const subscriber = (firstConnection + index) * perConnection + s;
      client.subscribe<TransactionStatusChangedSubscription>(
        { query, variables: {} },
        {
          next: (value) => {
            const at = now();
            const change = value.data?.transactionStatusChanged;
            if (!change)
              post({ type: 'problem', error: JSON.stringify(value.errors ?? value).slice(0, 300) });
            else receive(subscriber, `${change.transaction.id}|${change.status}`, at);
          },
          error: (error) =>
            post({ type: 'problem', error: String(error instanceof Error ? error.message : error) }),
          complete: () => post({ type: 'completed' }),
        },
      );
    }
  }
}

const clients = await openConnections().catch((error: unknown) => {
  post({ type: 'problem', error: `connect: ${String(error)}` });
  return [];
});
post({ type: 'connected' });
port.on('message', async (message: ToWorker) => {
  if (message.type === 'subscribe') {
    subscribeAll(clients, message.query, message.perConnection);
    post({ type: 'subscribed' });
  } else {
    flush();
    await Promise.all(clients.map((client) => client.dispose()));
    post({ type: 'closed' });
  }
});
