/**
 * Identical provider reads in flight at the same time go to the provider once: every later caller
 * joins the first one's promise and gets the same answer, or the same ProviderError. This is what
 * lets 32 clients asking for the same page at once cost one page's worth of provider calls.
 *
 * - Only GETs are shared, keyed by everything that goes on the wire: path, query and headers (so
 *   the credentials, the identity the provider answers for). One instance serves one provider.
 * - Nothing is cached: a read that has settled is forgotten, the next one goes to the provider.
 * - Writes are never shared, and a write makes every read in flight unjoinable: a read that starts
 *   after a write (say, re-reading a charge after capturing it) must not get an answer the provider
 *   composed before it.
 * - `fresh` reads (a webhook saying the object just changed) never join; later reads join them.
 * - A joiner inherits the first caller's deadline and retries, which end no later than its own would.
 * - Answers are shared objects: callers map them to new domain objects and never mutate them.
 */
import type { ProviderRequest } from './http.js';

export class SharedReads {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  send(request: ProviderRequest, exchange: () => Promise<unknown>): Promise<unknown> {
    if (request.method !== 'GET') return this.write(exchange);
    const key = readKey(request);
    if (!request.fresh) {
      const pending = this.inFlight.get(key);
      if (pending) return pending;
    }
    const pending = exchange();
    this.inFlight.set(key, pending);
    const forget = () => {
      if (this.inFlight.get(key) === pending) this.inFlight.delete(key);
    };
    pending.then(forget, forget);
    return pending;
  }

  private async write(exchange: () => Promise<unknown>): Promise<unknown> {
    this.inFlight.clear();
    try {
      return await exchange();
    } finally {
      this.inFlight.clear();
    }
  }
}

function readKey(request: ProviderRequest): string {
  return JSON.stringify([request.path, request.query ?? null, request.headers ?? null]);
}

/**
 * Maps a provider answer to its domain object once, however many requests share the answer: a
 * shared read hands every joiner the same body, and domain objects are never mutated either. Keyed
 * by the body alone: it answered a read of one object, which any other argument (its ID) names too.
 */
export function mappedOnce<A extends unknown[], D>(
  map: (answer: unknown, ...args: A) => D,
): (answer: unknown, ...args: A) => D {
  const mapped = new WeakMap<object, D>();
  return (answer, ...args) => {
    if (typeof answer !== 'object' || answer === null) return map(answer, ...args);
    if (mapped.has(answer)) return mapped.get(answer) as D;
    const value = map(answer, ...args);
    mapped.set(answer, value);
    return value;
  };
}
