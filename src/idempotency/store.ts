/**
 * Where idempotency records live. One record per scope (`idem:<client>:<key>`): first a
 * `pending` claim held by the instance that executes the mutation, then the `done` payload that
 * every repeat within the TTL receives. Both backends keep the same contract, so several gateway
 * instances on one Redis behave like one instance on memory.
 */

export type IdempotencyRecord =
  | {
      state: 'pending';
      /** sha256 of the mutation and its input (fingerprint.ts): a repeat must match it. */
      fingerprint: string;
      /** Random per claim, so only the claimant can complete, renew or release it. */
      owner: string;
    }
  | {
      state: 'done';
      fingerprint: string;
      /** The serialized payload (payload.ts). */
      payload: string;
    };

/** A claim this instance holds: the right to execute the mutation once for the scope. */
export interface Claim {
  scope: string;
  fingerprint: string;
  owner: string;
}

export type ClaimOutcome = { claimed: true; claim: Claim } | { claimed: false; record: IdempotencyRecord };

export interface IdempotencyStore {
  /** How long a claim lives without renewal: a crashed instance's claim expires after it. */
  readonly leaseMs: number;
  /** How long a completed payload is kept (IDEMPOTENCY_TTL_HOURS): the window a key's retries belong to. */
  readonly ttlMs: number;
  /** Atomically claims an empty scope, or returns the record already there. */
  claim(scope: string, fingerprint: string): Promise<ClaimOutcome>;
  read(scope: string): Promise<IdempotencyRecord | null>;
  /** Extends a claim's lease while the mutation still runs; false when the claim is no longer ours. */
  renew(claim: Claim): Promise<boolean>;
  /** Replaces our claim by the final payload (kept for the TTL); false when the claim is no longer ours. */
  complete(claim: Claim, payload: string): Promise<boolean>;
  /** Drops our claim (the outcome is unknown), so the next request with the key executes again. */
  release(claim: Claim): Promise<void>;
  close(): Promise<void>;
}

export interface StoreTimings {
  /** How long a completed payload is replayed (IDEMPOTENCY_TTL_HOURS). */
  ttlMs: number;
  /** The lease of a pending claim; the owner renews it while it runs. Default 60 s. */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 60_000;

/** The text form both backends store (Redis compares the exact text of a pending claim). */
export function encodeRecord(record: IdempotencyRecord): string {
  return record.state === 'pending'
    ? JSON.stringify({ state: 'pending', fingerprint: record.fingerprint, owner: record.owner })
    : JSON.stringify({ state: 'done', fingerprint: record.fingerprint, payload: record.payload });
}

export function decodeRecord(text: string): IdempotencyRecord | null {
  try {
    const value = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (typeof value.fingerprint !== 'string') return null;
    if (value.state === 'pending' && typeof value.owner === 'string') {
      return { state: 'pending', fingerprint: value.fingerprint, owner: value.owner };
    }
    if (value.state === 'done' && typeof value.payload === 'string') {
      return { state: 'done', fingerprint: value.fingerprint, payload: value.payload };
    }
    return null;
  } catch {
    return null;
  }
}

export function pendingRecordOf(claim: Claim): IdempotencyRecord {
  return { state: 'pending', fingerprint: claim.fingerprint, owner: claim.owner };
}
