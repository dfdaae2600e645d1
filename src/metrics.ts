/**
 * Every Prometheus metric the gateway exposes at `/metrics`, in one registry per gateway (tests run
 * several gateways in one process). Label values are bounded by construction: providers, route
 * templates, enum-like codes, known operation names. Never an ID, a path, a URL or a secret: callers
 * pass free text through `codeLabel` or `operationLabel`, which fold anything else into one value.
 */

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Provider } from './domain/model.js';

/** Buckets from 5 ms to 30 s: provider calls and GraphQL operations both live in this range. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Webhook and delivery lags: from a millisecond (same process) to minutes (provider retries). */
const LAG_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300];

export type Transport = 'graphql-ws' | 'sse';

/** Provider pool load, read at scrape time (nothing is counted on the hot path for it). */
export interface PoolLoad {
  provider: Provider;
  /** Requests on the wire now. */
  running: number;
  /** Requests waiting for a free connection (the provider's concurrency cap). */
  queued: number;
}

/**
 * What ProviderHttp reports about each call: one narrow hook, so the HTTP client stays about HTTP
 * and whatever resilience wraps it (breaker, shared reads) reports through the same few methods.
 */
export interface ProviderCallObserver {
  /** A call finished: `outcome` is `ok` or the ProviderError failure (NOT_FOUND, TIMEOUT, …). */
  call(route: string, outcome: string, seconds: number): void;
  retry(route: string): void;
  /** A read joined an identical read already in flight instead of calling the provider. */
  shared(route: string): void;
  /** closed = 0, half-open = 1, open = 2. */
  circuit(state: 'closed' | 'half-open' | 'open'): void;
}

const CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

/** An error code as a label: codes are SCREAMING_SNAKE constants; anything else is `OTHER`. */
export function codeLabel(code: unknown): string {
  return typeof code === 'string' && CODE.test(code) ? code : 'OTHER';
}

/** The operation names of the example documents (schema/operations/*.graphql). */
export function operationNamesIn(documents: { query: string }[]): Set<string> {
  const names = new Set<string>();
  for (const { query } of documents) {
    for (const match of query.matchAll(/\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g)) {
      if (match[1]) names.add(match[1]);
    }
  }
  return names;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly knownOperations: ReadonlySet<string>;
  private readonly pools: (() => PoolLoad)[] = [];

  readonly graphqlOperations: Counter<'type' | 'name' | 'outcome' | 'code'>;
  readonly graphqlDuration: Histogram<'type' | 'name' | 'outcome'>;

  readonly providerCalls: Counter<'provider' | 'route' | 'outcome'>;
  readonly providerDuration: Histogram<'provider' | 'route'>;
  readonly providerRetries: Counter<'provider' | 'route'>;
  readonly providerSharedReads: Counter<'provider' | 'route'>;
  readonly providerCircuit: Gauge<'provider'>;

  readonly webhooksReceived: Counter<'provider'>;
  readonly webhooksVerified: Counter<'provider'>;
  readonly webhooksRefused: Counter<'provider' | 'reason'>;
  readonly webhookRecords: Counter<'provider' | 'verdict'>;
  readonly webhookLag: Histogram<'provider'>;
  readonly webhooksUnavailable: Counter<'provider' | 'reason'>;

  readonly liveConnections: Gauge<'transport'>;
  readonly liveSubscriptions: Gauge<'transport'>;
  readonly liveDeliveries: Counter<'transport'>;
  readonly liveCutOff: Counter<'transport'>;
  readonly liveLag: Histogram<'transport'>;
  readonly liveReplays: Counter<'transport'>;
  readonly liveReplayedEvents: Counter<'transport'>;

  readonly statusChanges: Counter<'provider' | 'kind' | 'status'>;
  readonly idempotency: Counter<'outcome'>;
  readonly refunds: Counter<'mutation' | 'outcome' | 'code'>;

  constructor(options: { knownOperations: ReadonlySet<string> }) {
    this.knownOperations = options.knownOperations;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'paygraph_' });

    this.graphqlOperations = counter(
      'paygraph_graphql_operations_total',
      'GraphQL operations by type, name (known example operations, else anonymous), outcome (ok / error) and first error code.',
      ['type', 'name', 'outcome', 'code'],
    );
    this.graphqlDuration = histogram(
      'paygraph_graphql_operation_duration_seconds',
      'Execution time of GraphQL queries and mutations (subscriptions are streams: see paygraph_live_*).',
      ['type', 'name', 'outcome'],
      LATENCY_BUCKETS,
    );

    this.providerCalls = counter(
      'paygraph_provider_calls_total',
      'Provider calls by provider, route template and outcome (ok or the failure: NOT_FOUND, UNAVAILABLE, TIMEOUT, …), retries included in one call.',
      ['provider', 'route', 'outcome'],
    );
    this.providerDuration = histogram(
      'paygraph_provider_call_duration_seconds',
      'Provider call time by route template, queueing and retries included.',
      ['provider', 'route'],
      LATENCY_BUCKETS,
    );
    this.providerRetries = counter(
      'paygraph_provider_retries_total',
      'Provider call attempts repeated after a failure.',
      ['provider', 'route'],
    );
    this.providerSharedReads = counter(
      'paygraph_provider_shared_reads_total',
      'Reads answered by joining an identical read already in flight (no provider call of their own).',
      ['provider', 'route'],
    );
    this.providerCircuit = gauge(
      'paygraph_provider_circuit_state',
      "The provider's circuit breaker: 0 closed, 1 half-open, 2 open (calls fail at once).",
      ['provider'],
    );
    // Pool load is read at scrape time: nothing is counted on the hot path for it.
    const pools = this.pools;
    const poolGauge = (name: string, help: string, pick: (load: PoolLoad) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['provider'],
        registers,
        collect() {
          for (const load of pools.map((read) => read())) this.set({ provider: load.provider }, pick(load));
        },
      });
    poolGauge(
      'paygraph_provider_calls_in_flight',
      'Provider requests on the wire now.',
      (load) => load.running,
    );
    poolGauge(
      'paygraph_provider_calls_queued',
      "Provider requests waiting for a connection (the provider's concurrency cap is reached).",
      (load) => load.queued,
    );

    this.webhooksReceived = counter('paygraph_webhooks_received_total', 'Webhook requests received.', [
      'provider',
    ]);
    this.webhooksVerified = counter(
      'paygraph_webhooks_verified_total',
      'Webhooks whose origin was verified (elepay signature, elopage path token).',
      ['provider'],
    );
    this.webhooksRefused = counter(
      'paygraph_webhooks_refused_total',
      'Webhooks refused, by reason (signature_missing / _malformed / _stale / _mismatch, bad_token, not_an_event, body_too_large, body_too_slow).',
      ['provider', 'reason'],
    );
    this.webhookRecords = counter(
      'paygraph_webhook_records_total',
      'Transactions recorded from webhooks by verdict: publish (news), unchanged (duplicate), stale (older than known).',
      ['provider', 'verdict'],
    );
    this.webhookLag = histogram(
      'paygraph_webhook_event_to_record_seconds',
      "Time from the provider's event (elepay createTime) to its record in the event log.",
      ['provider'],
      LAG_BUCKETS,
    );
    this.webhooksUnavailable = counter(
      'paygraph_webhooks_unavailable_total',
      'Webhooks answered 503 (the provider retries): the provider could not be read or the event log was down.',
      ['provider', 'reason'],
    );

    this.liveConnections = gauge(
      'paygraph_live_connections',
      'Open live-status connections: acknowledged graphql-ws sockets, and SSE streams.',
      ['transport'],
    );
    this.liveSubscriptions = gauge(
      'paygraph_live_subscriptions',
      'Open transactionStatusChanged subscriptions.',
      ['transport'],
    );
    this.liveDeliveries = counter('paygraph_live_deliveries_total', 'Status events handed to subscribers.', [
      'transport',
    ]);
    this.liveCutOff = counter(
      'paygraph_live_cut_off_total',
      'Subscribers cut off for falling too far behind (SUBSCRIBER_TOO_SLOW).',
      ['transport'],
    );
    this.liveLag = histogram(
      'paygraph_live_record_to_delivery_seconds',
      'Time from an event being recorded to its delivery to a subscriber (live events only, not replays).',
      ['transport'],
      LAG_BUCKETS,
    );
    this.liveReplays = counter(
      'paygraph_live_replays_total',
      'Subscriptions resumed with `after` (they replay the log first).',
      ['transport'],
    );
    this.liveReplayedEvents = counter(
      'paygraph_live_replayed_events_total',
      'Events delivered by replays (recorded before their subscription began); divided by replays: replay size.',
      ['transport'],
    );

    this.statusChanges = counter(
      'paygraph_payment_status_changes_total',
      'Status changes recorded (and published), by provider, kind (Charge, Payment, Refund) and new status.',
      ['provider', 'kind', 'status'],
    );
    this.idempotency = counter(
      'paygraph_idempotent_mutations_total',
      'Keyed mutations by outcome: executed, replayed (same key and input), reused (key refused: other mutation or input).',
      ['outcome'],
    );
    this.refunds = counter(
      'paygraph_refunds_total',
      'Refund mutations by outcome: requested (every call), refused (user error or GraphQL error, by code).',
      ['mutation', 'outcome', 'code'],
    );
  }

  /** An operation name as a label: a known example operation's name, else `anonymous`. */
  operationLabel(name: string | null | undefined): string {
    return name && this.knownOperations.has(name) ? name : 'anonymous';
  }

  /** Reads a provider pool's load at every scrape. */
  watchPool(read: () => PoolLoad): void {
    this.pools.push(read);
  }

  providerObserver(provider: Provider): ProviderCallObserver {
    return {
      call: (route, outcome, seconds) => {
        this.providerCalls.inc({ provider, route, outcome: outcome === 'ok' ? 'ok' : codeLabel(outcome) });
        this.providerDuration.observe({ provider, route }, seconds);
      },
      retry: (route) => this.providerRetries.inc({ provider, route }),
      shared: (route) => this.providerSharedReads.inc({ provider, route }),
      circuit: (state) =>
        this.providerCircuit.set({ provider }, state === 'closed' ? 0 : state === 'half-open' ? 1 : 2),
    };
  }

  /**
   * Counts a refund mutation: requested on every call (replays included), refused by the code of
   * its first user error or of the GraphQL error it ends in.
   */
  async observeRefund<T extends { userErrors: { code: string }[] }>(
    mutation: string,
    work: () => Promise<T>,
  ): Promise<T> {
    this.refunds.inc({ mutation, outcome: 'requested', code: 'none' });
    let payload: T;
    try {
      payload = await work();
    } catch (error) {
      const coded = error as { code?: unknown; extensions?: { code?: unknown } };
      this.refunds.inc({
        mutation,
        outcome: 'refused',
        code: codeLabel(coded.code ?? coded.extensions?.code),
      });
      throw error;
    }
    const code = payload.userErrors[0]?.code;
    if (code) this.refunds.inc({ mutation, outcome: 'refused', code: codeLabel(code) });
    return payload;
  }

  /** The text exposition for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
