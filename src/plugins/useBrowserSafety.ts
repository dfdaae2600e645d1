/**
 * What a browser may do with the gateway: which origins may call it (CORS), that no other site can
 * make a browser send it an operation unasked (CSRF), and whether the schema can be explored
 * (introspection). GraphiQL itself is switched in app.ts (Yoga's `graphiql` option).
 */

import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { type CORSOptions, createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../domain/errors.js';

export interface BrowserSafetyOptions {
  /** Origins allowed to call from browsers (config CORS_ORIGINS); empty = no cross-origin access. */
  corsOrigins: readonly string[];
  /** config INTROSPECTION; off = `__schema` and `__type` fail validation, over HTTP and WebSocket. */
  introspection: boolean;
}

/**
 * Headers a browser cannot attach cross-site without a preflight (which CORS then refuses).
 * `authorization` counts too, and it is what an API client sends anyway.
 */
const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'authorization', 'apollo-require-preflight'];

/** Content types an HTML form or a no-cors fetch can send cross-site without a preflight. */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * Yoga's useCSRFPrevention rule (a "simple" request must carry a preflight-forcing header), with a
 * stable `extensions.code` so a client can tell this 403 from any other.
 */
function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const type = request.headers.get('content-type')?.toLowerCase();
      const preflighted =
        type !== undefined && !SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple));
      if (preflighted || CSRF_HEADERS.some((name) => request.headers.has(name))) return;
      throw createGraphQLError('Required CSRF header(s) not present', {
        extensions: { code: 'CSRF_HEADER_REQUIRED' satisfies ErrorCode, http: { status: 403 } },
      });
    },
  };
}

/** Headers a browser client may send: the ones our API reads, nothing more. */
const ALLOWED_REQUEST_HEADERS = ['content-type', 'authorization', 'idempotency-key', 'x-request-id'];

/**
 * Yoga's `cors` option. An allow-list only: an origin on it gets its own origin echoed back with
 * credentials; any other origin (or none configured) gets no CORS header at all, so the browser
 * refuses to hand the response to the page. A preflight is still answered (204, bare) either way.
 */
export function corsOptionsFor(origins: readonly string[]): (request: Request) => CORSOptions {
  const allowed = new Set(origins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['POST', 'GET', 'OPTIONS'],
      allowedHeaders: ALLOWED_REQUEST_HEADERS,
      // The request ID is how a frontend reports a failure; let its script read it.
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    };
  };
}

/**
 * The CSRF guard, the introspection switch and a few response headers, in one plugin list.
 *
 * CSRF: a browser sends "simple" requests (GET, or POST as form or text/plain) cross-site without a
 * preflight, so CORS alone cannot stop them from executing. useCsrfPrevention refuses those
 * (403, `CSRF_HEADER_REQUIRED`) unless they carry a header no simple request can have. JSON POSTs (our clients, GraphiQL,
 * SSE subscriptions) need a preflight anyway and pass; a GET query must send one of these headers.
 * `authorization` counts: a browser cannot attach it cross-site without a preflight either.
 *
 * Introspection: Yoga's useDisableIntrospection decides per HTTP Request, and graphql-ws operations
 * have none, so over WebSocket it would let `__schema` through; adding the validation rule for every
 * operation of this instance covers both transports.
 */
export function useBrowserSafety(options: BrowserSafetyOptions): Plugin[] {
  const varyByOrigin = options.corsOrigins.length > 0;
  return [
    useCsrfPrevention(),
    {
      onValidate({ addValidationRule }) {
        if (!options.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
      },
      onResponse({ response }) {
        // The answer differs by Origin once an allow-list exists: caches must not mix them up.
        if (varyByOrigin && !/\borigin\b/i.test(response.headers.get('vary') ?? '')) {
          response.headers.append('vary', 'Origin');
        }
        // GraphiQL must not be framed by another site (clickjacking), nor JSON sniffed as HTML.
        response.headers.set('x-content-type-options', 'nosniff');
        response.headers.set('x-frame-options', 'DENY');
      },
    },
  ];
}
