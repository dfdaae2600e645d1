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
 * - Joiners are released JOINERS_PER_TURN per turn of the event loop once the answer is in (see
 *   `InFlight`).
 */
import type { ProviderRequest } from './http.js';

/**
 * Without this, every request waiting on one read would finish in one unbroken run of microtasks,
 * and no new request would be read until the last had its response. Identical requests then move
 * in lockstep: the next shared read starts only after the whole batch was answered, so the batch's
 * CPU time adds to the provider's latency instead of overlapping it (bench:gateway, one payment at
 * 10 ms: 0.85× the reference's throughput). Released in turns, the first requests answered come
 * back and start the next read while the rest of the batch is still being answered. Two per turn
 * rather than one: fewer turns keep more of a burst on one read (at 0 ms upstream one per turn
 * gave 1.01× the reference, two 1.20×, while at 10 ms two gave 1.06×).
 */
const JOINERS_PER_TURN = 2;

type Settle = (answer: Promise<unknown>) => void;

/**
 * One read in flight: its answer, and the joiners still to be handed it once it is in (beyond the
 * first JOINERS_PER_TURN, who take `answer` directly).
 */
class InFlight {
  private joiners = 0;
  private readonly held: Settle[] = [];

  constructor(readonly answer: Promise<unknown>) {
    const release = () => {
      for (const settle of this.held.splice(0, JOINERS_PER_TURN)) settle(this.answer);
      if (this.held.length > 0) setImmediate(release);
    };
    const settled = () => {
      if (this.held.length > 0) setImmediate(release);
    };
    answer.then(settled, settled);
  }

  /** The shared answer for one more joiner: the first few at once, the rest a turn later per few. */
  join(): Promise<unknown> {
    this.joiners += 1;
    if (this.joiners <= JOINERS_PER_TURN) return this.answer;
    return new Promise((resolve) => this.held.push(resolve));
  }
}

export class SharedReads {
  private readonly inFlight = new Map<string, InFlight>();

  send(request: ProviderRequest, exchange: () => Promise<unknown>): Promise<unknown> {
    if (request.method !== 'GET') return this.write(exchange);
    const key = readKey(request);
    if (!request.fresh) {
      const pending = this.inFlight.get(key);
      if (pending) return pending.join();
    }
    const entry = new InFlight(exchange());
    this.inFlight.set(key, entry);
    const forget = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    entry.answer.then(forget, forget);
    return entry.answer;
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
