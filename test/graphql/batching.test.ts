import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSalesPageDocument,
  NodesDocument,
  PaymentByBothIdsDocument,
  PaymentDocument,
  SandboxCompleteCheckoutDocument,
} from '../generated/graphql.js';
import {
  resetSandboxStats,
  sandboxStats,
  startSimulator,
  startTestGateway,
  type TestGateway,
} from '../support/harness.js';

/**
 * DataLoader batching, proven by the simulators' request counts: however many objects one request
 * touches, each distinct provider object costs one GET, and those GETs run side by side.
 */
const WEBHOOK_TOKEN = 'elopage-webhook-token-for-batching-01';
// A reserved name that never resolves (RFC 2606): no webhook reaches the gateway, so it makes no
// calls of its own accord behind the counts' back.
const NO_WEBHOOKS = 'https://hooks.invalid/elopage';
const PAYMENT_GET = 'GET /api/payments/:id';
const PAGE_GET = 'GET /api/sales_pages/:id';

async function createPage(gw: TestGateway, name: string, price: string) {
  const { data, errors } = await gw.gql(CreateSalesPageDocument, {
    input: { name, webhookUrl: NO_WEBHOOKS, pricingPlans: [{ oneTime: { price } }] },
  });
  expect(errors).toEqual([]);
  expect(data?.createSalesPage.userErrors).toEqual([]);
  const page = data?.createSalesPage.salesPage;
  if (!page) throw new Error('no sales page');
  return page;
}

describe('one request, many payments: one GET per distinct object', () => {
  let gw: TestGateway;
  const pages: { id: string; name: string | null }[] = [];
  const payments: { id: string; providerId: string; salesPageId: string }[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ ELOPAGE_WEBHOOK_TOKEN: WEBHOOK_TOKEN });
    for (let i = 0; i < 4; i++) pages.push(await createPage(gw, `Batch course ${i}`, `${10 + i}.00`));
    for (let i = 0; i < 20; i++) {
      const page = pages[i % pages.length];
      if (!page) throw new Error('no page');
      const { data } = await gw.gql(SandboxCompleteCheckoutDocument, {
        input: { salesPageId: page.id, outcome: 'SUCCEED', paymentMethod: 'card' },
      });
      const payment = data?.sandboxCompleteCheckout.payment;
      if (!payment) throw new Error(`checkout failed: ${JSON.stringify(data)}`);
      payments.push({ id: payment.id, providerId: payment.providerId, salesPageId: page.id });
    }
  });
  afterAll(async () => {
    gw.expectNoLeaks();
    await gw.close();
  });

  it('nodes(20 payments) with their sales pages costs 20 payment GETs and 4 sales page GETs', async () => {
    await gw.resetStats();
    const { data, errors } = await gw.gql(NodesDocument, { ids: payments.map((p) => p.id) });
    expect(errors).toEqual([]);
    expect(data?.nodes).toHaveLength(20);
    data?.nodes.forEach((node, index) => {
      const expected = payments[index];
      const page = pages.find((p) => p.id === expected?.salesPageId);
      // In order, each with its own sales page (a batch must not mix up its answers).
      expect(node).toMatchObject({
        __typename: 'Payment',
        id: expected?.id,
        providerId: expected?.providerId,
        status: 'SUCCEEDED',
        salesPage: { id: page?.id, name: page?.name },
      });
    });
    const stats = await gw.stats('elopage');
    expect(stats.routes).toEqual({ [PAYMENT_GET]: 20, [PAGE_GET]: 4 });
    expect(stats.total).toBe(24);
    expect((await gw.stats('elepay')).total).toBe(0);
  });

  it('the same payment twice in nodes(ids) is fetched once', async () => {
    const [payment] = payments;
    await gw.resetStats();
    const { data, errors } = await gw.gql(NodesDocument, { ids: [payment?.id ?? '', payment?.id ?? ''] });
    expect(errors).toEqual([]);
    expect(data?.nodes.map((node) => node?.id)).toEqual([payment?.id, payment?.id]);
    expect((await gw.stats('elopage')).routes).toEqual({ [PAYMENT_GET]: 1, [PAGE_GET]: 1 });
  });

  it('the same payment by global ID and by elopage ID in one request is fetched once', async () => {
    const [payment] = payments;
    await gw.resetStats();
    const { data, errors } = await gw.gql(PaymentByBothIdsDocument, {
      id: payment?.id ?? '',
      providerId: payment?.providerId ?? '',
    });
    expect(errors).toEqual([]);
    expect(data?.byGlobalId?.id).toBe(payment?.id);
    expect(data?.byProviderId).toEqual(data?.byGlobalId);
    expect((await gw.stats('elopage')).routes).toEqual({ [PAYMENT_GET]: 1, [PAGE_GET]: 1 });
  });

  it('caches only within a request: the next request asks elopage again', async () => {
    const [payment] = payments;
    await gw.resetStats();
    for (let i = 0; i < 2; i++) {
      const { data } = await gw.gql(PaymentDocument, { id: payment?.providerId ?? '' });
      expect(data?.payment?.id).toBe(payment?.id);
    }
    expect((await gw.stats('elopage')).routes).toEqual({ [PAYMENT_GET]: 2, [PAGE_GET]: 2 });
  });
});

/**
 * A pass-through HTTP proxy in front of a standalone simulator that records how many payment GETs
 * were open at the same moment. Sequential calls never exceed 1, whatever the latency; no clock
 * is read. The simulator's latency only keeps each call open long enough for the others to meet it.
 */
async function startInFlightProxy(target: string) {
  const counter = { inFlight: 0, peak: 0 };
  const server: Server = createServer((req, res) => {
    const tracked = req.method === 'GET' && (req.url ?? '').startsWith('/api/payments/');
    if (tracked) counter.peak = Math.max(counter.peak, ++counter.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      request(`${target}${req.url ?? '/'}`, {
        method: req.method as 'GET' | 'POST' | 'PUT' | 'DELETE',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body,
      })
        .then(async (upstream) => {
          const text = await upstream.body.text();
          res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
          res.end(text);
        })
        .catch(() => res.writeHead(502).end())
        .finally(() => {
          if (tracked) counter.inFlight--;
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, counter, close };
}

describe('a batch runs concurrently, up to ELOPAGE_MAX_CONCURRENCY', () => {
  const MAX_CONCURRENCY = 4;
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  let proxy: Awaited<ReturnType<typeof startInFlightProxy>>;
  let gw: TestGateway;

  beforeAll(async () => {
    simulator = await startSimulator('elopage', { latencyMs: 300 });
    proxy = await startInFlightProxy(simulator.url);
    gw = await startTestGateway({
      ELOPAGE_BASE_URL: `${proxy.url}/api`,
      ...simulator.credentials,
      ELOPAGE_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      ELOPAGE_MAX_CONCURRENCY: String(MAX_CONCURRENCY),
    });
  });
  afterAll(async () => {
    gw.expectNoLeaks(Object.values(simulator.credentials));
    await gw.close();
    await proxy.close();
    await simulator.server.close();
  });

  it('8 payment GETs of one request overlap, never more than the cap at once', async () => {
    const page = await createPage(gw, 'Slow provider course', '49.00');
    // The gateway's sandbox helpers refuse a remote elopage, so the buyer uses the simulator directly.
    const rawIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await request(`${simulator.url}/_sandbox/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sales_page_id: page.providerId, outcome: 'succeed' }),
      });
      expect(response.statusCode).toBe(200);
      rawIds.push(String(((await response.body.json()) as { id: number }).id));
    }
    const lookups = await Promise.all(rawIds.map((id) => gw.gql(PaymentDocument, { id })));
    const ids = lookups.map((lookup) => lookup.data?.payment?.id ?? '');
    expect(ids.every(Boolean)).toBe(true);

    proxy.counter.peak = 0;
    await resetSandboxStats(simulator.url);
    const { data, errors } = await gw.gql(NodesDocument, { ids });
    expect(errors).toEqual([]);
    expect(data?.nodes.map((node) => node?.id)).toEqual(ids);
    expect((await sandboxStats(simulator.url)).routes).toEqual({ [PAYMENT_GET]: 8, [PAGE_GET]: 1 });
    // In sequence the peak would be 1; unbounded it would be 8.
    expect(proxy.counter.peak).toBe(MAX_CONCURRENCY);
  });
});
