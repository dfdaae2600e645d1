import type { Provider } from './model.js';

/** Codes of GraphQL errors (`extensions.code`) — API.md, Inputs and payloads. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PROVIDER_AUTH_FAILED'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_TIMEOUT'
  | 'PROVIDER_REJECTED'
  // Issue 8 (faults): a write was sent but its answer was lost, so whether it happened is unknown.
  | 'PROVIDER_OUTCOME_UNKNOWN'
  /**
   * A keyed mutation while the idempotency store (Redis) does not answer: nothing was done, since
   * once-only could not be promised; retry later with the same key.
   */
  | 'IDEMPOTENCY_UNAVAILABLE'
  | 'QUERY_TOO_COMPLEX'
  | 'RATE_LIMITED'
  /** A subscriber fell too far behind and was cut off; it can resume with `after`. */
  | 'SUBSCRIBER_TOO_SLOW'
  /** A "simple" cross-site-capable request (GET, form, text/plain) without a preflight-forcing header. */
  | 'CSRF_HEADER_REQUIRED'
  | 'INTERNAL';

/** Codes of `userErrors` — expected failures a user can act on. */
export const USER_ERROR_CODES = [
  'INVALID',
  'REQUIRED',
  'TOO_MANY_PRICING_PLANS',
  'AMOUNT_EXCEEDS_REMAINING',
  'PARTIAL_REFUND_UNSUPPORTED',
  'INVALID_STATE',
  'NOT_FOUND',
  'PROVIDER_REJECTED',
  'IDEMPOTENCY_KEY_REUSED',
  'SANDBOX_ONLY',
] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export interface UserError {
  /** Path to the offending input field, starting at the argument name (["input", "name"]). */
  field: string[] | null;
  code: UserErrorCode;
  message: string;
}

/** An error with a stable code whose message is safe to show a client (no secrets, no raw bodies). */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/**
 * `UNAVAILABLE`: nothing happened (the request never left, the circuit is open, the provider said
 * so, or it was a read). `OUTCOME_UNKNOWN`: a write reached the provider, or may have, and its answer
 * was lost (reset, timeout, truncated or unreadable body, a gateway 5xx): it may have happened.
 */
export type ProviderFailure =
  | 'AUTH_FAILED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'OUTCOME_UNKNOWN'
  | 'REJECTED'
  | 'NOT_FOUND';

const FAILURE_CODES: Record<ProviderFailure, ErrorCode> = {
  AUTH_FAILED: 'PROVIDER_AUTH_FAILED',
  UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  TIMEOUT: 'PROVIDER_TIMEOUT',
  OUTCOME_UNKNOWN: 'PROVIDER_OUTCOME_UNKNOWN',
  REJECTED: 'PROVIDER_REJECTED',
  NOT_FOUND: 'PROVIDER_REJECTED',
};

/**
 * Every failure of a provider call. `providerCode` is the provider's own error code (elepay's
 * `errorCode`, elopage's `error`), kept because it is documented and safe; the raw body is not.
 * `retryAfter` (seconds, in `extensions.retryAfter`): the provider asked for a pause (Retry-After)
 * or its circuit is open; calls before then fail at once.
 */
export class ProviderError extends CodedError {
  constructor(
    readonly provider: Provider,
    readonly failure: ProviderFailure,
    message: string,
    readonly status?: number,
    readonly providerCode?: string,
    readonly retryAfter?: number,
  ) {
    super(FAILURE_CODES[failure], message, {
      provider,
      ...(status ? { providerHttpStatus: status } : {}),
      ...(providerCode ? { providerCode } : {}),
      ...(retryAfter ? { retryAfter } : {}),
    });
    this.name = 'ProviderError';
  }
}
