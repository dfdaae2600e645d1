import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from '../context.js';
import { CodedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { type Authenticator, unauthenticatedError } from './viewer.js';

/**
 * Rejects an HTTP (or SSE) operation without a valid `Authorization: Bearer` token before it is
 * parsed, validated or executed: an unknown caller learns nothing about the schema, costs no
 * provider call, and gets one UNAUTHENTICATED error with status 401. Each operation of a batch
 * is checked (they share the request's header, so they all fail alike).
 * graphql-ws does not pass through here: websocket.ts authenticates once, when the socket connects.
 */
/** The viewer each HTTP request authenticated as, so the context factory does not hash the token again. */
const authenticatedRequests = new WeakMap<Request, Viewer>();

export function useAuthentication(auth: Authenticator, logger?: Logger): Plugin {
  return {
    async onParams({ request, setResult, context }) {
      if (auth.open) return;
      const address = (context as { req?: IncomingMessage }).req?.socket?.remoteAddress;
      const result = await auth.authenticateFrom(address, request.headers.get('authorization'));
      if ('viewer' in result) authenticatedRequests.set(request, result.viewer);
      else if ('retryInMs' in result) setResult({ errors: [tooManyFailuresError(result.retryInMs)] });
      else {
        // A wrong token is worth an operator's attention (a revoked client, a guess); a missing
        // one is usually a misconfigured caller. Neither line carries anything the caller sent.
        logger?.[result.failure === 'invalid' ? 'warn' : 'info'](
          { reason: result.failure },
          'GraphQL request refused: no valid API token',
        );
        setResult({ errors: [unauthenticatedError(result.failure)] });
      }
    },
  };
}

function tooManyFailuresError(waitMs: number): GraphQLError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new GraphQLError(`too many failed authentications from this address; retry in ${retryAfter} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: retryAfter,
      http: { status: 429, headers: { 'retry-after': String(retryAfter) } },
    },
  });
}

/** What the Yoga context factory receives: a Request over HTTP, the socket's viewer over graphql-ws. */
export interface AuthInitialContext {
  request?: Request;
  /** Set by websocket.ts from the viewer authenticated when the socket connected. */
  webSocketViewer?: Viewer;
}

/**
 * The viewer of one operation, for its context: the one useAuthentication found for the request, or
 * (open access, or a path that reached execution without the plugin) authenticated here, failing closed.
 */
export function viewerOf(auth: Authenticator, initial: AuthInitialContext): Viewer {
  if (initial.request) {
    const known = authenticatedRequests.get(initial.request);
    if (known) return known;
    const result = auth.authenticate(initial.request.headers.get('authorization'));
    if ('viewer' in result) return result.viewer;
  } else if (initial.webSocketViewer) {
    return initial.webSocketViewer;
  }
  throw new CodedError('UNAUTHENTICATED', 'Authentication required');
}
