/**
 * The size limit of a GraphQL request body, checked without streaming every body through a counter.
 *
 * Yoga's own limit (its `maxRequestBodySize`) pipes each body through a TransformStream that counts
 * the bytes, and that pipe (its abort controller, its DOMException on close) was about a tenth of
 * the gateway's CPU per request in the bench:gateway profile. A body with a Content-Length needs no
 * counting: Node's HTTP parser hands over exactly that many bytes (and refuses a request that also
 * says `chunked`), so the header is checked the way Yoga checks it and the body goes on untouched.
 * Only a body without a length (chunked) is read here, up to the limit (src/readBody.ts).
 */

import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../domain/errors.js';
import { BodyTooLarge, readBody } from '../readBody.js';

/** Yoga's wording and codes, so a client sees the same refusal whichever way it sent the body. */
function tooLarge(): Error {
  return createGraphQLError('Request body too large', {
    extensions: { code: 'REQUEST_ENTITY_TOO_LARGE' satisfies ErrorCode, http: { status: 413 } },
  });
}

/** Only one non-negative integer is a length; anything else (`5, 5`, `-1`) smells of smuggling. */
const CONTENT_LENGTH = /^\d+$/;

export function useRequestBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (!CONTENT_LENGTH.test(length)) {
          throw createGraphQLError('Content-Length header is invalid.', {
            extensions: { code: 'BAD_REQUEST' satisfies ErrorCode, http: { status: 400 } },
          });
        }
        if (Number(length) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser(async (chunked) => {
        // Node's and whatwg-node's streams are async iterable; the DOM typings do not say so.
        const stream = chunked.body as unknown as AsyncIterable<Uint8Array> | null;
        if (!stream) return requestParser(chunked);
        // Read through `next` alone: ending the iteration early would destroy the request, and the
        // connection with it, before the 413 is out (useBadRequests closes it after the answer).
        const chunks = stream[Symbol.asyncIterator]();
        const body = await readBody(
          { [Symbol.asyncIterator]: () => ({ next: () => chunks.next() }) },
          { maxBytes },
        ).catch((error: unknown) => {
          throw error instanceof BodyTooLarge ? tooLarge() : error;
        });
        return requestParser(
          new fetchAPI.Request(chunked.url, {
            method: chunked.method,
            headers: chunked.headers,
            signal: chunked.signal,
            body: new Uint8Array(body),
          }),
        );
      });
    },
  };
}
