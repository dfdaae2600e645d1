import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../../src/events/memoryLog.js';
import { observeDeliveries } from '../../src/events/observed.js';
import { SUBSCRIBER_TOO_SLOW, statusEvents } from '../../src/events/subscription.js';
import { Metrics } from '../../src/metrics.js';
import {
  ChargeDocument,
  CreateChargeDocument,
  RefundChargeDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';
import { paidCharge } from '../support/charges.js';
import { deliverElepayWebhook, paidChargeEvent } from '../support/elepayWebhooks.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';
import { connectWs, type Subscriber, subscribeSse, subscribeWs } from '../support/subscriptions.js';

/**
 * `/metrics` as an on-call engineer reads it. A gateway talks to a standalone elepay simulator
 * through a fault-injecting proxy (so elepay can fail on demand) and keeps elopage on its embedded
 * simulator; PUBLIC_URL points at a closed port, so the only webhooks are the ones this file sends.
 * A walkthrough (query, mutations, webhooks, live delivery over both transports, a resumed
 * subscription, a provider failure) is followed by one scrape, and each family shows exactly what
 * the walkthrough did. Then: no label value carries an ID, a URL or a secret, and the endpoint
 * refuses anyone without the token.
 */
const WEBHOOK_SECRET = 'whsec_metrics_tests_secret_000000000001';
const METRICS_TOKEN = 'metrics_tests_token_0000000000000000001';
const ELOPAGE_WEBHOOK_TOKEN = 'metrics-tests-elopage-webhook-token-0001';

type Payload = TransactionStatusChangedSubscription;
type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/**
 * Forwards to the simulator, or answers 503 (with JSON, as elepay's gateway does) while `broken`;
 * while `held` is set, requests wait for it to resolve (a provider call kept in flight).
 */
interface FaultProxy {
  url: string;
  broken: boolean;
  held: Promise<void> | null;
  server: Server;
}

async function faultProxy(target: string): Promise<FaultProxy> {
  const state: FaultProxy = { url: '', broken: false, held: null, server: undefined as unknown as Server };
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  state.server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      await state.held;
      if (state.broken) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end('{"code":"service_unavailable","message":"down for the test"}');
      }
      const upstream = await request(`${target}${req.url}`, {
        method: req.method as 'GET',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([name]) => !['host', 'connection'].includes(name)),
        ) as Record<string, string>,
        body: body.length > 0 ? body : undefined,
      });
      res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? '') });
      res.end(Buffer.from(await upstream.body.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

/** One scrape, as `name{label="value",…}` → value, plus every label value seen. */
interface Scrape {
  text: string;
  samples: Map<string, number>;
  labelValues: { name: string; value: string }[];
}

async function scrape(url: string, token = METRICS_TOKEN): Promise<Scrape> {
  const response = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.body.text();
  const samples = new Map<string, number>();
  const labelValues: Scrape['labelValues'] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, name = '', labels = '', value = ''] = match ?? [];
    const pairs = [...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k = '', v = '']) => [k, v]);
    for (const [k, v] of pairs) labelValues.push({ name: k as string, value: v as string });
    const key = `${name}{${pairs
      .map(([k, v]) => `${k}="${v}"`)
      .sort()
      .join(',')}}`;
    samples.set(key, Number(value));
  }
  return { text, samples, labelValues };
}

/** The value of one sample, its labels in any order (0 when absent: a counter never incremented). */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const key = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')}}`;
  return s.samples.get(key) ?? 0;
}

/** The sum of a family's samples whose labels include `labels`. */
function sum(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, v] of s.samples) {
    if (!key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, val]) => key.includes(`${k}="${val}"`))) total += v;
  }
  return total;
}

let elepaySim: Simulator;
let proxy: FaultProxy;
/** paygraph_provider_calls_in_flight for elepay while a lookup was held at the proxy. */
let inFlightWhileHeld = -1;
let gw: TestGateway;
let ws: Client;
const subscribers: Subscriber<Payload>[] = [];
/** Everything the walkthrough created: none of it may appear in a label. */
const ids: string[] = [];

beforeAll(async () => {
  elepaySim = await startSimulator('elepay');
  proxy = await faultProxy(elepaySim.url);
  gw = await startTestGateway({
    ...elepaySim.credentials,
    ELEPAY_BASE_URL: proxy.url,
    ELEPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ELOPAGE_WEBHOOK_TOKEN,
    METRICS_TOKEN,
    PUBLIC_URL: 'http://127.0.0.1:1',
  });
  ws = connectWs(gw.url, gw.wsParams);
});

afterAll(async () => {
  for (const subscriber of subscribers) await subscriber.close();
  await ws?.dispose();
  gw?.expectNoLeaks([METRICS_TOKEN, WEBHOOK_SECRET]);
  await gw?.close();
  await new Promise((resolve) => proxy?.server.close(resolve));
  await elepaySim?.server.close();
});

describe('/metrics after a walkthrough', () => {
  let s: Scrape;

  beforeAll(async () => {
    const overWs = await subscribeWs(ws, TransactionStatusChangedDocument, {});
    const overSse = await subscribeSse(gw.url, TransactionStatusChangedDocument, {}, gw.authHeaders);
    subscribers.push(overWs, overSse);

    // A mutation and a webhook: the charge is paid at the simulator and elepay's event delivered.
    const event = await paidChargeEvent(gw, elepaySim.url, '1500');
    ids.push(event.id, JSON.parse(event.body).id, JSON.parse(event.body).data.object.id);
    expect((await deliverElepayWebhook(gw.url, WEBHOOK_SECRET, event.body)).status).toBe(200);
    const [delivered] = await overWs.waitFor(1);
    await overSse.waitFor(1);
    ids.push(delivered?.transactionStatusChanged.cursor ?? 'missing');
    // The same event again is a duplicate; a forged one is refused.
    expect((await deliverElepayWebhook(gw.url, WEBHOOK_SECRET, event.body)).status).toBe(200);
    expect((await deliverElepayWebhook(gw.url, 'whsec_forged_0000000000000000', event.body)).status).toBe(
      400,
    );

    // A resumed subscription replays the one recorded event.
    const resumed = await subscribeWs(ws, TransactionStatusChangedDocument, { after: '0-0' });
    subscribers.push(resumed);
    await resumed.waitFor(1);

    // A query under a known name, and one under a name of the client's own.
    expect((await gw.gql(ChargeDocument, { id: event.id })).errors ?? []).toEqual([]);
    const custom = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...gw.authHeaders },
      body: JSON.stringify({
        query: `query Lookup_${event.id.slice(0, 8)} { charge(id: "${event.id}") { id } }`,
      }),
    });
    expect(custom.statusCode).toBe(200);
    await custom.body.dump();

    // Two identical lookups at once: the second joins the first's provider call, held in flight
    // until the scrape shows the join (and the call on the wire).
    let release: () => void = () => undefined;
    proxy.held = new Promise((resolve) => {
      release = resolve;
    });
    const lookups = Promise.all([
      gw.gql(ChargeDocument, { id: event.id }),
      gw.gql(ChargeDocument, { id: event.id }),
    ]);
    const get = { provider: 'ELEPAY', route: 'GET /charges/:id' };
    let seen = await scrape(gw.url);
    while (value(seen, 'paygraph_provider_shared_reads_total', get) < 1) seen = await scrape(gw.url);
    inFlightWhileHeld = value(seen, 'paygraph_provider_calls_in_flight', { provider: 'ELEPAY' });
    proxy.held = null;
    release();
    for (const lookup of await lookups) expect(lookup.data?.charge?.id).toBe(event.id);

    // Idempotency: executed, replayed, reused.
    const keyed = {
      amount: '700',
      currency: 'JPY',
      paymentMethod: 'creditcard',
      idempotencyKey: 'metrics-k1',
    };
    const first = await gw.gql(CreateChargeDocument, { input: keyed });
    ids.push(
      first.data?.createCharge.charge?.id ?? 'missing',
      first.data?.createCharge.charge?.providerId ?? '',
    );
    expect((await gw.gql(CreateChargeDocument, { input: keyed })).data?.createCharge.charge?.id).toBe(
      first.data?.createCharge.charge?.id,
    );
    const reused = await gw.gql(CreateChargeDocument, { input: { ...keyed, amount: '701' } });
    expect(reused.data?.createCharge.userErrors[0]?.code).toBe('IDEMPOTENCY_KEY_REUSED');

    // A refund refused before any provider call.
    const refused = await gw.gql(RefundChargeDocument, { input: { chargeId: event.id, amount: '-5' } });
    expect(refused.data?.refundCharge.userErrors[0]?.code).toBe('INVALID');

    // elepay fails: the lookup is retried, then reported as unavailable; a webhook that cannot be
    // read back is answered 503 (elepay retries it).
    proxy.broken = true;
    const failed = await gw.gql(ChargeDocument, { id: event.id });
    const unreadable = await deliverElepayWebhook(gw.url, WEBHOOK_SECRET, event.body);
    proxy.broken = false;
    expect(failed.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(unreadable.status).toBe(503);

    s = await scrape(gw.url);
  });

  it('counts GraphQL operations by type, bounded name, outcome and code, and times them', () => {
    const charge = { type: 'query', name: 'Charge' };
    // 3 + 2: subscribeWs proves each subscription is live with a Charge lookup (support/subscriptions.ts).
    expect(value(s, 'paygraph_graphql_operations_total', { ...charge, outcome: 'ok', code: 'none' })).toBe(5);
    expect(
      value(s, 'paygraph_graphql_operations_total', {
        ...charge,
        outcome: 'error',
        code: 'PROVIDER_UNAVAILABLE',
      }),
    ).toBe(1);
    // The client's own operation name is not a label value: it is anonymous.
    expect(
      value(s, 'paygraph_graphql_operations_total', {
        type: 'query',
        name: 'anonymous',
        outcome: 'ok',
        code: 'none',
      }),
    ).toBe(1);
    expect(s.text).not.toContain('Lookup_');
    expect(sum(s, 'paygraph_graphql_operations_total', { type: 'mutation', name: 'CreateCharge' })).toBe(4);
    expect(sum(s, 'paygraph_graphql_operations_total', { type: 'subscription', outcome: 'ok' })).toBe(3);
    expect(value(s, 'paygraph_graphql_operation_duration_seconds_count', { ...charge, outcome: 'ok' })).toBe(
      5,
    );
  });

  it('counts provider calls by route template and outcome, with retries, duration and pool load', () => {
    const get = { provider: 'ELEPAY', route: 'GET /charges/:id' };
    // The failed lookup (tried three times) and the failed webhook read: its second attempt was the
    // fifth failure in a row, which opened elepay's circuit and ended the retries.
    expect(value(s, 'paygraph_provider_calls_total', { ...get, outcome: 'UNAVAILABLE' })).toBe(2);
    expect(value(s, 'paygraph_provider_retries_total', get)).toBe(3);
    expect(value(s, 'paygraph_provider_circuit_state', { provider: 'ELEPAY' })).toBe(2);
    expect(value(s, 'paygraph_provider_circuit_state', { provider: 'ELOPAGE' })).toBe(0);
    expect(value(s, 'paygraph_provider_calls_total', { ...get, outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(
      value(s, 'paygraph_provider_calls_total', {
        provider: 'ELEPAY',
        route: 'POST /charges',
        outcome: 'ok',
      }),
    ).toBe(2);
    expect(value(s, 'paygraph_provider_call_duration_seconds_count', get)).toBe(
      sum(s, 'paygraph_provider_calls_total', get),
    );
    // The held lookup was on the wire, and its twin joined it instead of calling elepay.
    expect(inFlightWhileHeld).toBe(1);
    expect(value(s, 'paygraph_provider_shared_reads_total', get)).toBe(1);
    // Nothing is on the wire between operations.
    expect(value(s, 'paygraph_provider_calls_in_flight', { provider: 'ELEPAY' })).toBe(0);
    expect(value(s, 'paygraph_provider_calls_queued', { provider: 'ELOPAGE' })).toBe(0);
  });

  it('counts webhooks received, verified, refused, duplicate and their lag', () => {
    const elepay = { provider: 'ELEPAY' };
    expect(value(s, 'paygraph_webhooks_received_total', elepay)).toBe(4);
    expect(value(s, 'paygraph_webhooks_verified_total', elepay)).toBe(3);
    expect(value(s, 'paygraph_webhooks_refused_total', { ...elepay, reason: 'signature_mismatch' })).toBe(1);
    expect(value(s, 'paygraph_webhook_records_total', { ...elepay, verdict: 'publish' })).toBe(1);
    expect(value(s, 'paygraph_webhook_records_total', { ...elepay, verdict: 'unchanged' })).toBe(1);
    expect(value(s, 'paygraph_webhook_event_to_record_seconds_count', elepay)).toBe(2);
    expect(value(s, 'paygraph_webhook_receipt_to_record_seconds_count', elepay)).toBe(2);
    expect(
      value(s, 'paygraph_webhooks_unavailable_total', { ...elepay, reason: 'PROVIDER_UNAVAILABLE' }),
    ).toBe(1);
    expect(sum(s, 'paygraph_webhooks_unavailable_total')).toBe(1);
  });

  it('times an elopage webhook from its receipt: elopage sends no time of the event', async () => {
    const response = await request(`${gw.url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 540391 }),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    const after = await scrape(gw.url);
    const elopage = { provider: 'ELOPAGE' };
    expect(value(after, 'paygraph_webhook_records_total', { ...elopage, verdict: 'publish' })).toBe(1);
    expect(value(after, 'paygraph_webhook_receipt_to_record_seconds_count', elopage)).toBe(1);
    expect(value(after, 'paygraph_webhook_event_to_record_seconds_count', elopage)).toBe(0);
    // The metric says so itself, for whoever reads it without the README.
    expect(after.text).toMatch(
      /^# HELP paygraph_webhook_event_to_record_seconds .*elepay only: an elopage webhook carries no event time/m,
    );
  });

  it('counts live connections, subscriptions, deliveries, lag and replays by transport', () => {
    const wsT = { transport: 'graphql-ws' };
    const sse = { transport: 'sse' };
    expect(value(s, 'paygraph_live_connections', wsT)).toBe(1);
    expect(value(s, 'paygraph_live_connections', sse)).toBe(1);
    expect(value(s, 'paygraph_live_subscriptions', wsT)).toBe(2);
    expect(value(s, 'paygraph_live_subscriptions', sse)).toBe(1);
    expect(value(s, 'paygraph_live_deliveries_total', wsT)).toBe(2);
    expect(value(s, 'paygraph_live_deliveries_total', sse)).toBe(1);
    expect(value(s, 'paygraph_live_record_to_delivery_seconds_count', wsT)).toBe(1);
    expect(value(s, 'paygraph_live_replays_total', wsT)).toBe(1);
    expect(value(s, 'paygraph_live_replayed_events_total', wsT)).toBe(1);
    expect(sum(s, 'paygraph_live_cut_off_total')).toBe(0);
  });

  it('counts money: status changes, idempotent outcomes, refunds requested and refused', () => {
    expect(
      value(s, 'paygraph_payment_status_changes_total', {
        provider: 'ELEPAY',
        kind: 'Charge',
        status: 'SUCCEEDED',
      }),
    ).toBe(1);
    expect(value(s, 'paygraph_idempotent_mutations_total', { outcome: 'executed' })).toBe(1);
    expect(value(s, 'paygraph_idempotent_mutations_total', { outcome: 'replayed' })).toBe(1);
    expect(value(s, 'paygraph_idempotent_mutations_total', { outcome: 'reused' })).toBe(1);
    const refund = { mutation: 'refundCharge' };
    expect(value(s, 'paygraph_refunds_total', { ...refund, outcome: 'requested', code: 'none' })).toBe(1);
    expect(value(s, 'paygraph_refunds_total', { ...refund, outcome: 'refused', code: 'INVALID' })).toBe(1);
  });

  it('exports the default process metrics', () => {
    for (const name of [
      'paygraph_process_cpu_seconds_total',
      'paygraph_nodejs_eventloop_lag_p99_seconds',
      'paygraph_nodejs_heap_size_used_bytes',
    ]) {
      expect(s.text).toContain(`# TYPE ${name} `);
    }
  });

  it('the Grafana dashboard and the alert rules use only metrics the gateway exports', async () => {
    for (const file of ['ops/grafana/paygraph.json', 'ops/prometheus/alerts.yml']) {
      const text = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8');
      const names = new Set([...text.matchAll(/\bpaygraph_\w+/g)].map(([name]) => name));
      expect(names.size, file).toBeGreaterThan(5);
      for (const name of names) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        expect(s.text, `${file}: ${name}`).toContain(`# TYPE ${family} `);
      }
    }
  });

  it('has no ID, URL or secret in any label value, and few values per label', () => {
    const secrets = [...gw.gateway.secrets, METRICS_TOKEN, WEBHOOK_SECRET, gw.token ?? ''].filter(Boolean);
    expect(ids.filter(Boolean).length).toBeGreaterThanOrEqual(5);
    for (const { name, value: v } of s.labelValues) {
      for (const forbidden of [...secrets, ...ids.filter(Boolean)]) expect(v).not.toContain(forbidden);
      expect(v).not.toMatch(/:\/\/|127\.0\.0\.1|localhost/);
      if (name === 'route') expect(v).toMatch(/^(GET|POST|PUT|DELETE) (\/(:[a-zA-Z]+|[a-z_]+))+$/);
    }
    const perLabel = new Map<string, Set<string>>();
    for (const { name, value: v } of s.labelValues)
      perLabel.set(name, (perLabel.get(name) ?? new Set()).add(v));
    for (const [name, values] of perLabel) expect(values.size, name).toBeLessThanOrEqual(30);
  });
});

describe('who may scrape', () => {
  it('refuses /metrics without the token or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: METRICS_TOKEN }]) {
      const response = await request(`${gw.url}/metrics`, { headers });
      expect(response.statusCode).toBe(401);
      const body = await response.body.text();
      expect(body).not.toContain('paygraph_');
    }
  });

  it('is open in open access (all sandboxed, no clients) and off with a real provider and no token', async () => {
    const open = await startTestGateway();
    try {
      const response = await request(`${open.url}/metrics`);
      expect(response.statusCode).toBe(200);
      expect(await response.body.text()).toContain('paygraph_graphql_operations_total');
    } finally {
      await open.close();
    }
    const remote = await startTestGateway({ ...elepaySim.credentials, ELEPAY_BASE_URL: elepaySim.url });
    try {
      const response = await request(`${remote.url}/metrics`, { headers: remote.authHeaders });
      expect(response.statusCode).toBe(404);
      await response.body.dump();
    } finally {
      await remote.close();
    }
  });
});

/**
 * A subscriber cut off for falling behind, on the memory log driven directly (10,000 events through
 * webhooks would take minutes; test/events/subscriptions.test.ts does the same for the cut-off itself).
 */
describe('a subscriber that stops reading', () => {
  it('counts as cut off, its deliveries are counted, and it no longer counts as open', async () => {
    const metrics = new Metrics({ knownOperations: new Set() });
    const log = new MemoryEventLog({ maxEvents: 100_000, maxAgeMs: 3_600_000 });
    const counted = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
      (await metric.get()).values.reduce((total, { value: v }) => total + v, 0);
    const stalled = observeDeliveries(statusEvents(log, {}, null), metrics, 'sse', false);
    const firstRead = stalled.next();
    expect(await counted(metrics.liveSubscriptions)).toBe(1);
    for (let n = 0; n < 11_100; n++) await log.record(paidCharge(n));

    let delivered = (await firstRead).done ? 0 : 1;
    const error = await (async () => {
      try {
        while (!(await stalled.next()).done) delivered++;
        return null;
      } catch (e) {
        return e as { extensions?: { code?: string } };
      }
    })();
    expect(error?.extensions?.code).toBe(SUBSCRIBER_TOO_SLOW);
    expect(delivered).toBeGreaterThanOrEqual(10_000);
    expect(await counted(metrics.liveCutOff)).toBe(1);
    expect(await counted(metrics.liveDeliveries)).toBe(delivered);
    expect(await counted(metrics.liveSubscriptions)).toBe(0);
    expect(await counted(metrics.liveConnections)).toBe(0);
  });
});
