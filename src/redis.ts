/**
 * Every Redis connection the process opens (event log writer and reader, idempotency store, rate
 * and failed-authentication limits) is made here, one way, so that each has a deadline and fails fast:
 * - a command that gets no answer within COMMAND_TIMEOUT_MS fails ("Command timed out"): a Redis
 *   that is stopped (SIGSTOP, a frozen VM, a dropped route) behaves like one that is down instead
 *   of holding every request, webhook and keyed mutation until it wakes up;
 * - a socket that stays silent for SOCKET_TIMEOUT_MS with commands outstanding is dropped and
 *   reconnected, and with no offline queue every command in between is refused at once, so a long
 *   stall costs each caller nothing rather than a timeout each;
 * - the degraded behaviour documented in the README then applies (webhooks 503, keyed mutations
 *   refused, rate and failed-authentication limits per instance).
 * A monitor PINGs each connection every second and logs one line when Redis stops answering and one
 * when it answers again; `/readyz` shows each connection's state (`check`).
 */

import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export const COMMAND_TIMEOUT_MS = 500;
const SOCKET_TIMEOUT_MS = 1_500;
const CONNECT_TIMEOUT_MS = 2_000;
const MONITOR_INTERVAL_MS = 1_000;

/** `stalled`: connected, but commands get no answer; `unavailable`: not connected. */
export type RedisState = 'ok' | 'stalled' | 'unavailable';

interface Connection {
  /** What uses it, e.g. `eventLog`, shown in /readyz. */
  owner: string;
  client: Redis;
  /** Blocks in XREAD on purpose: never PINGed (the PING would wait behind the read). */
  blocking: boolean;
  state: RedisState;
}

export interface OpenOptions {
  /**
   * For a connection that runs blocking reads of up to this many milliseconds: its deadline is
   * that plus COMMAND_TIMEOUT_MS, and it may queue commands while reconnecting.
   */
  blockingMs?: number;
}

export class RedisConnections {
  private readonly connections: Connection[] = [];
  private readonly monitor: NodeJS.Timeout;
  /** Since when Redis has not answered every connection, or null while it does. */
  private troubleSince: number | null = null;
  /** The check in progress: callers arriving meanwhile share it, so two checks never interleave. */
  private checking: Promise<Record<string, RedisState>> | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    this.monitor = setInterval(() => void this.check(), MONITOR_INTERVAL_MS);
    this.monitor.unref();
  }

  open(owner: string, options: OpenOptions = {}): Redis {
    const blocking = options.blockingMs !== undefined;
    const client = new Redis(this.url, {
      commandTimeout: (options.blockingMs ?? 0) + COMMAND_TIMEOUT_MS,
      // A blocking read holds the socket silent on purpose; its own deadline covers it.
      socketTimeout: blocking ? undefined : SOCKET_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepAlive: 10_000,
      enableOfflineQueue: blocking,
      // A command its caller has given up on (deadline passed) must not be sent again after a
      // reconnect, where it would take effect unseen; a blocking read may simply be read again.
      autoResendUnfulfilledCommands: blocking,
      maxRetriesPerRequest: blocking ? null : 1,
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
    });
    // ioredis reports every failed reconnect; the monitor logs the outage once instead.
    client.on('error', (error: Error) =>
      this.logger.debug({ redis: owner, err: { message: error.message } }, 'redis connection error'),
    );
    this.connections.push({
      owner,
      client,
      blocking,
      state: client.status === 'ready' ? 'ok' : 'unavailable',
    });
    return client;
  }

  /**
   * Asks every connection now (a PING within the command deadline) and returns each owner's worst
   * state. A blocking reader cannot be asked while it reads, so it counts as stalled when every
   * connection that can be asked is.
   */
  check(): Promise<Record<string, RedisState>> {
    this.checking ??= this.probeAll().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async probeAll(): Promise<Record<string, RedisState>> {
    const askable = this.connections.filter((connection) => !connection.blocking);
    await Promise.all(
      askable.map(async (connection) => {
        connection.state = await probe(connection.client);
      }),
    );
    const serverStalled = askable.length > 0 && askable.every((connection) => connection.state === 'stalled');
    for (const connection of this.connections) {
      if (!connection.blocking) continue;
      connection.state =
        connection.client.status !== 'ready' ? 'unavailable' : serverStalled ? 'stalled' : 'ok';
    }
    this.report();
    const byOwner: Record<string, RedisState> = {};
    for (const { owner, state } of this.connections) byOwner[owner] = worse(byOwner[owner], state);
    return byOwner;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.monitor);
    for (const { client } of this.connections) client.disconnect();
  }

  /** One line when Redis stops answering any connection, one when it answers them all again. */
  private report(): void {
    if (this.closed) return;
    const down = this.connections.filter((connection) => connection.state !== 'ok');
    if (down.length > 0 && this.troubleSince === null) {
      this.troubleSince = Date.now();
      this.logger.warn(
        { redis: Object.fromEntries(down.map(({ owner, state }) => [owner, state])) },
        'redis is not answering; degraded until it does (webhooks 503, keyed mutations refused, rate and failed-authentication limits per instance)',
      );
    } else if (down.length === 0 && this.troubleSince !== null) {
      this.logger.info({ downMs: Date.now() - this.troubleSince }, 'redis is answering again');
      this.troubleSince = null;
    }
  }
}

async function probe(client: Redis): Promise<RedisState> {
  if (client.status !== 'ready') return 'unavailable';
  try {
    await client.ping();
    return 'ok';
  } catch (error) {
    return (error as Error).message.includes('timed out') ? 'stalled' : 'unavailable';
  }
}

const SEVERITY: Record<RedisState, number> = { ok: 0, stalled: 1, unavailable: 2 };

function worse(a: RedisState | undefined, b: RedisState): RedisState {
  return a === undefined || SEVERITY[b] > SEVERITY[a] ? b : a;
}
