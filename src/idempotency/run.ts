import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { Claim, IdempotencyRecord, IdempotencyStore } from './store.js';

/** How long a repeat waits for the first request with its key before giving up (it may retry). */
const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

export interface IdempotentCall<P> {
  store: IdempotencyStore;
  scope: string;
  fingerprint: string;
  /**
   * Executes the mutation. A thrown error means the outcome is unknown (provider down, timeout, an
   * answer lost after the write), so it is never stored: the claim is released and a retry executes.
   */
  execute(): Promise<P>;
  /**
   * Whether a returned payload is a definite answer to store and replay (default: every payload).
   * One that only describes the provider's current state, with nothing done, is released like an
   * error, so it never becomes the key's answer for the whole TTL.
   */
  isFinal?(payload: P): boolean;
  serialize(payload: P): string;
  parse(text: string): P;
  logger: Logger;
  waitTimeoutMs?: number;
}

export type IdempotentOutcome<P> =
  | { kind: 'executed'; payload: P }
  | { kind: 'replayed'; payload: P }
  /** The key was first used with another input: nothing executed. */
  | { kind: 'reused' };

/** A repeat waited as long as it may for the first request, which is still running. */
export class IdempotencyInProgressError extends CodedError {
  constructor() {
    // PROVIDER_TIMEOUT: the first request is almost always waiting on a slow provider, and the
    // client's remedy is the same (retry the same request later; it replays or executes then).
    super(
      'PROVIDER_TIMEOUT',
      'another request with this idempotency key is still in progress; retry it later',
      { idempotency: 'IN_PROGRESS' },
    );
    this.name = 'IdempotencyInProgressError';
  }
}

/** The store cannot be reached: nothing was executed, since once-only could not be promised. */
export class IdempotencyStoreUnavailableError extends CodedError {
  constructor() {
    super(
      'IDEMPOTENCY_UNAVAILABLE',
      'idempotency keys cannot be checked right now; nothing was done, retry later with the same key',
      {
        idempotency: 'STORE_UNAVAILABLE',
      },
    );
    this.name = 'IdempotencyStoreUnavailableError';
  }
}

/** A store read or claim; its failure fails the request before anything executes. */
async function consult<R>(call: IdempotentCall<unknown>, operation: () => Promise<R>): Promise<R> {
  try {
    return await operation();
  } catch (error) {
    call.logger.warn({ err: { message: (error as Error).message } }, 'idempotency store unavailable');
    throw new IdempotencyStoreUnavailableError();
  }
}

/**
 * Runs `execute` at most once per scope and fingerprint among all callers sharing the store:
 * the first claims and executes; concurrent repeats poll the record until it is done and receive the
 * same payload; later repeats (within the TTL) receive it at once; another input gets `reused`.
 * When the first execution ends without a final payload, its claim is released and one waiting
 * repeat claims and executes in its place, so waiters never hang on a failed request.
 */
export async function runIdempotently<P>(call: IdempotentCall<P>): Promise<IdempotentOutcome<P>> {
  const deadline = Date.now() + (call.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS);
  for (;;) {
    const claimed = await consult(call, () => call.store.claim(call.scope, call.fingerprint));
    if (claimed.claimed) return { kind: 'executed', payload: await executeClaimed(call, claimed.claim) };
    const record = await waitWhilePending(call, claimed.record, deadline);
    // Released (the first execution failed) or its lease lapsed (its instance died): claim again.
    if (record === null) continue;
    if (record.fingerprint !== call.fingerprint) return { kind: 'reused' };
    if (record.state === 'done') return { kind: 'replayed', payload: call.parse(record.payload) };
  }
}

async function waitWhilePending<P>(
  call: IdempotentCall<P>,
  first: IdempotencyRecord,
  deadline: number,
): Promise<IdempotencyRecord | null> {
  let record: IdempotencyRecord | null = first;
  let pause = FIRST_POLL_MS;
  // A pending claim for another input is a reuse already: no need to wait for it.
  while (record?.state === 'pending' && record.fingerprint === call.fingerprint) {
    if (Date.now() >= deadline) throw new IdempotencyInProgressError();
    await sleep(pause);
    pause = Math.min(pause * 2, MAX_POLL_MS);
    record = await consult(call, () => call.store.read(call.scope));
  }
  if (record === null && Date.now() >= deadline) throw new IdempotencyInProgressError();
  return record;
}

async function executeClaimed<P>(call: IdempotentCall<P>, claim: Claim): Promise<P> {
  // Renew the lease while we run, so a slow provider never lets a repeat execute a second time;
  // only a crashed instance stops renewing, and its claim then expires after one lease.
  const heartbeat = setInterval(
    () => {
      call.store.renew(claim).then(
        (held) => {
          if (!held) call.logger.warn({ scope: claim.scope }, 'idempotency claim lost while executing');
        },
        (error: Error) =>
          call.logger.warn({ err: { message: error.message } }, 'idempotency claim renewal failed'),
      );
    },
    // A third of the lease: two renewals may fail (a Redis blip) before the claim lapses.
    Math.max(50, Math.floor(call.store.leaseMs / 3)),
  );
  heartbeat.unref();
  try {
    let payload: P;
    try {
      payload = await call.execute();
    } catch (error) {
      await releaseQuietly(call, claim);
      throw error;
    }
    if (call.isFinal && !call.isFinal(payload)) {
      await releaseQuietly(call, claim);
      return payload;
    }
    // The effect has happened: the caller gets its payload even if storing it fails (the claim then
    // lapses after its lease, and a later repeat executes again — logged, as it weakens the promise).
    const stored = await call.store.complete(claim, call.serialize(payload)).catch((error: Error) => {
      call.logger.warn({ err: { message: error.message } }, 'idempotency payload could not be stored');
      return true;
    });
    if (!stored) call.logger.warn({ scope: claim.scope }, 'idempotency claim lost before completion');
    return payload;
  } finally {
    clearInterval(heartbeat);
  }
}

async function releaseQuietly<P>(call: IdempotentCall<P>, claim: Claim): Promise<void> {
  await call.store.release(claim).catch((releaseError: Error) =>
    // The lease expires on its own; until then repeats wait (bounded) instead of executing.
    call.logger.warn({ err: { message: releaseError.message } }, 'idempotency claim release failed'),
  );
}
