/**
 * The one registry of error codes: GraphQL errors' `extensions.code` (ERROR_CODES) and mutation
 * `userErrors` codes (USER_ERROR_CODES), each with what it means. Error masking (plugins/maskError.ts),
 * the GraphQL `UserErrorCode` enum and the error table of docs/api.md (scripts/apiDocs.ts) are all
 * read from here, so a code cannot exist in one place and not in the others.
 */
import type { Provider } from './model.js';

interface ErrorCodeInfo {
  /** The HTTP status a response carrying it gets (GraphQL errors are 200 unless said otherwise). */
  http: string;
  meaning: string;
}

/** Codes of GraphQL errors (`extensions.code`), in the order docs/api.md lists them. */
export const ERROR_CODES = {
  UNAUTHENTICATED: { http: '401', meaning: 'no or unknown API token (graphql-ws: close 4403)' },
  FORBIDDEN: { http: '200', meaning: 'the token lacks the scope; `extensions.requiredScopes` names it' },
  CSRF_HEADER_REQUIRED: {
    http: '403',
    meaning:
      'a GET, form or `text/plain` request without `Authorization`, `x-graphql-yoga-csrf` or `apollo-require-preflight`',
  },
  BAD_REQUEST: {
    http: '400',
    meaning: 'a request parameter is not valid JSON, or the `Content-Length` header is not one number',
  },
  REQUEST_ENTITY_TOO_LARGE: { http: '413', meaning: 'the request body is over 1 MiB' },
  BAD_USER_INPUT: {
    http: '200',
    meaning: 'a malformed connection argument (`after`, `first`, `last`) or subscription cursor',
  },
  QUERY_TOO_COMPLEX: {
    http: '200',
    meaning: 'depth, aliases, tokens, directives or provider calls over the limit',
  },
  RATE_LIMITED: {
    http: '429',
    meaning: 'too many operations per minute; `Retry-After` and `extensions.retryAfterSeconds`',
  },
  PROVIDER_UNAVAILABLE: {
    http: '200',
    meaning:
      "that provider's fields fail (`extensions.provider`); the rest of the query resolves. While the provider asked for a pause (`Retry-After`) or its circuit is open, it comes at once with `extensions.retryAfter` (seconds)",
  },
  PROVIDER_TIMEOUT: {
    http: '200',
    meaning: 'the provider did not answer within its deadline (`*_TIMEOUT_MS`); only its fields fail',
  },
  PROVIDER_AUTH_FAILED: {
    http: '200',
    meaning: 'the provider refused the configured credentials; only its fields fail',
  },
  PROVIDER_REJECTED: {
    http: '200',
    meaning:
      'the provider refused a read (a mutation reports a refusal as a `userError`); `extensions.providerCode` is its own code',
  },
  PROVIDER_OUTCOME_UNKNOWN: {
    http: '200',
    meaning:
      'a write reached the provider, or may have, and its answer was lost: it may have happened (see below)',
  },
  CURSOR_EXPIRED: {
    http: '—',
    meaning: 'events after the subscription cursor are no longer kept; `extensions.oldestCursor`',
  },
  SUBSCRIBER_TOO_SLOW: { http: '—', meaning: 'a subscriber fell too far behind; resubscribe with `after`' },
  IDEMPOTENCY_UNAVAILABLE: {
    http: '200',
    meaning:
      'a keyed mutation while the idempotency store does not answer: nothing was done; retry later with the same key',
  },
  EVENT_LOG_UNAVAILABLE: {
    http: '200',
    meaning:
      '`replayWebhookDelivery` while the event log cannot record: nothing was published; replay again later',
  },
  LEDGER_UNAVAILABLE: {
    http: '200',
    meaning:
      "a tenant's client while the ledger does not answer: which transactions are the tenant's cannot be checked, so none is shown; a mutation that created one says so, and a retry with the same idempotency key records it",
  },
  INTERNAL: { http: '200', meaning: 'unexpected; `extensions.requestId` finds the log line' },
} as const satisfies Record<string, ErrorCodeInfo>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes of `userErrors`: expected failures a user can act on, with the enum's descriptions. */
export const USER_ERROR_DESCRIPTIONS = {
  INVALID: 'A value is malformed or out of range.',
  REQUIRED: 'A required value is missing or empty.',
  TOO_MANY_PRICING_PLANS: 'A sales page can have at most 5 pricing plans.',
  AMOUNT_EXCEEDS_REMAINING: 'The amount is larger than what is left to capture or refund.',
  PARTIAL_REFUND_UNSUPPORTED: 'elopage refunds payments in full only.',
  INVALID_STATE: 'The object is not in a state that allows this operation.',
  NOT_FOUND: 'The referenced object does not exist.',
  PROVIDER_REJECTED: 'The provider refused the request.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was already used with different input.',
  SANDBOX_ONLY: 'This operation exists only on the embedded sandbox providers.',
} as const;
export type UserErrorCode = keyof typeof USER_ERROR_DESCRIPTIONS;
export const USER_ERROR_CODES = Object.keys(USER_ERROR_DESCRIPTIONS) as UserErrorCode[];

export interface UserError {
  /** Path to the offending input field, starting at the argument name (["input", "name"]). */
  field: string[] | null;
  code: UserErrorCode;
  message: string;
}

/**
 * Expected failures of a mutation (API.md, Mutations): thrown by validation and by the service
 * layer's pre-checks, turned into the payload's `userErrors` by graphql/mutations.ts.
 */
export class UserErrors extends Error {
  constructor(readonly errors: UserError[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'UserErrors';
  }
}

/** Stops the mutation with one user error. */
export function fail(field: string[] | null, code: UserErrorCode, message: string): never {
  throw new UserErrors([{ field, code, message }]);
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

/**
 * Why a provider refused (a REJECTED failure), in domain terms: each provider client maps its own
 * error codes to these, so nothing above providers/ reads a provider's code.
 * - `INVALID_STATE`: the object's state does not allow it (already captured, refunded, disputed…).
 * - `AMOUNT_TOO_LARGE`: the amount is above what the provider allows here.
 * - `DUPLICATE_ORDER`: the merchant's order number is taken (elepay's only duplicate guard).
 */
export type ProviderRefusal = 'INVALID_STATE' | 'AMOUNT_TOO_LARGE' | 'DUPLICATE_ORDER';

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
 * `errorCode`, elopage's `error`), kept for clients and logs because it is documented and safe; the
 * raw body is not. Code above providers/ reads `failure` and `refusal`, never `providerCode`.
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
    readonly refusal?: ProviderRefusal,
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

/** Whether an error is a provider's refusal of this kind. */
export function isRefusal(error: unknown, refusal: ProviderRefusal): error is ProviderError {
  return error instanceof ProviderError && error.failure === 'REJECTED' && error.refusal === refusal;
}
