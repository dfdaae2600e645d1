import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChargeAndPaymentDocument,
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  CreateSalesPageDocument,
  PaymentDocument,
} from '../generated/graphql.js';
import type { GraphQLResponse } from '../support/client.js';
import { startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Provider failures as a client sees them: wrong credentials, a provider that is down or slow, and
 * bugs. Each failure is a GraphQL error with `extensions.code` on the affected fields only; the
 * other provider's fields still resolve; no secret, URL or upstream text ever reaches a client or a log.
 */
const ELEPAY_WEBHOOK_SECRET = 'whsec_failures_configured_secret_0001';
const ELOPAGE_WEBHOOK_TOKEN = 'failures-elopage-webhook-token-0001';
const WRONG_ELEPAY_KEY = 'sk_test_wrong_key_for_failures_0001';
const WRONG_ELOPAGE_KEY = 'wrong_elopage_key_for_failures_0001';
const WRONG_ELOPAGE_SECRET = 'wrong_elopage_secret_for_failures_0001';
/** Sits in a broken provider's answer; must never reach a client. */
const RAW_BODY_MARKER = 'RAW-UPSTREAM-BODY-MARKER';
/** What the simulators say when they refuse; the gateway shows its own sentences instead. */
const UPSTREAM_TEXTS = [
  'The API key is invalid',
  'The key of the user was not found',
  'authenticated sellers',
];
const CHARGE_INPUT = { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard' };

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let elepaySim: Simulator;
let elopageSim: Simulator;
let slowElepaySim: Simulator;
let slowElopageSim: Simulator;
/** A loopback URL nothing listens on: the provider is down. */
let downUrl = '';
const gateways: TestGateway[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [elepaySim, elopageSim, slowElepaySim, slowElopageSim] = await Promise.all([
    startSimulator('elepay'),
    startSimulator('elopage'),
    startSimulator('elepay', { latencyMs: 5000 }),
    startSimulator('elopage', { latencyMs: 5000 }),
  ]);
  for (const sim of [elepaySim, elopageSim, slowElepaySim, slowElopageSim])
    cleanups.push(() => sim.server.close());
  const closed = await listenTcp(() => undefined);
  downUrl = `http://127.0.0.1:${closed.port}/v1`;
  await closed.close();
});

afterAll(async () => {
  await Promise.allSettled([...gateways.map((gw) => gw.close()), ...cleanups.map((cleanup) => cleanup())]);
});

/** A gateway with configured webhook secrets; every one is checked for leaks at the end. */
async function gateway(env: Record<string, string>): Promise<TestGateway> {
  const gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET, ELOPAGE_WEBHOOK_TOKEN, ...env });
  gateways.push(gw);
  return gw;
}

const elepayAt = (baseUrl: string, key = elepaySim.credentials.ELEPAY_SECRET_KEY ?? '') => ({
  ELEPAY_BASE_URL: baseUrl,
  ELEPAY_SECRET_KEY: key,
});
const elopageAt = (
  baseUrl: string,
  key = elopageSim.credentials.ELOPAGE_API_KEY ?? '',
  secret = elopageSim.credentials.ELOPAGE_API_SECRET ?? '',
) => ({ ELOPAGE_BASE_URL: baseUrl, ELOPAGE_API_KEY: key, ELOPAGE_API_SECRET: secret });

/** Asserts the response carries exactly these errors, each with a safe message. */
function expectErrors<T>(response: GraphQLResponse<T>, expected: { path: string[]; code: string }[]): void {
  expect(response.errors.map((e) => ({ path: e.path, code: e.extensions?.code }))).toEqual(expected);
  const text = JSON.stringify(response.errors);
  const hosts = [elepaySim, elopageSim, slowElepaySim, slowElopageSim].map((sim) => new URL(sim.url).host);
  for (const unsafe of [...hosts, new URL(downUrl).host, RAW_BODY_MARKER, ...UPSTREAM_TEXTS]) {
    expect(text).not.toContain(unsafe);
  }
  expect(text).not.toMatch(/key=|secret=|authorization/i);
}

/** GET on a gateway route; the body is recorded for the leak check. */
async function get(gw: TestGateway, path: string): Promise<{ status: number; body: unknown }> {
  const response = await request(`${gw.url}${path}`);
  const text = await response.body.text();
  gw.bodies.push(text);
  return { status: response.statusCode, body: JSON.parse(text) };
}

/** GET /readyz, reduced to what this file is about: the verdict and each provider's state. */
async function readiness(gw: TestGateway) {
  const { status, body } = await get(gw, '/readyz');
  const { ready, providers } = body as { ready: boolean; providers: Record<string, string> };
  return { status, ready, providers };
}

async function listenTcp(onConnection: () => void) {
  const server: Server = createTcpServer((socket) => {
    onConnection();
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('wrong provider credentials', () => {
  it.each(['basic', 'bearer'])(
    'elepay with %s auth: the right key reads, a wrong key is PROVIDER_AUTH_FAILED',
    async (scheme) => {
      const good = await gateway({ ...elepayAt(elepaySim.baseUrl), ELEPAY_AUTH_SCHEME: scheme });
      expect((await good.gql(ChargeDocument, { id: 'ch_1' })).data?.charge?.providerId).toBe('ch_1');

      const bad = await gateway({
        ...elepayAt(elepaySim.baseUrl, WRONG_ELEPAY_KEY),
        ELEPAY_AUTH_SCHEME: scheme,
      });
      const read = await bad.gql(ChargeDocument, { id: 'ch_1' });
      expect(read.data).toEqual({ charge: null });
      expectErrors(read, [{ path: ['charge'], code: 'PROVIDER_AUTH_FAILED' }]);
      expect(read.errors[0]?.extensions?.provider).toBe('ELEPAY');
      // A refused mutation is an outage of ours, not the caller's mistake: no userErrors.
      const created = await bad.gql(CreateChargeDocument, { input: CHARGE_INPUT });
      expect(created.data).toBeNull();
      expectErrors(created, [{ path: ['createCharge'], code: 'PROVIDER_AUTH_FAILED' }]);
    },
  );

  it.each([
    ['key', WRONG_ELOPAGE_KEY, undefined],
    ['secret', undefined, WRONG_ELOPAGE_SECRET],
  ])('elopage with a wrong %s is PROVIDER_AUTH_FAILED on reads and writes', async (_what, key, secret) => {
    const gw = await gateway(elopageAt(elopageSim.baseUrl, key, secret));
    const read = await gw.gql(PaymentDocument, { id: '540391' });
    expect(read.data).toEqual({ payment: null });
    expectErrors(read, [{ path: ['payment'], code: 'PROVIDER_AUTH_FAILED' }]);
    const created = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Refused', pricingPlans: [{ oneTime: { price: '10' } }] },
    });
    expect(created.data).toBeNull();
    expectErrors(created, [{ path: ['createSalesPage'], code: 'PROVIDER_AUTH_FAILED' }]);
    // Readiness names the failing provider; liveness does not depend on providers.
    expect(await readiness(gw)).toEqual({
      status: 503,
      ready: false,
      providers: { elepay: 'ok', elopage: 'PROVIDER_AUTH_FAILED' },
    });
    expect(await get(gw, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });
});

describe('one provider down or slow, the other still answers', () => {
  it('elepay down: charge is PROVIDER_UNAVAILABLE, the payment in the same query resolves', async () => {
    const gw = await gateway(elepayAt(downUrl));
    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.charge).toBeNull();
    expect(response.data?.payment).toMatchObject({ providerId: '540391', status: 'SUCCEEDED' });
    expectErrors(response, [{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect(await readiness(gw)).toEqual({
      status: 503,
      ready: false,
      providers: { elepay: 'PROVIDER_UNAVAILABLE', elopage: 'ok' },
    });
  });

  it('elepay refusing connections: a write provably never sent is PROVIDER_UNAVAILABLE, "could not be reached"', async () => {
    const gw = await gateway(elepayAt(downUrl));
    const created = await gw.gql(CreateChargeDocument, { input: CHARGE_INPUT });
    expect(created.data).toBeNull();
    expectErrors(created, [{ path: ['createCharge'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect(created.errors[0]?.message).toBe('elepay could not be reached');
  });

  it('elopage down: payment is PROVIDER_UNAVAILABLE, the charge in the same query resolves', async () => {
    const gw = await gateway(elopageAt(downUrl));
    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.payment).toBeNull();
    expect(response.data?.charge).toMatchObject({ providerId: 'ch_1', provider: 'ELEPAY' });
    expectErrors(response, [{ path: ['payment'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect((await readiness(gw)).providers).toEqual({ elepay: 'ok', elopage: 'PROVIDER_UNAVAILABLE' });
  });

  it('elepay slower than ELEPAY_TIMEOUT_MS: charge is PROVIDER_TIMEOUT, the payment resolves', async () => {
    const gw = await gateway({ ...elepayAt(slowElepaySim.baseUrl), ELEPAY_TIMEOUT_MS: '300' });
    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.charge).toBeNull();
    expect(response.data?.payment?.providerId).toBe('540391');
    expectErrors(response, [{ path: ['charge'], code: 'PROVIDER_TIMEOUT' }]);
    expect(response.errors[0]?.message).toContain('300 ms');
    expect(await readiness(gw)).toEqual({
      status: 503,
      ready: false,
      providers: { elepay: 'PROVIDER_TIMEOUT', elopage: 'ok' },
    });
  });

  it('elopage slower than ELOPAGE_TIMEOUT_MS: payment is PROVIDER_TIMEOUT, the charge resolves', async () => {
    const gw = await gateway({ ...elopageAt(slowElopageSim.baseUrl), ELOPAGE_TIMEOUT_MS: '300' });
    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.payment).toBeNull();
    expect(response.data?.charge?.providerId).toBe('ch_1');
    expectErrors(response, [{ path: ['payment'], code: 'PROVIDER_TIMEOUT' }]);
  });
});

describe('retries', () => {
  it('retries a read on a dropped connection, never a mutation', async () => {
    let connections = 0;
    const dropping = await listenTcp(() => connections++);
    cleanups.push(dropping.close);
    const gw = await gateway(elepayAt(`http://127.0.0.1:${dropping.port}`));

    const read = await gw.gql(ChargeDocument, { id: 'ch_1' });
    expectErrors(read, [{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect(connections).toBe(3); // the first try and two retries

    connections = 0;
    const created = await gw.gql(CreateChargeDocument, { input: CHARGE_INPUT });
    expect(created.data).toBeNull();
    // The connection was accepted, so the request may have been read: a charge might exist. Never
    // retried, and reported as unknown (with what to do), not as a failure a caller would repeat.
    expectErrors(created, [{ path: ['createCharge'], code: 'PROVIDER_OUTCOME_UNKNOWN' }]);
    expect(created.errors[0]?.message).toMatch(/same idempotencyKey/);
    expect(created.errors[0]?.message).not.toMatch(/could not be reached/);
    expect(connections).toBe(1);
  });
});

describe('malformed answers', () => {
  it('a provider answering nonsense is PROVIDER_UNAVAILABLE for that provider, its text never shown', async () => {
    const nonsense = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'ch_1', status: 'captured', orderNo: 'o', amount: RAW_BODY_MARKER }));
    });
    await new Promise<void>((resolve) => nonsense.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => nonsense.close(resolve)));
    const gw = await gateway(elepayAt(`http://127.0.0.1:${(nonsense.address() as AddressInfo).port}`));

    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.charge).toBeNull();
    expect(response.data?.payment?.providerId).toBe('540391');
    expectErrors(response, [{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect(response.errors[0]?.message).toBe('elepay answered with a charge of an unexpected shape');
    expect(response.text).not.toContain(RAW_BODY_MARKER);
    expect(gw.logs.some((line) => line.includes(RAW_BODY_MARKER))).toBe(false);
  });

  it.each([
    [
      'a field of the wrong type',
      { id: 'ch_1', amount: 1000, orderNo: 'o', status: 'captured', liveMode: 'yes' },
    ],
    ['a required field missing', { id: 'ch_1', amount: 1000, status: 'captured' }],
    ['an empty ID', { id: '', amount: 1000, orderNo: 'o', status: 'captured' }],
    ['a list where an object belongs', [{ id: 'ch_1', amount: 1000, orderNo: 'o', status: 'captured' }]],
  ])('a charge with %s is PROVIDER_UNAVAILABLE, of an unexpected shape', async (_, answer) => {
    const odd = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => odd.close(resolve)));
    const gw = await gateway(elepayAt(`http://127.0.0.1:${(odd.address() as AddressInfo).port}`));

    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.charge).toBeNull();
    expectErrors(response, [{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
    expect(response.errors[0]?.message).toMatch(
      /^elepay answered with (a charge of an unexpected shape|a body that is not a JSON object)$/,
    );
  });

  /** A well-formed charge whose description pads it to `mebibytes` MiB. */
  async function paddedChargeProvider(mebibytes: number, declared: boolean): Promise<string> {
    const head = Buffer.from(
      '{"id":"ch_1","amount":1000,"currency":"JPY","orderNo":"o","status":"captured","description":"',
    );
    const tail = Buffer.from('"}');
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const server = createHttpServer((_req, res) => {
      const length = head.length + mebibytes * chunk.length + tail.length;
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(declared ? { 'content-length': String(length) } : {}),
      });
      res.write(head);
      for (let i = 0; i < mebibytes; i++) res.write(chunk);
      res.end(tail);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it.each([
    ['says so in its Content-Length', true],
    ['streams it without a length', false],
  ])('an answer over 8 MiB that %s fails that read as PROVIDER_UNAVAILABLE', async (_, declared) => {
    const small = await gateway(elepayAt(await paddedChargeProvider(1, declared)));
    const fine = await small.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(fine.errors).toEqual([]);
    expect(fine.data?.charge?.providerId).toBe('ch_1');

    const gw = await gateway(elepayAt(await paddedChargeProvider(9, declared)));
    const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(response.data?.charge).toBeNull();
    expect(response.data?.payment?.providerId).toBe('540391');
    expectErrors(response, [{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
  });
});

describe('health and secrets', () => {
  it('is ready against the embedded simulators', async () => {
    const gw = await gateway({});
    expect(await get(gw, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await readiness(gw)).toEqual({
      status: 200,
      ready: true,
      providers: { elepay: 'ok', elopage: 'ok' },
    });
  });

  it('no configured secret, key or wrong key appears in any response body or log line', async () => {
    const gw = await gateway({ ...elepayAt(elepaySim.baseUrl), ...elopageAt(elopageSim.baseUrl) });
    const both = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
    expect(both.errors).toEqual([]);
    expect(both.data?.charge?.providerId).toBe('ch_1');
    expect(both.data?.payment?.providerId).toBe('540391');
    expect((await gw.gql(ChargesDocument, { first: 2 })).data?.charges?.edges).toHaveLength(2);
    const charge = await gw.gql(CreateChargeDocument, { input: CHARGE_INPUT });
    expect(charge.data?.createCharge.userErrors).toEqual([]);
    const page = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Leak check', pricingPlans: [{ oneTime: { price: '10' } }] },
    });
    expect(page.data?.createSalesPage.salesPage?.webhookUrl).toMatch(/\/webhooks\/elopage\/\*\*\*$/);
    expect(await readiness(gw)).toMatchObject({ status: 200, ready: true });

    const secrets = [
      ELEPAY_WEBHOOK_SECRET,
      ELOPAGE_WEBHOOK_TOKEN,
      WRONG_ELEPAY_KEY,
      WRONG_ELOPAGE_KEY,
      WRONG_ELOPAGE_SECRET,
      ...Object.values(elepaySim.credentials),
      ...Object.values(elopageSim.credentials),
    ];
    // Every gateway of this file: wrong keys, outages, timeouts and successes alike.
    expect(gateways.length).toBeGreaterThan(8);
    for (const each of gateways) each.expectNoLeaks(secrets);
  });
});
