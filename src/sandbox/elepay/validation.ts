import { isKnownCurrency } from '../../domain/money.js';
import {
  MAX_AMOUNT,
  METADATA_MAX_KEYS,
  METADATA_RESERVED_PREFIXES,
  METADATA_VALUE_MAX_BYTES,
} from './constants.js';
import { amountTooLarge, ElepayApiError, invalid, missing } from './errors.js';

/**
 * Field-level checks for request bodies. Bodies come from parseExactJson, so every JSON number is
 * already its exact text string: `500` and `"500"` (the Android demo's form, §11 #20) look alike.
 */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as an object; an empty body counts as `{}` so required fields report M002001. */
export function bodyObject(body: unknown): JsonObject {
  if (body === undefined) return {};
  if (!isJsonObject(body)) throw invalid(null, 'the request body must be a JSON object');
  return body;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** A positive integer amount as bigint: no decimals, exponents, signs or zero (§1 Amount). */
export function positiveAmount(value: unknown, name: string): bigint {
  if (isAbsent(value) || value === '') throw missing(name);
  if (typeof value !== 'string' || !/^[0-9]{1,30}$/.test(value)) {
    throw invalid(name, `${name} must be a positive integer`);
  }
  const amount = BigInt(value);
  if (amount <= 0n) throw invalid(name, `${name} must be a positive integer`);
  if (amount > MAX_AMOUNT) throw amountTooLarge(name, `${name} exceeds ${MAX_AMOUNT}`);
  return amount;
}

export function optionalAmount(value: unknown, name: string): bigint | null {
  return isAbsent(value) ? null : positiveAmount(value, name);
}

export function requiredString(value: unknown, name: string): string {
  if (isAbsent(value) || value === '') throw missing(name);
  if (typeof value !== 'string') throw invalid(name, `${name} must be a string`);
  return value;
}

export function optionalString(value: unknown, name: string, maxLength?: number): string | null {
  if (isAbsent(value)) return null;
  if (typeof value !== 'string') throw invalid(name, `${name} must be a string`);
  if (maxLength !== undefined && [...value].length > maxLength) {
    throw invalid(name, `${name} must be at most ${maxLength} characters`);
  }
  return value;
}

export function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (isAbsent(value)) return fallback;
  if (typeof value !== 'boolean') throw invalid(name, `${name} must be a boolean`);
  return value;
}

/** ISO-4217 code (§1 Currency); an unknown one is M002009 "currency not supported". */
export function optionalCurrency(value: unknown, name: string, fallback: string): string {
  if (isAbsent(value)) return fallback;
  if (typeof value !== 'string') throw invalid(name, `${name} must be a string`);
  if (!/^[A-Z]{3}$/.test(value) || !isKnownCurrency(value)) {
    throw new ElepayApiError('M002009', `The currency is not supported: ${value.slice(0, 8)}`, name);
  }
  return value;
}

/** map<string,string> such as `extra` (§4). */
export function optionalStringMap(value: unknown, name: string): Record<string, string> {
  if (isAbsent(value)) return {};
  if (!isJsonObject(value)) throw invalid(name, `${name} must be an object`);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalid(name, `${name}.${key} must be a string`);
    result[key] = entry;
  }
  return result;
}

/** metadata rules of §4 ChargeReq: ≤ 20 keys, string values ≤ 255 bytes, reserved prefixes. */
export function optionalMetadata(value: unknown, name: string): Record<string, string> {
  const metadata = optionalStringMap(value, name);
  const keys = Object.keys(metadata);
  if (keys.length > METADATA_MAX_KEYS)
    throw invalid(name, `${name} may have at most ${METADATA_MAX_KEYS} keys`);
  for (const key of keys) {
    if (METADATA_RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      throw invalid(name, `${name} key "${key.slice(0, 40)}" uses a reserved prefix`);
    }
    if (Buffer.byteLength(metadata[key]!, 'utf8') > METADATA_VALUE_MAX_BYTES) {
      throw invalid(name, `${name}.${key.slice(0, 40)} must be at most ${METADATA_VALUE_MAX_BYTES} bytes`);
    }
  }
  return metadata;
}

/** One of a constant list; `error` decides which code a bad value gets. */
export function oneOf<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
  error: (name: string, detail: string) => ElepayApiError = invalid,
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const shown = typeof value === 'string' ? value.slice(0, 40) : typeof value;
    throw error(name, `${name} "${shown}" is not one of the accepted values`);
  }
  return value as T;
}
