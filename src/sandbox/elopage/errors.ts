/**
 * The simulator's error bodies (providers/elopage.md, Conventions: Errors). The document names
 * `UserNotFound` and `NoAccessRight` without a shape; the others are our own, in the same style.
 * Messages never contain request values, so credentials cannot leak through them.
 */

import type { ElopageErrorWire } from '../../providers/elopage/wire.js';
import { ProviderError } from '../errors.js';
import type { Sent } from '../sent.js';
import type { SandboxReply } from '../server.js';

export type FieldErrors = Record<string, string[]>;

export class ElopageApiError extends ProviderError {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly errors: FieldErrors | null = null,
  ) {
    super(message);
    this.name = 'ElopageApiError';
  }

  /** elopage's statuses are already specific, so helper routes answer the same. */
  toReply(): SandboxReply {
    const body: Sent<ElopageErrorWire> = {
      error: this.error,
      message: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
    };
    return { status: this.status, body };
  }
}

export function userNotFound(): ElopageApiError {
  return new ElopageApiError(401, 'UserNotFound', 'The key of the user was not found.');
}

export function noAccessRight(): ElopageApiError {
  return new ElopageApiError(403, 'NoAccessRight', 'Only authenticated sellers can access the data.');
}

export function notFound(message: string): ElopageApiError {
  return new ElopageApiError(404, 'NotFound', message);
}

export function invalidState(message: string): ElopageApiError {
  return new ElopageApiError(409, 'InvalidState', message);
}

/** 422 with messages per dotted field path (`pricing_plans.0.preferences.price`). */
export function validationFailed(errors: FieldErrors, status = 422): ElopageApiError {
  const summary = Object.entries(errors)
    .map(([path, messages]) => `${path} ${messages.join(', ')}`)
    .join('; ');
  return new ElopageApiError(status, 'ValidationError', `Validation failed: ${summary}`, errors);
}

export function fieldInvalid(path: string, message: string): ElopageApiError {
  return validationFailed({ [path]: [message] });
}
