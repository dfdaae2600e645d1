/**
 * Malformed requests are the client's problem and must stay cheap for us (test/security/fuzz.test.ts
 * sends them):
 *
 * - JSON in a GET's query string (`?variables=%7B`) reaches JSON.parse raw in Yoga, which its masking
 *   then reports as a bug (INTERNAL, error log). Yoga wraps a body that is not JSON itself; this
 *   wraps whichever request parser Yoga picked so both are 400 BAD_REQUEST.
 * - An answer sent before the request body was read to its end (413 for a body streamed past the
 *   limit, 415, 403) leaves the rest of that body unread on a keep-alive socket: Node then waits for
 *   it and never reads the client's next request, so the connection hangs until Node's request
 *   timeout. Such an answer closes the connection instead.
 */

import type { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../domain/errors.js';

function badRequest(): Error {
  return createGraphQLError('The request is not valid: a parameter is not valid JSON', {
    extensions: { code: 'BAD_REQUEST' satisfies ErrorCode, http: { status: 400 } },
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/** Yoga's server context under Node's http server (app.ts): the Node request it was built from. */
interface NodeServerContext {
  req?: IncomingMessage;
}

export function useBadRequests(): Plugin<object, NodeServerContext> {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      const translate = (error: unknown): never => {
        throw error instanceof SyntaxError ? badRequest() : error;
      };
      setRequestParser((request) => {
        try {
          const params = requestParser(request);
          // Yoga's parsers may answer with a promise-like that is not a Promise.
          return isPromiseLike(params) ? Promise.resolve(params).catch(translate) : params;
        } catch (error) {
          return translate(error);
        }
      });
    },
    onResponse({ serverContext, response }) {
      if (serverContext?.req && !serverContext.req.complete) response.headers.set('connection', 'close');
    },
  };
}
