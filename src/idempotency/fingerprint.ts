import { createHash } from 'node:crypto';

/**
 * JSON with sorted object keys, so the same input always gives the same text whatever order the
 * client wrote its fields in. Object fields that are null or absent are dropped: GraphQL treats an
 * explicit null and a left-out optional field alike in every input here, so they must not count as
 * a different request. Array positions are kept (order matters there).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value, 0)) ?? 'null';
}

/**
 * Deeper than any valid input of ours (the deepest, a sales page's plans, is 4 levels; metadata is
 * flat): a JSONObject nested thousands deep would otherwise overflow the stack while fingerprinting.
 */
const MAX_INPUT_DEPTH = 32;

export class InputTooDeepError extends Error {
  constructor() {
    super(`the input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
    this.name = 'InputTooDeepError';
  }
}

function canonical(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return value;
  if (depth >= MAX_INPUT_DEPTH) throw new InputTooDeepError();
  if (Array.isArray(value)) return value.map((item) => canonical(item, depth + 1));
  const record = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    if (record[key] !== null && record[key] !== undefined) sorted[key] = canonical(record[key], depth + 1);
  }
  return sorted;
}

/**
 * What a repeat must match: the mutation and its input without the key itself (the key names the
 * request; the rest says what it does).
 */
export function fingerprintOf(mutation: string, input: object): string {
  const { idempotencyKey: _key, ...rest } = input as Record<string, unknown>;
  return createHash('sha256')
    .update(canonicalJson({ mutation, input: rest }))
    .digest('hex');
}

/**
 * Where a key's record lives: per API client (null = open access), not per mutation. The mutation is
 * part of the fingerprint instead, so a key reused on another mutation is a reuse (as at Stripe),
 * never a second money movement.
 */
export function scopeOf(client: string | null, key: string): string {
  return `idem:${client ?? 'open'}:${key}`;
}

/**
 * A stable identifier derived from a scope, for provider-side duplicate guards (createCharge's
 * orderNo, refund tags). As the scope names no mutation, refundCharge and refundTransaction with one
 * key carry the same refund tag: a retry through the other mutation finds the first refund. Hex of sha256, so it is safe in any provider field and reveals nothing of
 * the key; 40 hex characters (160 bits) leave room for a prefix within elepay's 50-character orderNo.
 */
export function derivedIdOf(scope: string): string {
  return createHash('sha256').update(scope).digest('hex').slice(0, 40);
}
