/**
 * OpenTelemetry traces, on only when an OTLP endpoint is configured (config.ts, TracingConfig).
 * This module is what the rest of the gateway calls, and it loads nothing of OpenTelemetry:
 * startTracing imports the SDK (./sdk.ts) dynamically, so a gateway without tracing never loads an
 * OTel module and every hook below costs one null check.
 *
 * The hooks read one process-wide implementation, as OpenTelemetry's own API does (one tracer
 * provider per process, context in AsyncLocalStorage), rather than being threaded through every
 * constructor between main.ts and the HTTP client. What each span means: README, Operations.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CircuitBreakerPolicy } from 'cockatiel';
import type { Plugin } from 'graphql-yoga';
import type { TracingConfig } from '../config.js';
import type { Provider, Transaction } from '../domain/model.js';
import type { TransactionStatusEvent } from '../events/event.js';
import type { RecordOutcome } from '../events/log.js';
import { type Logger, protectSecretValues } from '../logger.js';

/** Span attribute values we set: never a URL, a query string, a body or a secret. */
export type SpanAttributes = Record<string, string | number | boolean | string[] | undefined>;

/** One provider call (retries included): ProviderHttp reports into it, the span ends with `end`. */
export interface ProviderCallTrace {
  /** The provider answered an attempt with this HTTP status. */
  answered(status: number): void;
  /** An attempt failed (1 = the first); `failure` is the ProviderError failure (UNAVAILABLE, …). */
  attemptFailed(attempt: number, failure: string, status: number | undefined): void;
  /** `ok`, or the failure the call ended with. */
  end(outcome: string): void;
}

/** What the SDK side (./spans.ts) implements. */
export interface Tracing {
  /** Request, operation, parse / validate / execute spans, and their outcomes (src/plugins/useTracing.ts). */
  graphql: { phases: Plugin; outcomes: Plugin };
  providerCall(provider: Provider, route: string, breaker: CircuitBreakerPolicy): ProviderCallTrace;
  /** A read joined an identical read in flight: an event on the current span, no call of its own. */
  sharedRead(provider: Provider, route: string): void;
  webhook<T>(route: string, req: IncomingMessage, res: ServerResponse, handle: () => Promise<T>): Promise<T>;
  span<T>(name: string, work: () => T, describe?: (result: Awaited<T>) => SpanAttributes): T;
  record(transaction: Transaction, record: () => Promise<RecordOutcome>): Promise<RecordOutcome>;
  publish(event: TransactionStatusEvent, notify: () => void): void;
  deliver<T>(event: object, subscriberContext: object, execute: () => Promise<T>): Promise<T>;
  /** The current trace and span IDs, for log lines: a new object each time (pino merges into it). */
  logFields(): Record<string, string>;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

let active: Tracing | null = null;

/**
 * Loads the SDK and starts exporting spans (OTLP over HTTP; the SDK reads its standard OTEL_*
 * variables itself). OTLP headers often carry a vendor's API key: they are cut out of every log line.
 */
export async function startTracing(
  config: TracingConfig,
  logger: Logger,
): Promise<{ stop(): Promise<void> }> {
  protectSecretValues(config.secrets);
  const { startSdk } = await import('./sdk.js');
  const tracing = await startSdk(config, logger);
  active = tracing;
  return {
    async stop() {
      if (active === tracing) active = null;
      await tracing.shutdown();
    },
  };
}

/**
 * The GraphQL tracing plugins, or none: `phases` goes first (its spans wrap the other plugins),
 * `outcomes` after error masking (the error codes clients see).
 */
export function tracingPlugins(part: 'phases' | 'outcomes'): Plugin[] {
  return active ? [active.graphql[part]] : [];
}

export function traceProviderCall(
  provider: Provider,
  route: string,
  breaker: CircuitBreakerPolicy,
): ProviderCallTrace | undefined {
  return active?.providerCall(provider, route, breaker);
}

export function traceSharedRead(provider: Provider, route: string): void {
  active?.sharedRead(provider, route);
}

/** One trace per webhook delivery; `route` is the template (`POST /webhooks/elopage/:token`). */
export function traceWebhook<T>(
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
  handle: () => Promise<T>,
): Promise<T> {
  return active ? active.webhook(route, req, res, handle) : handle();
}

/**
 * `work` in a child span of the current one (sync or async); `describe` turns its result into
 * attributes. A failure marks the span with its error code, never its message.
 */
export function traced<T>(name: string, work: () => T, describe?: (result: Awaited<T>) => SpanAttributes): T {
  return active ? active.span(name, work, describe) : work();
}

/** Recording a webhook's transaction in the event log: the span the event's publish hangs under. */
export function traceRecord(
  transaction: Transaction,
  record: () => Promise<RecordOutcome>,
): Promise<RecordOutcome> {
  return active ? active.record(transaction, record) : record();
}

/** Handing an event to this instance's subscribers. */
export function tracePublish(event: TransactionStatusEvent, notify: () => void): void {
  if (active) active.publish(event, notify);
  else notify();
}

/** One subscriber group's execution of an event: a child of the event's publish span. */
export function traceDelivery<T>(
  event: object,
  subscriberContext: object,
  execute: () => Promise<T>,
): Promise<T> {
  return active ? active.deliver(event, subscriberContext, execute) : execute();
}

/** pino mixin: `traceId` and `spanId` on every log line written inside a span. */
export function traceIds(): Record<string, string> {
  return active ? active.logFields() : {};
}
