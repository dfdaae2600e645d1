/**
 * One request ID per HTTP request, on every route: the client's own (for tracing across services)
 * when it looks like an ID, a fresh UUID otherwise. It is the `x-request-id` of the response, the
 * `requestId` of every log line the request causes, and the `extensions.requestId` of a masked
 * INTERNAL error, so an operator can go from what a user reports to the log in one search.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';

const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The client's ID if it is a plain token of sane length (anything else could forge log lines). */
export function acceptRequestId(given: string | null | undefined): string {
  return given && ACCEPTABLE_ID.test(given) ? given : flat(randomUUID());
}

/**
 * Node builds a UUID by concatenation: V8 keeps it as a chain of 20 pieces (640 bytes) until it is
 * flattened. A subscription keeps its request ID as long as it lives; this copy is one 36-byte string.
 */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

/**
 * Settles the ID before routing. It is written back into the request's headers so that Yoga, which
 * builds its Request from them, reads the same ID for the context as the webhooks and the response
 * header carry, without a second source of truth.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = acceptRequestId(typeof given === 'string' ? given : undefined);
  req.headers['x-request-id'] = id;
  res.setHeader('x-request-id', id);
  return id;
}

/**
 * Yoga builds its own Response; this copies the settled ID onto it too, so the header survives even
 * if a response writer replaced the headers set on the Node response (and so yoga.fetch, which has
 * no Node response, answers with it as well).
 */
export function useRequestId(): Plugin {
  return {
    onResponse({ request, response }) {
      const id = request.headers.get('x-request-id');
      if (id && ACCEPTABLE_ID.test(id)) response.headers.set('x-request-id', id);
    },
  };
}
