/**
 * The spans outside GraphQL's own phases (those are src/plugins/useTracing.ts):
 *
 *   elepay GET /charges/:id            a provider call: route template, HTTP status, failed
 *                                      attempts as events, the circuit's state when it began
 *   POST /webhooks/elepay              one trace per webhook delivery (W3C `traceparent` honoured)
 *   ├ webhook.verify                   signature or path token
 *   ├ webhook.fetch                    the provider calls reading the object back
 *   └ webhook.record                   one per transaction: verdict, event cursor
 *     └ event.publish                  the event handed to this instance's subscribers
 *       └ event.deliver                one per subscriber group: the subscription's selection
 *                                      executed for the event, linked to the subscription's trace
 *
 * Names are templates, never an ID, a URL or a query string; IDs appear only as attributes.
 */

import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { CircuitState } from 'cockatiel';
import type { Provider } from '../domain/model.js';
import { operationSpanOf, useTracing } from '../plugins/useTracing.js';
import type { Tracing } from './index.js';
import { inSpan } from './inSpan.js';

const PROVIDER_NAMES: Record<Provider, string> = { ELEPAY: 'elepay', ELOPAGE: 'elopage' };

/** Isolated is how a provider's `Retry-After` holds the circuit (providers/http.ts). */
const CIRCUIT_STATES: Record<CircuitState, string> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'held (Retry-After)',
};

/**
 * With a Redis event log, an event is handed to subscribers by the stream follower, outside the
 * webhook's context: the instance that recorded it finds its record span here by cursor.
 */
const REMEMBERED_RECORDS = 1_000;

export function createTracing(tracer: Tracer, shutdown: () => Promise<void>): Tracing {
  const recorded = new Map<string, SpanContext>();
  const published = new WeakMap<object, SpanContext>();
  const start = (name: string, parent: Context, attributes: Attributes, links: Link[] = []) =>
    tracer.startSpan(name, { attributes, links }, parent);

  return {
    graphql: useTracing(tracer, '/graphql'),

    providerCall(provider, route, breaker) {
      const space = route.indexOf(' ');
      const span = tracer.startSpan(`${PROVIDER_NAMES[provider]} ${route}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          'paygraph.provider': PROVIDER_NAMES[provider],
          'http.request.method': route.slice(0, space),
          'url.template': route.slice(space + 1),
          'paygraph.provider.circuit': CIRCUIT_STATES[breaker.state],
        },
      });
      let failedAttempts = 0;
      return {
        answered: (status) => span.setAttribute('http.response.status_code', status),
        attemptFailed(attempt, failure, status) {
          failedAttempts = attempt;
          span.addEvent('attempt failed', {
            'paygraph.provider.attempt': attempt,
            'error.type': failure,
            ...(status ? { 'http.response.status_code': status } : {}),
          });
        },
        end(outcome) {
          const attempts = outcome === 'ok' ? failedAttempts + 1 : failedAttempts;
          span.setAttributes({
            'paygraph.provider.outcome': outcome,
            'http.request.resend_count': attempts > 1 ? attempts - 1 : undefined,
          });
          // "Not found" is an ordinary answer to a lookup (as in the logs), not a failed call.
          if (outcome !== 'ok') span.setAttribute('error.type', outcome);
          if (outcome !== 'ok' && outcome !== 'NOT_FOUND') {
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          }
          span.end();
        },
      };
    },

    sharedRead(provider, route) {
      trace.getActiveSpan()?.addEvent('provider read shared', {
        'paygraph.provider': PROVIDER_NAMES[provider],
        'paygraph.provider.route': route,
      });
    },

    webhook(route, req, res, handle) {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const requestId = req.headers['x-request-id'];
      const span = tracer.startSpan(
        route,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': req.method,
            'http.route': route.slice(route.indexOf(' ') + 1),
            'paygraph.request_id': typeof requestId === 'string' ? requestId : undefined,
          },
        },
        parent,
      );
      return inSpan(span, parent, handle, () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      });
    },

    span(name, work, describe) {
      const parent = context.active();
      const span = start(name, parent, {});
      return inSpan(span, parent, work, (ok, result) => {
        if (ok && describe) span.setAttributes(describe(result as Awaited<ReturnType<typeof work>>));
      });
    },

    record(transaction, record) {
      const parent = context.active();
      const span = start('webhook.record', parent, {
        'paygraph.provider': PROVIDER_NAMES[transaction.provider],
        'paygraph.transaction.kind': transaction.kind,
        'paygraph.transaction.provider_id': transaction.providerId,
        'paygraph.transaction.status': transaction.status,
      });
      return inSpan(span, parent, record, (ok, outcome) => {
        if (!ok || !outcome) return;
        span.setAttribute('paygraph.record.verdict', outcome.verdict);
        if (!outcome.event) return;
        span.setAttribute('paygraph.event.cursor', outcome.event.cursor);
        // The memory log has published it already, under this span; Redis's follower has yet to.
        if (published.has(outcome.event)) return;
        recorded.set(outcome.event.cursor, span.spanContext());
        if (recorded.size > REMEMBERED_RECORDS) recorded.delete(recorded.keys().next().value as string);
      });
    },

    publish(event, notify) {
      // In memory the log publishes inside record(), under its span; Redis's follower does it later.
      const current = trace.getActiveSpan();
      const remembered = recorded.get(event.cursor);
      recorded.delete(event.cursor);
      const parent = current?.isRecording()
        ? context.active()
        : remembered
          ? trace.setSpanContext(ROOT_CONTEXT, remembered)
          : ROOT_CONTEXT;
      const span = start('event.publish', parent, {
        'paygraph.provider': PROVIDER_NAMES[event.provider],
        'paygraph.event.cursor': event.cursor,
        'paygraph.transaction.status': event.status,
      });
      published.set(event, span.spanContext());
      inSpan(span, parent, notify);
    },

    deliver(event, subscriberContext, execute) {
      const publishedAs = published.get(event);
      const parent = publishedAs ? trace.setSpanContext(ROOT_CONTEXT, publishedAs) : ROOT_CONTEXT;
      const subscription = operationSpanOf(subscriberContext)?.spanContext();
      const cursor = (event as { cursor?: unknown }).cursor;
      const span = start(
        'event.deliver',
        parent,
        { 'paygraph.event.cursor': typeof cursor === 'string' ? cursor : undefined },
        subscription ? [{ context: subscription }] : [],
      );
      return inSpan(span, parent, execute);
    },

    logFields(): Record<string, string> {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },

    shutdown,
  };
}
