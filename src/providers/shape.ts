import { ProviderError } from '../domain/errors.js';
import type { Provider } from '../domain/model.js';

/**
 * Wire-to-domain mapping trusts nothing: a provider answer of an unexpected shape (a field missing,
 * a number that is not a decimal) is the provider's failure, reported as PROVIDER_UNAVAILABLE for
 * that provider — never as a bug of ours (INTERNAL), and in a webhook never as a failure to record
 * (EVENT_LOG_UNAVAILABLE). Wraps a mapping function so whatever it throws becomes that error.
 */
export function shapeChecked<A extends unknown[], R>(
  provider: Provider,
  what: string,
  map: (...args: A) => R,
): (...args: A) => R {
  return (...args) => {
    try {
      return map(...args);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const name = provider === 'ELEPAY' ? 'elepay' : 'elopage';
      throw new ProviderError(
        provider,
        'UNAVAILABLE',
        `${name} answered with ${what} of an unexpected shape`,
      );
    }
  };
}

/** A field the mapping cannot do without: text (JSON numbers arrive as their exact text). */
export function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`missing ${field}`);
  return value;
}
