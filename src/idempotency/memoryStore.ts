import { randomUUID } from 'node:crypto';
import {
  type Claim,
  type ClaimOutcome,
  DEFAULT_LEASE_MS,
  type IdempotencyRecord,
  type IdempotencyStore,
  pendingRecordOf,
  type StoreTimings,
} from './store.js';

/** How often expired records are swept, so a busy instance does not hold a day of payloads forever. */
const SWEEP_INTERVAL_MS = 60_000;

interface Entry {
  record: IdempotencyRecord;
  expiresAt: number;
}

/**
 * Records in this process only: enough for one instance (the default without REDIS_URL). Every
 * method is synchronous under the hood, so a claim is atomic without locks.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly ttlMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(timings: StoreTimings) {
    this.ttlMs = timings.ttlMs;
    this.leaseMs = timings.leaseMs ?? DEFAULT_LEASE_MS;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async claim(scope: string, fingerprint: string): Promise<ClaimOutcome> {
    const existing = this.live(scope);
    if (existing) return { claimed: false, record: { ...existing.record } };
    const claim: Claim = { scope, fingerprint, owner: randomUUID() };
    this.entries.set(scope, { record: pendingRecordOf(claim), expiresAt: Date.now() + this.leaseMs });
    return { claimed: true, claim };
  }

  async read(scope: string): Promise<IdempotencyRecord | null> {
    const entry = this.live(scope);
    return entry ? { ...entry.record } : null;
  }

  async renew(claim: Claim): Promise<boolean> {
    const entry = this.owned(claim);
    if (entry) entry.expiresAt = Date.now() + this.leaseMs;
    return entry !== null;
  }

  async complete(claim: Claim, payload: string): Promise<boolean> {
    if (!this.owned(claim)) return false;
    this.entries.set(claim.scope, {
      record: { state: 'done', fingerprint: claim.fingerprint, payload },
      expiresAt: Date.now() + this.ttlMs,
    });
    return true;
  }

  async release(claim: Claim): Promise<void> {
    if (this.owned(claim)) this.entries.delete(claim.scope);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private live(scope: string): Entry | null {
    const entry = this.entries.get(scope);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(scope);
      return null;
    }
    return entry;
  }

  private owned(claim: Claim): Entry | null {
    const entry = this.live(claim.scope);
    return entry?.record.state === 'pending' && entry.record.owner === claim.owner ? entry : null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [scope, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(scope);
  }
}
