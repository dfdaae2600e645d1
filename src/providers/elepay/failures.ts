/**
 * elepay error answers → ProviderError (providers/elepay.md §7). The catalogue puts every M/U error
 * at HTTP 400, so the class comes from `errorCode` first and the HTTP status second; legacy bodies
 * carry a snake_case `code` or `type`. The codes a workflow acts on become a domain refusal here.
 * Only the code and the parameter name leave this module, never elepay's message.
 */
import { ProviderError, type ProviderRefusal } from '../../domain/errors.js';
import { elepayErrorSchema } from './schemas.js';

/** Readable sentences for the errorCodes a user can act on (§7); others get a generic one. */
const KNOWN_REFUSALS: Record<string, string> = {
  M001002: 'elepay does not accept this payment method',
  M002001: 'elepay is missing a required parameter',
  M002002: 'elepay rejected a parameter value',
  M002004: 'elepay already has a charge with this order number',
  M002005: 'elepay does not support this operation',
  M002007: 'this order number was already paid at elepay',
  M002009: 'elepay does not support this currency',
  M006000: 'the charge or refund is not in a state that allows this',
  M006001: 'another operation on this charge is in progress at elepay',
  M006006: 'a disputed charge cannot be refunded',
  M006007: 'a completed payment cannot be cancelled; refund it instead',
  U008000: 'elepay rejected the amount as out of range',
  U008001: 'the amount is larger than elepay allows here',
  U008002: 'the amount is smaller than elepay allows',
};

/** The codes of refusals a workflow acts on (§7, §9: a reused orderNo is elepay's only duplicate guard). */
const REFUSALS: Record<string, ProviderRefusal> = {
  M006000: 'INVALID_STATE',
  M006002: 'INVALID_STATE',
  M006006: 'INVALID_STATE',
  M006007: 'INVALID_STATE',
  U008001: 'AMOUNT_TOO_LARGE',
  M002004: 'DUPLICATE_ORDER',
  M002007: 'DUPLICATE_ORDER',
  duplicate_order_no: 'DUPLICATE_ORDER',
};

export function describeElepayFailure(status: number, body: unknown): ProviderError {
  const { errorCode, code: legacyCode, type: legacyType, parameterName } = elepayErrorSchema.parse(body);
  const code = errorCode ?? legacyCode;

  if (
    status === 401 ||
    status === 403 ||
    errorCode === 'M004001' ||
    errorCode === 'M004002' ||
    legacyType === 'authentication_error' ||
    legacyCode?.startsWith('auth_')
  ) {
    return new ProviderError('ELEPAY', 'AUTH_FAILED', 'elepay refused the credentials', status, code);
  }
  if (
    status === 404 ||
    errorCode === 'M002003' ||
    legacyType === 'not_found_error' ||
    legacyCode?.startsWith('not_found')
  ) {
    return new ProviderError('ELEPAY', 'NOT_FOUND', 'elepay has no such object', status, code);
  }
  if (status >= 500 || errorCode?.startsWith('S') || errorCode === 'M005000' || status === 429) {
    return new ProviderError('ELEPAY', 'UNAVAILABLE', 'elepay is unavailable', status, code);
  }
  const sentence = known(KNOWN_REFUSALS, code) ?? 'elepay rejected the request';
  const refusal = known(REFUSALS, code) ?? (status === 409 ? 'INVALID_STATE' : undefined);
  return new ProviderError(
    'ELEPAY',
    'REJECTED',
    `${sentence}${parameterName ? ` (parameter ${parameterName})` : ''}${code ? ` [${code}]` : ''}`,
    status,
    code,
    undefined,
    refusal,
  );
}

function known<T>(table: Record<string, T>, code: string | undefined): T | undefined {
  return code !== undefined && Object.hasOwn(table, code) ? table[code] : undefined;
}
