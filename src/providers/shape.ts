/**
 * Provider answers are checked, not trusted: an answer of an unexpected shape (a field missing or of
 * the wrong type, a number that is not a decimal) is the provider's failure, reported as
 * PROVIDER_UNAVAILABLE for that provider — never as a bug of ours (INTERNAL), and in a webhook never
 * as a failure to record (EVENT_LOG_UNAVAILABLE).
 */
import { Ajv } from 'ajv';
import { z } from 'zod';
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

const compiler = new Ajv();

/**
 * `schema` as one compiled function. zod stays where a shape is written, with its wire type; ajv
 * compiles zod's JSON Schema of it (the input side: fields a schema does not name are allowed, as
 * zod allows them) into straight-line checks. Every read checks an answer, and between requests
 * that code is cold: zod's parse calls through several generic functions per field, and took about
 * 0.1 ms of a lone one-payment read, dozens of times its warm cost. A schema that JSON Schema cannot
 * express (a transform) fails here, when the module loads.
 */
function compiledCheck<W>(schema: z.ZodType<W>): (body: unknown) => W {
  const valid = compiler.compile(z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }));
  return (body) => {
    if (!valid(body)) throw new Error('unexpected shape');
    return body as W;
  };
}

/**
 * A reader of one kind of answer: the body is checked against `schema` (whose output is the wire
 * type), then mapped to the domain with whatever context `map` needs besides it. Unlike zod's
 * parse, the check hands on the body itself, fields it does not name included: maps read only
 * the fields they know, and never change an answer (a shared read hands it to every caller).
 */
export function checkedAnswer<W, A extends unknown[], R>(
  provider: Provider,
  what: string,
  schema: z.ZodType<W>,
  map: (wire: W, ...args: A) => R,
): (body: unknown, ...args: A) => R {
  const check = compiledCheck(schema);
  return shapeChecked(provider, what, (body: unknown, ...args: A) => map(check(body), ...args));
}
