/**
 * Idempotency records shared by every instance on one Redis: one string key per scope. Claiming is
 * one Lua script (read, and write a pending claim only when nothing is there), so two instances
 * never both execute. Completing, renewing and releasing compare the stored text with our own
 * pending claim first (compare-and-set): an instance whose lease lapsed while another took over
 * can never overwrite or delete the other's record.
 *
 * A claim is written to live only UNCONFIRMED_CLAIM_MS and gets its lease when the claimant renews
 * it, before executing. A claim sent to a stalled Redis outlives its caller's deadline and may run
 * once Redis wakes up; unconfirmed, it lapses within moments, so a retry with the key is not made
 * to wait out a whole lease for a request that was refused.
 */

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { COMMAND_TIMEOUT_MS, type RedisConnections } from '../redis.js';
import {
  type Claim,
  type ClaimOutcome,
  DEFAULT_LEASE_MS,
  decodeRecord,
  encodeRecord,
  type IdempotencyRecord,
  type IdempotencyStore,
  pendingRecordOf,
  type StoreTimings,
} from './store.js';

const CLAIM = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

const REPLACE_IF_OWNED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const RENEW_IF_OWNED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`;

const DELETE_IF_OWNED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

/** Long enough for the claim's answer and the renewal that confirms it, each within its deadline. */
const UNCONFIRMED_CLAIM_MS = 4 * COMMAND_TIMEOUT_MS;

type IdempotencyRedis = Redis & {
  idemClaim(key: string, pending: string, leaseMs: number): Promise<string | null>;
  idemReplaceIfOwned(key: string, pending: string, next: string, ttlMs: number): Promise<number>;
  idemRenewIfOwned(key: string, pending: string, leaseMs: number): Promise<number>;
  idemDeleteIfOwned(key: string, pending: string): Promise<number>;
};

export interface RedisIdempotencyStoreOptions extends StoreTimings {
  redis: RedisConnections;
  /** REDIS_KEY_PREFIX: records live under `<prefix>idem:…`, beside the event log. */
  keyPrefix: string;
}

export class RedisIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly ttlMs: number;
  private readonly redis: IdempotencyRedis;

  constructor(private readonly options: RedisIdempotencyStoreOptions) {
    this.ttlMs = options.ttlMs;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Fail fast while disconnected (like the event log's writer): a keyed mutation then fails with a
    // GraphQL error instead of executing without the guarantee, and the client retries.
    this.redis = options.redis.open('idempotency') as IdempotencyRedis;
    this.redis.defineCommand('idemClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis.defineCommand('idemReplaceIfOwned', { numberOfKeys: 1, lua: REPLACE_IF_OWNED });
    this.redis.defineCommand('idemRenewIfOwned', { numberOfKeys: 1, lua: RENEW_IF_OWNED });
    this.redis.defineCommand('idemDeleteIfOwned', { numberOfKeys: 1, lua: DELETE_IF_OWNED });
  }

  /** Waits (bounded) for the first connection: without an offline queue, early commands would fail. */
  async start(timeoutMs = 5_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    await Promise.race([
      new Promise<void>((resolve) => this.redis.once('ready', () => resolve())),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  async claim(scope: string, fingerprint: string): Promise<ClaimOutcome> {
    const claim: Claim = { scope, fingerprint, owner: randomUUID() };
    const current = await this.redis.idemClaim(this.key(scope), this.pending(claim), UNCONFIRMED_CLAIM_MS);
    if (current === null) {
      if (!(await this.renew(claim))) throw new Error('the idempotency claim lapsed before it was confirmed');
      return { claimed: true, claim };
    }
    const record = decodeRecord(current);
    // Unreadable text under our key is not ours to judge: report it as a foreign claim, so the
    // request fails as a key reuse instead of executing twice.
    return { claimed: false, record: record ?? { state: 'pending', fingerprint: '', owner: '' } };
  }

  async read(scope: string): Promise<IdempotencyRecord | null> {
    const text = await this.redis.get(this.key(scope));
    return text === null ? null : decodeRecord(text);
  }

  async renew(claim: Claim): Promise<boolean> {
    return (
      (await this.redis.idemRenewIfOwned(this.key(claim.scope), this.pending(claim), this.leaseMs)) === 1
    );
  }

  async complete(claim: Claim, payload: string): Promise<boolean> {
    const done = encodeRecord({ state: 'done', fingerprint: claim.fingerprint, payload });
    const replaced = await this.redis.idemReplaceIfOwned(
      this.key(claim.scope),
      this.pending(claim),
      done,
      this.ttlMs,
    );
    return replaced === 1;
  }

  async release(claim: Claim): Promise<void> {
    await this.redis.idemDeleteIfOwned(this.key(claim.scope), this.pending(claim));
  }

  async isHealthy(): Promise<boolean> {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private key(scope: string): string {
    return `${this.options.keyPrefix}${scope}`;
  }

  private pending(claim: Claim): string {
    return encodeRecord(pendingRecordOf(claim));
  }
}
