import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SubscriberPool, Tracker } from './fanout.js';
import { memoryKiB, startGatewayProcess } from './gateway.js';
import { confirmSubscribers } from './latency.js';
import { sleep } from './stats.js';
import { createCharge, settleCharge } from './traffic.js';

/**
 * Scenario 2: a fresh gateway's RSS before any client, with `connections` idle graphql-ws sockets,
 * and with `perConnection` idle subscriptions on each.
 */
export interface MemoryOptions {
  connections: number;
  perConnection: number;
  idleSeconds: number;
  /** The checkout to run (default: this one). */
  root?: string;
}

export interface MemoryResult {
  options: MemoryOptions;
  subscribers: number;
  connectMs: number;
  /** From the first subscribe message until one event had reached every subscription. */
  subscribeMs: number;
  confirmAttempts: number;
  /** RSS in KiB: before any client, with the sockets only, and with the subscriptions (last sample). */
  before: number;
  connected: number;
  after: number;
  /** RSS samples (KiB) taken once a second while the subscriptions idle. */
  idleSamples: number[];
  /**
   * V8 heap in use (KiB) after a full GC, with the sockets only and with the subscriptions, from the
   * gateway's /metrics (`paygraph_nodejs_heap_size_used_bytes`); NaN for a gateway without it.
   */
  heapConnected: number;
  heapAfter: number;
  peak: number;
  benchRssKiB: number;
  stillOpen: boolean;
}

/** RSS after `seconds` idle and a full garbage collection (bench/collectOnSignal.mjs). */
async function settledRss(pid: number, seconds: number): Promise<number> {
  await sleep(seconds * 1000);
  process.kill(pid, 'SIGUSR2');
  await sleep(500);
  return memoryKiB(pid).rss;
}

async function heapUsedKiB(url: string): Promise<number> {
  const response = await fetch(`${url}/metrics`).catch(() => null);
  const text = response?.ok ? await response.text() : '';
  return Number(/^(?:paygraph_)?nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? NaN) / 1024;
}

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const gateway = await startGatewayProcess(options.root, {
    preload: fileURLToPath(new URL('./collectOnSignal.mjs', import.meta.url)),
    nodeArgs: ['--expose-gc'],
  });
  try {
    const { url, pid } = gateway;
    // Warm the code paths a status change takes (GraphQL, simulator, webhook), then let it settle.
    await settleCharge(url, await createCharge(url));
    const before = await settledRss(pid, 3);

    const pool = await SubscriberPool.open(url, options.connections);
    const connected = await settledRss(pid, 2);
    const heapConnected = await heapUsedKiB(url);

    const size = options.connections * options.perConnection;
    const tracker = new Tracker(size);
    const t1 = performance.now();
    await pool.subscribe(options.perConnection, tracker);
    const confirmAttempts = await confirmSubscribers(url, tracker, 30_000);
    const subscribeMs = performance.now() - t1;
    console.log(`  ${size} subscriptions live on ${options.connections} sockets`);
    const idleSamples: number[] = [];
    for (let s = 0; s < options.idleSeconds; s++) idleSamples.push(await settledRss(pid, 1));
    const heapAfter = await heapUsedKiB(url);
    const result: MemoryResult = {
      options,
      subscribers: size,
      connectMs: pool.connectMs,
      subscribeMs,
      confirmAttempts,
      before,
      connected,
      after: idleSamples.at(-1) ?? NaN,
      idleSamples,
      heapConnected,
      heapAfter,
      peak: memoryKiB(pid).hwm,
      benchRssKiB: Math.round(process.memoryUsage().rss / 1024),
      stillOpen: tracker.completed === 0 && tracker.errors.length === 0,
    };
    await pool.close();
    return result;
  } finally {
    await gateway.stop();
  }
}
