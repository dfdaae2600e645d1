/**
 * Provider answers are checked, not trusted: an answer of an unexpected shape (a field missing or of
 * the wrong type, a number that is not a decimal) is the provider's failure, reported as
 * PROVIDER_UNAVAILABLE for that provider — never as a bug of ours (INTERNAL), and in a webhook never
 * as a failure to record (EVENT_LOG_UNAVAILABLE).
 */
import type { z } from 'zod';
import { ProviderError } from '../domain/errors.js';
import type { Provider } from '../domain/model.js';

/** Wraps a mapping function so whatever it throws becomes that provider's failure. */
function shapeChecked<A extends unknown[], R>(
  provider: Provider,
  what: string,
  map: (...args: A) => R,
): (...args: A) => R {
  return (...args) => {
    try {
      return map(...args);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw unexpectedShape(provider, what);
    }
  };
}

export function unexpectedShape(provider: Provider, what: string): ProviderError {
  const name = provider === 'ELEPAY' ? 'elepay' : 'elopage';
  return new ProviderError(provider, 'UNAVAILABLE', `${name} answered with ${what} of an unexpected shape`);
}

/**
 * A reader of one kind of answer: the body is parsed with `schema` (whose output is the wire type),
 * then mapped to the domain with whatever context `map` needs besides it.
 */
export function checkedAnswer<W, A extends unknown[], R>(
  provider: Provider,
  what: string,
  schema: z.ZodType<W>,
  map: (wire: W, ...args: A) => R,
): (body: unknown, ...args: A) => R {
  return shapeChecked(provider, what, (body: unknown, ...args: A) => map(schema.parse(body), ...args));
}
