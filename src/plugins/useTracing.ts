/**
 * GraphQL operations as traces, over HTTP (and SSE) and graphql-ws alike:
 *
 *   POST /graphql                      HTTP only: the request (W3C `traceparent` honoured)
 *   └ query ChargeAndPayment           one per operation (a batch has several)
 *     ├ graphql.parse · graphql.validate
 *     └ graphql.execute / graphql.subscribe
 *       └ elepay GET /charges/:id      provider calls made while resolving (src/tracing/spans.ts)
 *
 * Built on the envelop/Yoga `instrumentation` hooks, which wrap each phase so the phase runs inside
 * its span (provider calls find their parent through AsyncLocalStorage). Attributes are the
 * operation's type and name, the request ID, the API client's name and error codes: never the
 * query text, variables or results, which carry payment data.
 *
 * Not @envelop/opentelemetry: it records variables and results unless told not to, needs SDK 1.x
 * beside our 2.x, and has no span around an HTTP request or a graphql-ws operation.
 *
 * Loaded only with tracing on (src/tracing/sdk.ts imports it).
 */

import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  getOperationAST,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { inSpan } from '../tracing/inSpan.js';

/** Per operation, by its envelop context object: the same object through every phase, on both transports. */
interface OperationTrace {
  span: Span;
  /** graphql-ws: no Request around it, so this plugin started the span and must end it. */
  owned: boolean;
  named: boolean;
  ended: boolean;
}

const operations = new WeakMap<object, OperationTrace>();

/** The operation span a context belongs to (a subscription's delivery links to it). */
export function operationSpanOf(graphqlContext: object): Span | undefined {
  return operations.get(graphqlContext)?.span;
}

const headersGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

function codesOf(errors: readonly GraphQLError[]): string[] {
  return [...new Set(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
}

function markFailed(span: Span | undefined, codes: string[]): void {
  if (!span || codes.length === 0) return;
  span.setAttribute('paygraph.graphql.error_codes', codes);
  span.setStatus({ code: SpanStatusCode.ERROR, message: codes[0] });
}

/**
 * Two plugins: `phases` (first in the list, so its spans wrap every other plugin's work) and
 * `outcomes` (after error masking, so spans carry the error codes clients see).
 */
export function useTracing(tracer: Tracer, endpoint: string): { phases: Plugin; outcomes: Plugin } {
  const requests = new WeakMap<Request, Span>();

  const operationOf = (graphqlContext: object) => operations.get(graphqlContext);

  const name = (graphqlContext: object, document: DocumentNode, operationName: string | null | undefined) => {
    const operation = operationOf(graphqlContext);
    if (!operation || operation.named) return;
    const ast = getOperationAST(document, operationName);
    if (!ast) return;
    operation.named = true;
    const type = ast.operation;
    const given = ast.name?.value;
    operation.span.updateName(given ? `${type} ${given}` : type);
    operation.span.setAttributes({ 'graphql.operation.type': type, 'graphql.operation.name': given });
  };

  /** Error codes on the failing phase's span (the active one) and on its operation's. */
  const fail = (graphqlContext: object, codes: string[]) => {
    markFailed(trace.getActiveSpan(), codes);
    markFailed(operationOf(graphqlContext)?.span, codes);
  };

  /** Execution and subscription: the operation is named from its document, its errors recorded. */
  const observeResult = (args: ExecutionArgs) => {
    const graphqlContext = args.contextValue as object;
    name(graphqlContext, args.document, args.operationName);
    return ({ result }: { result: ExecutionResult | AsyncIterable<unknown> }) => {
      if (!isAsyncIterable(result) && result.errors) fail(graphqlContext, codesOf(result.errors));
    };
  };

  /** A graphql-ws operation ends with its execution, or where it stops short of one. */
  const endOwned = (graphqlContext: object) => {
    const operation = operationOf(graphqlContext);
    if (operation?.owned && !operation.ended) {
      operation.ended = true;
      operation.span.end();
    }
  };

  /** A phase in a child span of its operation; the phase's own hooks run inside it. */
  const phase =
    (spanName: string, last: boolean) =>
    <R>({ context: graphqlContext }: { context: object }, wrapped: () => R): R => {
      const operation = operationOf(graphqlContext);
      const parent = operation ? trace.setSpan(context.active(), operation.span) : context.active();
      const span = tracer.startSpan(spanName, {}, parent);
      return inSpan(span, parent, wrapped, () => {
        if (last) endOwned(graphqlContext);
      });
    };

  const phases: Plugin = {
    instrumentation: {
      request({ request }, wrapped) {
        const parent = propagation.extract(ROOT_CONTEXT, request.headers, headersGetter);
        const span = tracer.startSpan(
          `${request.method} ${endpoint}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': request.method,
              'http.route': endpoint,
              'url.path': endpoint,
              'paygraph.request_id': request.headers.get('x-request-id') ?? undefined,
            },
          },
          parent,
        );
        requests.set(request, span);
        return inSpan(span, parent, wrapped);
      },
      operation({ context: graphqlContext }, wrapped) {
        const span = tracer.startSpan('graphql.operation', { attributes: { 'paygraph.transport': 'http' } });
        operations.set(graphqlContext, { span, owned: false, named: false, ended: false });
        return inSpan(span, context.active(), wrapped);
      },
      init({ context: graphqlContext }, wrapped) {
        // Over HTTP `operation` came first; graphql-ws calls getEnveloped per operation, with no request.
        if (!operations.has(graphqlContext)) {
          const span = tracer.startSpan(
            'graphql.operation',
            { kind: SpanKind.SERVER, attributes: { 'paygraph.transport': 'graphql-ws' } },
            ROOT_CONTEXT,
          );
          operations.set(graphqlContext, { span, owned: true, named: false, ended: false });
        }
        wrapped();
      },
      parse: phase('graphql.parse', false),
      validate: phase('graphql.validate', false),
      execute: phase('graphql.execute', true),
      subscribe: phase('graphql.subscribe', true),
    },
    onResponse({ request, response }) {
      const span = requests.get(request);
      span?.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    },
  };

  const outcomes: Plugin = {
    onParse({ context: graphqlContext }) {
      return ({ result }) => {
        if (result instanceof Error) {
          fail(graphqlContext, [String((result as GraphQLError).extensions?.code ?? 'GRAPHQL_PARSE_FAILED')]);
          endOwned(graphqlContext);
        } else if (result) {
          // Yoga (HTTP) and websocket.ts (graphql-ws) both put the request's GraphQL params here.
          const { params } = graphqlContext as { params?: { operationName?: string | null } };
          name(graphqlContext, result, params?.operationName);
        }
      };
    },
    onValidate({ context: graphqlContext }) {
      return ({ valid, result }) => {
        if (valid) return;
        const codes = result.map((error) => String(error.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED'));
        fail(graphqlContext, [...new Set(codes)]);
        endOwned(graphqlContext);
      };
    },
    onContextBuilding({ context: graphqlContext }) {
      return ({ context: built }) => {
        const facts = built as { requestId?: unknown; viewer?: { client?: unknown } };
        operationOf(graphqlContext)?.span.setAttributes({
          'paygraph.request_id': typeof facts.requestId === 'string' ? facts.requestId : undefined,
          'paygraph.client': typeof facts.viewer?.client === 'string' ? facts.viewer.client : undefined,
        });
      };
    },
    onExecute: (payload) => ({ onExecuteDone: observeResult(payload.args) }),
    onSubscribe: (payload) => ({ onSubscribeResult: observeResult(payload.args) }),
  };
  return { phases, outcomes };
}
