import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateSalesPageDocument, PaymentDocument } from '../generated/graphql.js';
import {
  resetSandboxStats,
  sandboxStats,
  startSimulator,
  startTestGateway,
  type TestGateway,
} from '../support/harness.js';

/**
 * Provider reads shared across concurrent requests (src/providers/sharedReads.ts), counted by the
 * elopage simulator's /_sandbox/stats. A proxy between the gateway and the simulator holds every
 * provider call until all the test's requests have reached execution, so "concurrent" is a state
 * the test waits for, not a matter of timing; the proxy can also answer 503 itself (a fault).
 */
const ELOPAGE_WEBHOOK_TOKEN = 'sharing-elopage-webhook-token-0001';
const CONCURRENT = 32;

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

interface HoldingProxy {
  url: string;
  /** Calls that reached the proxy, by `METHOD /path` (without the query: it carries credentials). */
  seen: string[];
  held(): number;
  /** Holds every call from now on (or only those `only` accepts, by `METHOD /path`) until release(). */
  hold(only?: (call: string) => boolean): void;
  release(): void;
  /** Answer every call with 503 instead of forwarding it. */
  failing: boolean;
  /** Added to every forwarded call, as a real provider's latency is. */
  latencyMs: number;
  close(): Promise<void>;
}

async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  let gate: Promise<void> | null = null;
  let holds = (_call: string) => true;
  let open = () => {};
  let waiting = 0;
  const proxy: Omit<HoldingProxy, 'url' | 'close'> = {
    seen: [],
    held: () => waiting,
    hold(only = () => true) {
      holds = only;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = null;
      open();
    },
    failing: false,
    latencyMs: 0,
  };
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const call = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    proxy.seen.push(call);
    if (gate && holds(call)) {
      waiting += 1;
      await gate;
      waiting -= 1;
    }
    if (proxy.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, proxy.latencyMs));
    if (proxy.failing) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"Unavailable"}');
      return;
    }
    const { host: _host, connection: _connection, ...headers } = req.headers;
    const upstream = await request(`${target}${req.url}`, {
      method: req.method as 'GET',
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
    res.end(Buffer.from(await upstream.body.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    forward(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

let simulator: Simulator;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  simulator = await startSimulator('elopage');
  cleanups.push(() => simulator.server.close());
});

afterAll(async () => {
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
});

/** A gateway whose elopage is the simulator behind a fresh holding proxy (elepay: its sandbox). */
async function gatewayBehindProxy(): Promise<{ gw: TestGateway; proxy: HoldingProxy }> {
  const proxy = await startHoldingProxy(simulator.url);
  const gw = await startTestGateway({
    ELOPAGE_BASE_URL: `${proxy.url}/api`,
    ELOPAGE_API_KEY: simulator.credentials.ELOPAGE_API_KEY ?? '',
    ELOPAGE_API_SECRET: simulator.credentials.ELOPAGE_API_SECRET ?? '',
    ELOPAGE_WEBHOOK_TOKEN,
  });
  cleanups.push(
    () => gw.close(),
    () => proxy.close(),
  );
  return { gw, proxy };
}

/** Yoga logs this (at debug) when a request reaches execution; the harness captures debug lines. */
const executing = (gw: TestGateway) =>
  gw.logs.filter((line) => line.includes('Processing GraphQL Parameters"')).length;

/**
 * Sends `count` operations at once with every provider call held at the proxy, waits until all of
 * them are executing and at least `heldAtLeast` calls are waiting, then lets the calls through.
 */
async function together<T>(
  gw: TestGateway,
  proxy: HoldingProxy,
  count: number,
  send: (index: number) => Promise<T>,
  heldAtLeast = 1,
): Promise<T[]> {
  const before = executing(gw);
  proxy.hold();
  const pending = Promise.all(Array.from({ length: count }, (_, index) => send(index)));
  await vi.waitFor(
    () => {
      expect(executing(gw)).toBe(before + count);
      expect(proxy.held()).toBeGreaterThanOrEqual(heldAtLeast);
    },
    { timeout: 10_000, interval: 5 },
  );
  proxy.release();
  return pending;
}

describe('identical provider reads in flight are shared across requests', () => {
  it(`${CONCURRENT} identical queries cost what one costs; different ones fetch separately`, async () => {
    const { gw, proxy } = await gatewayBehindProxy();
    await resetSandboxStats(simulator.url);
    const alone = await gw.gql(PaymentDocument, { id: '540391' });
    expect(alone.errors).toEqual([]);
    expect(alone.data?.payment?.salesPage?.providerId).toBe('1087');
    const cost = await sandboxStats(simulator.url);
    // The payment, then its sales page (whose plans come with it).
    expect(cost.routes).toEqual({ 'GET /api/payments/:id': 1, 'GET /api/sales_pages/:id': 1 });

    // Once the payment is in, its waiters go on a few per turn of the event loop (sharedReads.ts),
    // so the sales page read the first of them starts is joined by the rest while it is in flight:
    // with a provider's real latency, not with a simulator that answers within a turn.
    await resetSandboxStats(simulator.url);
    proxy.latencyMs = 200;
    const many = await together(gw, proxy, CONCURRENT, () => gw.gql(PaymentDocument, { id: '540391' }));
    proxy.latencyMs = 0;
    for (const response of many) expect(response).toEqual(alone);
    expect((await sandboxStats(simulator.url)).routes).toEqual(cost.routes);

    // Two different payments at once: two payment calls (their sales pages differ too).
    await resetSandboxStats(simulator.url);
    const ids = ['540391', '540392'];
    const distinct = await together(gw, proxy, 2, (i) => gw.gql(PaymentDocument, { id: ids[i] ?? '' }), 2);
    expect(distinct.map((r) => r.data?.payment?.providerId)).toEqual(ids);
    expect((await sandboxStats(simulator.url)).routes['GET /api/payments/:id']).toBe(2);
    gw.expectNoLeaks();
  });

  it('a write is never shared: identical concurrent mutations each reach the provider', async () => {
    const { gw, proxy } = await gatewayBehindProxy();
    await resetSandboxStats(simulator.url);
    const input = { name: 'Shared nothing', pricingPlans: [{ oneTime: { price: '10.00' } }] };
    const created = await together(gw, proxy, 2, () => gw.gql(CreateSalesPageDocument, { input }), 2);
    const pages = created.map((r) => r.data?.createSalesPage.salesPage?.providerId);
    expect(pages.every(Boolean)).toBe(true);
    expect(new Set(pages).size).toBe(2);
    expect((await sandboxStats(simulator.url)).routes['POST /api/sales_pages']).toBe(2);
  });

  it('a read that starts after a write, or for a webhook, never joins one from before', async () => {
    const { gw, proxy } = await gatewayBehindProxy();
    const read = 'GET /api/payments/540391';
    const paymentReads = () => proxy.seen.filter((call) => call === read).length;
    proxy.hold((call) => call === read);
    const early = gw.gql(PaymentDocument, { id: '540391' });
    await vi.waitFor(() => expect(proxy.held()).toBe(1), { timeout: 10_000, interval: 5 });

    // A write completes meanwhile (only that read is held): the read in flight may predate it.
    const created = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'A write in between', pricingPlans: [{ oneTime: { price: '10.00' } }] },
    });
    expect(created.data?.createSalesPage.salesPage?.providerId).toBeTruthy();
    const late = gw.gql(PaymentDocument, { id: '540391' });
    await vi.waitFor(() => expect(proxy.held()).toBe(2), { timeout: 10_000, interval: 5 });

    // elopage's notification about that payment: its lookup is a read of its own as well.
    const webhook = request(`${gw.url}/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 540391 }),
    });
    await vi.waitFor(() => expect(proxy.held()).toBe(3), { timeout: 10_000, interval: 5 });
    expect(paymentReads()).toBe(3);

    proxy.release();
    const [earlyResult, lateResult, webhookResponse] = await Promise.all([early, late, webhook]);
    expect(earlyResult.data?.payment?.providerId).toBe('540391');
    expect(lateResult.data?.payment?.providerId).toBe('540391');
    expect(webhookResponse.statusCode).toBe(200);
    await webhookResponse.body.dump();
    expect(paymentReads()).toBe(3);
  });

  it('a failed shared read fails every waiter with the same typed error', async () => {
    const { gw, proxy } = await gatewayBehindProxy();
    proxy.failing = true;
    const responses = await together(gw, proxy, CONCURRENT, () => gw.gql(PaymentDocument, { id: '540391' }));
    const errors = responses.map((r) => {
      expect(r.data).toEqual({ payment: null });
      return r.errors.map(({ message, path, extensions }) => ({
        message,
        path,
        code: extensions?.code,
        provider: extensions?.provider,
      }));
    });
    expect(errors[0]).toEqual([
      { message: expect.any(String), path: ['payment'], code: 'PROVIDER_UNAVAILABLE', provider: 'ELOPAGE' },
    ]);
    for (const error of errors) expect(error).toEqual(errors[0]);
    // One read for all of them (with its own retries), not one per request.
    const reads = proxy.seen.filter((call) => call === 'GET /api/payments/540391');
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(3);
    gw.expectNoLeaks();
  });
});
