import type { z } from 'zod';
import { ProviderError, type UserError, type UserErrorCode } from '../domain/errors.js';

/**
 * How every mutation reports expected failures (API.md, Mutations): validation problems and
 * provider refusals become `userErrors`; outages, auth failures and bugs stay GraphQL errors.
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

export type Payload<T> = Partial<T> & { userErrors: UserError[] };

export async function runMutation<T extends object>(run: () => Promise<T>): Promise<Payload<T>> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrors) return { userErrors: error.errors } as Payload<T>;
    const refusal = error instanceof ProviderError ? refusalOf(error) : null;
    if (refusal) return { userErrors: [refusal] } as Payload<T>;
    throw error;
  }
}

const STATE_CODES = new Set(['M006000', 'M006002', 'M006006', 'M006007', 'InvalidState']);

/** A provider's refusal as a user error; null for failures that are not the caller's to fix. */
function refusalOf(error: ProviderError): UserError | null {
  if (error.failure === 'NOT_FOUND') return { field: null, code: 'NOT_FOUND', message: error.message };
  if (error.failure !== 'REJECTED') return null;
  if (error.status === 409 || (error.providerCode && STATE_CODES.has(error.providerCode))) {
    return { field: null, code: 'INVALID_STATE', message: error.message };
  }
  if (error.providerCode === 'U008001')
    return { field: null, code: 'AMOUNT_EXCEEDS_REMAINING', message: error.message };
  return { field: null, code: 'PROVIDER_REJECTED', message: error.message };
}

/**
 * Validates a mutation's input with a zod schema before any provider call. Each issue becomes a
 * user error whose path starts at the argument name; a refinement may name its code through
 * `params: { code }` (default INVALID).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, argument = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new UserErrors(
    result.error.issues.map((issue) => {
      const named =
        issue.code === 'custom' ? (issue.params as { code?: UserErrorCode } | undefined)?.code : undefined;
      return {
        field: [argument, ...issue.path.map(String)],
        code: named ?? 'INVALID',
        message: issue.message,
      };
    }),
  );
}
