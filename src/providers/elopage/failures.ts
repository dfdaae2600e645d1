/**
 * elopage error answers → ProviderError. The document names `NoAccessRight` and `UserNotFound` but
 * no shape or status, so both the HTTP status and the `error` name count; `InvalidState` (and a 409)
 * is the domain refusal INVALID_STATE. Only the error name and the names of invalid fields leave this
 * module, never elopage's message text.
 */
import { ProviderError } from '../../domain/errors.js';
import { elopageErrorSchema } from './schemas.js';

export function describeElopageFailure(status: number, body: unknown): ProviderError {
  const { error: name, errors } = elopageErrorSchema.parse(body);
  if (status === 401 || status === 403 || name === 'NoAccessRight' || name === 'UserNotFound') {
    return new ProviderError('ELOPAGE', 'AUTH_FAILED', 'elopage refused the credentials', status, name);
  }
  if (status === 404 || name === 'NotFound') {
    return new ProviderError('ELOPAGE', 'NOT_FOUND', 'elopage has no such object', status, name);
  }
  if (status >= 500 || status === 429) {
    return new ProviderError('ELOPAGE', 'UNAVAILABLE', 'elopage is unavailable', status, name);
  }
  const fields = Object.keys(errors ?? {}).slice(0, 10);
  const detail = fields.length > 0 ? ` (fields: ${fields.join(', ')})` : '';
  const invalidState = name === 'InvalidState' || status === 409;
  const sentence =
    name === 'InvalidState'
      ? 'elopage refused this in the object’s current state'
      : 'elopage rejected the request';
  return new ProviderError(
    'ELOPAGE',
    'REJECTED',
    `${sentence}${detail}`,
    status,
    name,
    undefined,
    invalidState ? 'INVALID_STATE' : undefined,
  );
}
