import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * Redis for the suites that need it. The rule: a Redis-backed suite may skip only when Redis is
 * unreachable AND `CI` is unset, and then it says so; in CI an unreachable Redis fails the suite.
 */
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const inCi = () => Boolean(process.env.CI);

/** Whether a Redis answers PING at `url` within about a second. Never throws. */
async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Whether the suite named `suite` must be skipped for lack of Redis at `url`: false when Redis
 * answers; true (with a warning) when it does not and CI is unset; throws when it does not in CI.
 */
export async function skipWithoutRedis(suite: string, url = REDIS_URL): Promise<boolean> {
  if (await redisAvailable(url)) return false;
  if (inCi()) throw new Error(`${suite}: Redis at ${url} is unreachable, and CI requires this suite to run`);
  console.warn(`SKIPPED ${suite}: Redis at ${url} is unreachable (allowed only because CI is unset)`);
  return true;
}

/** The same rule for suites that start their own `redis-server`: the binary must exist in CI. */
export function skipWithoutRedisServer(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.status === 0) return false;
  if (inCi()) throw new Error(`${suite}: redis-server is not installed, and CI requires this suite to run`);
  console.warn(`SKIPPED ${suite}: no redis-server binary (allowed only because CI is unset)`);
  return true;
}

/** A key prefix no other suite or run uses, e.g. `paygraph-test:3f9a…:`. */
export function uniquePrefix(): string {
  return `paygraph-test:${randomBytes(8).toString('hex')}:`;
}

/**
 * Every key under `prefix`, one SCAN page at a time, on a short-lived client of its own (a suite's
 * bookkeeping must not share a connection with the gateway under test).
 */
async function eachKeyPage(
  prefix: string,
  url: string,
  visit: (keys: string[], client: Redis) => Promise<void>,
): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await visit(keys, client);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (call it in afterAll with the suite's uniquePrefix()). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<number> {
  if (!/^paygraph-test:[0-9a-f]+:$/.test(prefix)) throw new Error(`refusing to delete keys under ${prefix}`);
  let deleted = 0;
  await eachKeyPage(prefix, url, async (keys, client) => {
    deleted += await client.unlink(...keys);
  });
  return deleted;
}

/** How many keys exist under `prefix` (to prove a suite wrote where it was told to). */
export async function countKeys(prefix: string, url = REDIS_URL): Promise<number> {
  let count = 0;
  await eachKeyPage(prefix, url, async (keys) => {
    count += keys.length;
  });
  return count;
}

/** The string values of every key under `prefix` (to prove what a suite's records hold). */
export async function redisValues(prefix: string, url = REDIS_URL): Promise<string[]> {
  const values: string[] = [];
  await eachKeyPage(prefix, url, async (keys, client) => {
    for (const key of keys) {
      const value = await client.get(key).catch(() => null);
      if (value !== null) values.push(value);
    }
  });
  return values;
}

/**
 * Replaces the string value of every key under `prefix` with `rewrite(value)`, keeping its TTL (to
 * damage a stored record on purpose); returns how many keys it rewrote.
 */
export async function rewriteValues(
  prefix: string,
  rewrite: (value: string) => string,
  url = REDIS_URL,
): Promise<number> {
  let rewritten = 0;
  await eachKeyPage(prefix, url, async (keys, client) => {
    for (const key of keys) {
      const value = await client.get(key);
      if (value === null) continue;
      await client.set(key, rewrite(value), 'KEEPTTL');
      rewritten++;
    }
  });
  return rewritten;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A private, throw-away `redis-server` (no persistence) on a free loopback port, which a suite may
 * stop and start again on the same port to simulate an outage. `stop()` is safe to call anytime.
 * `pause()` freezes it (SIGSTOP: connections stay open, nothing answers) until `resume()`.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child) throw new Error('private redis is already running');
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = server;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout?.on('data', onData);
      server.stderr?.on('data', onData);
      server.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
    // Keep draining its output (unread) so the pipe never fills and blocks the server.
    server.stdout?.removeAllListeners('data').resume();
    server.stderr?.removeAllListeners('data').resume();
  }

  function signal(name: 'SIGSTOP' | 'SIGCONT'): void {
    if (!child || child.exitCode !== null) throw new Error('private redis is not running');
    child.kill(name);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    // SIGKILL: an outage, not a graceful shutdown (and nothing to save anyway).
    running.kill('SIGKILL');
    await exited;
  }

  // Last resort if the test process ends without afterAll: never leave a redis-server behind.
  process.once('exit', () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
