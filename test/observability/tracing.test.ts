import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createElopageSandbox, type ElopageSandbox } from '../../src/sandbox/elopage/index.js';
import { PaymentDocument, TransactionStatusChangedDocument } from '../generated/graphql.js';
import { execute } from '../support/client.js';
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js';
import { testClient } from '../support/harness.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlpReceiver.js';
import { banner, logLines, type Run, startProcess } from '../support/process.js';
import { connectWs, subscribeWs } from '../support/subscriptions.js';
import { until } from '../support/wait.js';

/**
 * Traces, seen the way an operator's collector sees them: a real gateway process exports OTLP/HTTP
 * (JSON) to a tiny receiver on loopback. elopage is "remote" here (a simulator of our own behind a
 * fault proxy, with credentials the gateway puts in every request's query string), so a span
 * carrying a URL would carry the credentials; elepay runs on its embedded sandbox.
 */
const ELEPAY_WEBHOOK_SECRET = `whsec_tracing_${randomBytes(12).toString('hex')}`;
const ELOPAGE_WEBHOOK_TOKEN = `tracing-${randomBytes(16).toString('hex')}`;
const ELOPAGE_KEY = `key_tracing_${randomBytes(8).toString('hex')}`;
const ELOPAGE_SECRET = `secret_tracing_${randomBytes(12).toString('hex')}`;
const OTLP_TOKEN = `otlp_${randomBytes(16).toString('hex')}`;
const api = testClient('tracing-test', ['read', 'write', 'refund']);
/** Generated sandbox credentials look like these (src/gateway.ts). */
const GENERATED_SECRET = /sk_test_[0-9a-f]{48}|whsec_[0-9a-f]{48}/;

/** What a W3C `traceparent` names, and the header itself. */
function traceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

/** Every span name is a template: these shapes, never an ID or a path with one in it. */
const SPAN_NAME =
  /^(POST \/graphql|(query|mutation|subscription)( [A-Za-z]+)?|graphql\.(operation|parse|validate|execute|subscribe)|(elepay|elopage) (GET|POST|PUT|DELETE) (\/[a-z_]+|\/:[a-zA-Z]+)+|POST \/webhooks\/(elepay|elopage\/:token)|webhook\.(verify|fetch|record)|event\.(publish|deliver))$/;

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let receiver: OtlpReceiver;
  let simulator: ElopageSandbox;
  let proxy: FaultProxy;
  let run: Run;
  let url = '';
  const auth = { authorization: `Bearer ${api.token}` };

  const spansOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);
  const childrenOf = (parent: ReceivedSpan) =>
    receiver.spans.filter((span) => span.traceId === parent.traceId && span.parentSpanId === parent.spanId);
  const only = (spans: ReceivedSpan[], name: string) => {
    const found = spans.filter((span) => span.name === name);
    expect(found.map((span) => span.name)).toEqual([name]);
    return found[0] as ReceivedSpan;
  };
  /** A request's own span: a server span continuing the caller's trace, with route, status and request ID. */
  const expectRequestSpan = (
    span: ReceivedSpan,
    caller: { spanId: string },
    route: string,
    requestId: string,
  ) => {
    expect(span).toMatchObject({ kind: SERVER, parentSpanId: caller.spanId });
    expect(span.attributes).toMatchObject({
      'http.route': route,
      'http.response.status_code': 200,
      'paygraph.request_id': requestId,
    });
  };
  /** Waits for a trace's spans to be exported: the batch processor sends them every 100 ms here. */
  const traceWith = (traceId: string, names: string[]) =>
    until(
      async () => spansOf(traceId),
      (spans) => names.every((name) => spans.some((span) => span.name === name)),
      `spans ${names.join(', ')} in trace ${traceId}`,
    );

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    simulator = createElopageSandbox({
      apiKey: ELOPAGE_KEY,
      apiSecret: ELOPAGE_SECRET,
      allowedWebhookOrigins: [],
      logger: createLogger({ level: 'silent' }),
    });
    proxy = await startFaultProxy(await simulator.server.listen());
    run = startProcess({
      PORT: '0',
      LOG_LEVEL: 'debug',
      PAYGRAPH_CLIENTS: JSON.stringify([api.client]),
      ELEPAY_WEBHOOK_SECRET,
      ELOPAGE_BASE_URL: `${proxy.url}/api`,
      ELOPAGE_API_KEY: ELOPAGE_KEY,
      ELOPAGE_API_SECRET: ELOPAGE_SECRET,
      ELOPAGE_WEBHOOK_TOKEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN}`,
      OTEL_SERVICE_NAME: 'paygraph-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const { graphiql, msg } = await banner(run);
    url = graphiql.replace(/\/graphql$/, '');
    expect(msg).toContain(`traces: OTLP http/json to ${receiver.url}`);
  });

  afterAll(async () => {
    run?.child.kill('SIGKILL');
    await Promise.all([receiver?.close(), proxy?.close(), simulator?.server.close()]);
  });

  it('traces a query: request → operation → parse, validate, execute → each provider call', async () => {
    const parent = traceparent();
    const requestId = `req-${randomBytes(6).toString('hex')}`;
    const { data, errors } = await execute(
      url,
      PaymentDocument,
      { id: '540391' },
      {
        headers: { ...auth, traceparent: parent.header, 'x-request-id': requestId },
      },
    );
    expect(errors).toEqual([]);
    expect(data?.payment?.salesPage?.name).toBeTruthy();

    const spans = await traceWith(parent.traceId, [
      'POST /graphql',
      'elopage GET /payments/:id',
      'elopage GET /sales_pages/:id',
    ]);
    // The caller's trace continues: the request span's parent is the caller's span.
    const httpSpan = only(spans, 'POST /graphql');
    expectRequestSpan(httpSpan, parent, '/graphql', requestId);
    const operation = only(childrenOf(httpSpan), 'query Payment');
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'Payment',
      'paygraph.request_id': requestId,
      'paygraph.client': 'tracing-test',
    });
    expect(
      childrenOf(operation)
        .map((span) => span.name)
        .sort(),
    ).toEqual(['graphql.execute', 'graphql.parse', 'graphql.validate']);
    const executeSpan = only(childrenOf(operation), 'graphql.execute');
    // The payment, then its sales page (a nested field): both calls under the execution.
    const calls = childrenOf(executeSpan);
    expect(calls.map((span) => span.name).sort()).toEqual([
      'elopage GET /payments/:id',
      'elopage GET /sales_pages/:id',
    ]);
    for (const call of calls) {
      expect(call.kind).toBe(CLIENT);
      expect(call.attributes).toMatchObject({
        'paygraph.provider': 'elopage',
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'paygraph.provider.outcome': 'ok',
        'paygraph.provider.circuit': 'closed',
      });
    }
    expect(only(calls, 'elopage GET /payments/:id').attributes['url.template']).toBe('/payments/:id');
    // No span outlasts its parent: the phases wrap what they started. (Durations, not timestamps:
    // the SDK anchors each span's start to Date.now(), so starts are only good to a millisecond.)
    const duration = (span: ReceivedSpan) => span.end - span.start;
    for (const span of spans) {
      const parentSpan = spans.find((candidate) => candidate.spanId === span.parentSpanId);
      if (parentSpan) expect(duration(span), span.name).toBeLessThanOrEqual(duration(parentSpan));
    }

    // Log lines written inside the trace carry its IDs (LOG_LEVEL=debug logs every provider call).
    const logged = await until(
      async () => logLines(run).filter((line) => line.msg === 'provider call'),
      (lines) => lines.some((line) => line.traceId === parent.traceId),
      'a provider call log line in the trace',
    );
    const line = logged.find((entry) => entry.traceId === parent.traceId);
    expect(spans.map((span) => span.spanId)).toContain(line?.spanId);
  });

  it('traces a webhook: verify → fetch → record → publish → delivery to a subscriber', async () => {
    const client: Client = connectWs(url, auth);
    try {
      const subscriber = await subscribeWs(client, TransactionStatusChangedDocument);
      const parent = traceparent();
      const requestId = `hook-${randomBytes(6).toString('hex')}`;
      const response = await request(`${url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: parent.header,
          'x-request-id': requestId,
        },
        body: JSON.stringify({ id: 540391, state: 'successful' }),
      });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
      const [event] = await subscriber.waitFor(1);
      expect(event?.transactionStatusChanged.transaction.providerId).toBe('540391');

      const spans = await traceWith(parent.traceId, ['event.deliver', 'elopage GET /sales_pages/:id']);
      const root = only(spans, 'POST /webhooks/elopage/:token');
      expectRequestSpan(root, parent, '/webhooks/elopage/:token', requestId);
      const stages = childrenOf(root);
      expect(stages.map((span) => span.name)).toEqual(
        expect.arrayContaining(['webhook.verify', 'webhook.fetch', 'webhook.record']),
      );
      expect(only(stages, 'webhook.verify').attributes['paygraph.webhook.token']).toBe('valid');
      expect(childrenOf(only(stages, 'webhook.fetch')).map((span) => span.name)).toEqual([
        'elopage GET /payments/:id',
      ]);
      const record = only(stages, 'webhook.record');
      expect(record.attributes).toMatchObject({
        'paygraph.transaction.kind': 'Payment',
        'paygraph.transaction.provider_id': '540391',
        'paygraph.record.verdict': 'publish',
        'paygraph.event.cursor': event?.transactionStatusChanged.cursor,
      });
      const publish = only(childrenOf(record), 'event.publish');
      const deliver = only(childrenOf(publish), 'event.deliver');
      // The subscription's selection needs the payment's sales page: read under the delivery.
      expect(childrenOf(deliver).map((span) => span.name)).toEqual(['elopage GET /sales_pages/:id']);

      // The delivery links to the subscription's own trace (a graphql-ws operation: its own root).
      const [link] = deliver.links;
      const subscription = receiver.spans.find((span) => span.spanId === link?.spanId);
      expect(subscription).toMatchObject({ name: 'subscription TransactionStatusChanged', kind: SERVER });
      expect(subscription?.parentSpanId).toBe('');
      expect(subscription?.attributes).toMatchObject({ 'paygraph.transport': 'graphql-ws' });
      expect(
        childrenOf(subscription as ReceivedSpan)
          .map((span) => span.name)
          .sort(),
      ).toEqual(['graphql.parse', 'graphql.subscribe', 'graphql.validate']);

      // From the log line an operator finds first, to this trace.
      const processed = logLines(run).find(
        (line) => line.msg === 'webhook processed' && line.transaction === '540391',
      );
      expect(processed?.traceId).toBe(parent.traceId);
      await subscriber.close();
    } finally {
      await client.dispose();
    }
  });

  it('traces each retry and the circuit: failed attempts, HTTP status, breaker state', async () => {
    proxy.arm({ mode: 'html502', method: 'GET', path: /^\/api\/payments\// });
    try {
      // A GET is tried three times; the fifth failure in a row opens the circuit, during the second
      // lookup, so the third is refused before any request.
      const traces: string[] = [];
      for (let i = 0; i < 3; i++) {
        const parent = traceparent();
        traces.push(parent.traceId);
        const { errors } = await execute(
          url,
          PaymentDocument,
          { id: '540391' },
          {
            headers: { ...auth, traceparent: parent.header },
          },
        );
        expect(errors[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
      }
      const [first, second, refused] = await Promise.all(
        traces.map(async (traceId) => {
          const spans = await traceWith(traceId, ['elopage GET /payments/:id']);
          return only(spans, 'elopage GET /payments/:id');
        }),
      );
      const failedAttempt = (attempt: number) => ({
        'paygraph.provider.attempt': attempt,
        'error.type': 'UNAVAILABLE',
        'http.response.status_code': 502,
      });
      expect(first?.attributes).toMatchObject({
        'paygraph.provider.outcome': 'UNAVAILABLE',
        'paygraph.provider.circuit': 'closed',
        'http.response.status_code': 502,
        'http.request.resend_count': 2,
        'error.type': 'UNAVAILABLE',
      });
      expect(first?.status.code).toBe(ERROR);
      expect(first?.events.map((event) => event.attributes)).toEqual([1, 2, 3].map(failedAttempt));
      // Two attempts reached the provider, then the circuit opened under the third.
      expect(second?.events.map((event) => event.attributes)).toEqual([1, 2].map(failedAttempt));
      expect(refused?.attributes).toMatchObject({
        'paygraph.provider.outcome': 'UNAVAILABLE',
        'paygraph.provider.circuit': 'open',
      });
      expect(refused?.events).toEqual([]);
      expect(refused?.attributes['http.response.status_code']).toBeUndefined();
      // The operation says what the client saw.
      const operation = only(spansOf(refused?.traceId ?? ''), 'query Payment');
      expect(operation.attributes['paygraph.graphql.error_codes']).toEqual(['PROVIDER_UNAVAILABLE']);
      expect(operation.status).toMatchObject({ code: ERROR, message: 'PROVIDER_UNAVAILABLE' });
    } finally {
      proxy.clear();
    }
  });

  it('honours the OTLP variables and exports no secret, URL or ID in any name or attribute', async () => {
    await until(
      async () => receiver.exports.length,
      (count) => count > 0,
      'an export',
    );
    // OTEL_EXPORTER_OTLP_HEADERS reached the collector; OTEL_SERVICE_NAME named the service.
    expect(receiver.exports[0]?.headers.authorization).toBe(`Bearer ${OTLP_TOKEN}`);
    expect(receiver.spans[0]?.resource['service.name']).toBe('paygraph-under-test');

    const exported = receiver.exports.map((entry) => entry.body).join('\n');
    for (const secret of [
      ELEPAY_WEBHOOK_SECRET,
      ELOPAGE_WEBHOOK_TOKEN,
      ELOPAGE_KEY,
      ELOPAGE_SECRET,
      OTLP_TOKEN,
    ]) {
      expect(exported).not.toContain(secret);
    }
    expect(exported).not.toContain(api.token);
    expect(exported).not.toMatch(GENERATED_SECRET);
    // No URL (a query string is where elopage's credentials travel) in any attribute.
    expect(exported).not.toMatch(/https?:\/\/|\?key=|api_key|secret=/);
    for (const span of receiver.spans) expect(span.name).toMatch(SPAN_NAME);
    // Nor in the log lines that carry trace IDs.
    const logs = run.stdout.join('');
    for (const secret of [ELOPAGE_WEBHOOK_TOKEN, ELOPAGE_KEY, ELOPAGE_SECRET, OTLP_TOKEN]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('without an OTLP endpoint', () => {
  it('exports nothing and loads no OpenTelemetry module, whatever other OTEL_* variables say', async () => {
    const receiver = await startOtlpReceiver();
    const moduleLog = join(mkdtempSync(join(tmpdir(), 'paygraph-modules-')), 'loaded.txt');
    const run = startProcess(
      {
        PORT: '0',
        ELEPAY_WEBHOOK_SECRET,
        ELOPAGE_WEBHOOK_TOKEN,
        MODULE_LOG: moduleLog,
        // Everything but a traces endpoint: metrics and logs endpoints are not ours to act on.
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'paygraph-untraced',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      { preload: ['./test/support/recordModuleLoads.ts'] },
    );
    try {
      const { graphiql } = await banner(run);
      const gatewayUrl = graphiql.replace(/\/graphql$/, '');
      const { errors } = await execute(gatewayUrl, PaymentDocument, { id: '540391' });
      expect(errors).toEqual([]);
      const hook = await request(`${gatewayUrl}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 540391 }),
      });
      expect(hook.statusCode).toBe(200);
      await hook.body.dump();
      // Longer than the batch delay an SDK would have waited before exporting.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.connections).toBe(0);

      const loaded = readFileSync(moduleLog, 'utf8').split('\n');
      // The recorder works: the gateway's own modules (its tracing facade included) are listed.
      expect(loaded.some((module) => module.endsWith('/src/tracing/index.ts'))).toBe(true);
      expect(loaded.filter((module) => module.includes('opentelemetry'))).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
