import { connect } from 'node:net';
import type { Client } from 'graphql-ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createElepaySandbox, type ElepaySandbox } from '../../src/sandbox/elepay/index.js';
import { createElopageSandbox, type ElopageSandbox } from '../../src/sandbox/elopage/index.js';
import {
  ChargeAndPaymentDocument,
  ChargeDocument,
  ChargesDocument,
  CreateChargeDocument,
  CreateSalesPageDocument,
  RefundChargeDocument,
  RefundPaymentDocument,
  TransactionStatusFeedDocument,
  type TransactionStatusFeedSubscription,
} from '../generated/graphql.js';
import type { GraphQLResponse } from '../support/client.js';
import { type FaultMode, type FaultProxy, startFaultProxy } from '../support/faultProxy.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { type PrivateRedis, privateRedis, skipWithoutRedisServer } from '../support/redis.js';
import { connectWs, type Subscriber, subscribeWs } from '../support/subscriptions.js';
import { until, within } from '../support/wait.js';

/**
 * The chaos suite: a real gateway in front of both simulators, each behind a fault-injecting proxy
 * (test/support/faultProxy.ts), with a Redis of its own that it freezes (SIGSTOP) and kills. The
 * simulators send their webhooks through a third proxy to the gateway and retry every non-2xx
 * answer every 200 ms, as the real providers do on their (slower) schedules. Each case asserts what
 * a caller sees under the fault, and that nothing is lost: once the fault ends, every status change
 * reaches a subscriber exactly once, and the provider holds exactly one charge or refund per key.
 */
const SKIP = skipWithoutRedisServer('test/chaos/chaos.test.ts (private redis-server)');

const ELEPAY_KEY = 'sk_test_chaos_suite_elepay_key_0008';
const ELEPAY_WEBHOOK_SECRET = 'whsec_chaos_suite_secret_0008';
const ELOPAGE_KEY = 'chaos_suite_elopage_key_0008';
const ELOPAGE_SECRET = 'chaos_suite_elopage_secret_0008';
const ELOPAGE_WEBHOOK_TOKEN = 'chaos-suite-elopage-webhook-token-0008';
/** Retries every 200 ms, long enough to outlast any fault below. */
const WEBHOOK_RETRIES_MS = Array.from({ length: 100 }, () => 200);
const TIMEOUT_MS = 1_500;
/** How long the SIGSTOP case keeps Redis frozen (issue 8: "with Redis stopped for 20 s"). */
const REDIS_STALL_MS = 20_000;

type Feed = TransactionStatusFeedSubscription;

function codes<T>(response: GraphQLResponse<T>): { path: unknown; code: unknown }[] {
  return response.errors.map((error) => ({ path: error.path, code: error.extensions?.code }));
}

describe.skipIf(SKIP)('under faults (needs redis-server)', () => {
  let redis: PrivateRedis;
  let elepaySim: ElepaySandbox;
  let elopageSim: ElopageSandbox;
  let elepaySimUrl = '';
  let elopageSimUrl = '';
  let elepay: FaultProxy;
  let elopage: FaultProxy;
  /** Carries the simulators' webhooks to the gateway (it starts after them). */
  let relay: FaultProxy;
  let gw: TestGateway;
  let ws: Client;
  let feed: Subscriber<Feed>;

  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    relay = await startFaultProxy();
    const logger = createLogger({ level: 'silent' });
    elepaySim = createElepaySandbox({
      secretKey: ELEPAY_KEY,
      webhook: { url: `${relay.url}/webhooks/elepay`, secret: ELEPAY_WEBHOOK_SECRET },
      webhookRetryDelaysMs: WEBHOOK_RETRIES_MS,
      logger,
    });
    elopageSim = createElopageSandbox({
      apiKey: ELOPAGE_KEY,
      apiSecret: ELOPAGE_SECRET,
      // The relay stands in for the gateway: the one internal target the simulator may post to.
      allowedWebhookOrigins: [relay.url],
      webhookRetryDelaysMs: WEBHOOK_RETRIES_MS,
      logger,
    });
    [elepaySimUrl, elopageSimUrl] = await Promise.all([
      elepaySim.server.listen(),
      elopageSim.server.listen(),
    ]);
    [elepay, elopage] = await Promise.all([startFaultProxy(elepaySimUrl), startFaultProxy(elopageSimUrl)]);
    gw = await startTestGateway({
      REDIS_URL: redis.url,
      ELEPAY_BASE_URL: elepay.url,
      ELEPAY_SECRET_KEY: ELEPAY_KEY,
      ELEPAY_WEBHOOK_SECRET,
      ELOPAGE_BASE_URL: `${elopage.url}/api`,
      ELOPAGE_API_KEY: ELOPAGE_KEY,
      ELOPAGE_API_SECRET: ELOPAGE_SECRET,
      ELOPAGE_WEBHOOK_TOKEN,
      PUBLIC_URL: relay.url,
      PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
      PROVIDER_BREAKER_COOLDOWN_MS: '1000',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    relay.setTarget(gw.url);
    ws = connectWs(gw.url, gw.wsParams);
    feed = await subscribeWs(ws, TransactionStatusFeedDocument, {});
  });

  afterAll(async () => {
    await feed?.close();
    await ws?.dispose();
    await gw?.close();
    await Promise.allSettled([
      elepaySim?.server.close(),
      elopageSim?.server.close(),
      elepay?.close(),
      elopage?.close(),
      relay?.close(),
    ]);
    await redis?.stop();
  });

  /** Both providers answer a read again (a fault's circuit or hold is over). */
  const recovered = () =>
    until(
      () => gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' }),
      (response) => response.errors.length === 0,
      'both providers to answer again',
    );

  const settleAtElepay = async (chargeId: string) => {
    const response = await request(`${elepaySimUrl}/_sandbox/charges/${chargeId}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'succeed' }),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
  };

  /** A buyer pays on the sales page at the simulator (as sandboxCompleteCheckout would). */
  const payAtElopage = async (salesPageId: string) => {
    const checkout = await request(`${elopageSimUrl}/_sandbox/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sales_page_id: salesPageId,
        outcome: 'succeed',
        card_number: '5017670000005900',
      }),
    });
    expect(checkout.statusCode).toBeLessThan(300);
    return (await checkout.body.json()) as { id: number | string };
  };

  const createCharge = async (amount: string, idempotencyKey?: string) =>
    gw.gql(CreateChargeDocument, {
      input: {
        amount,
        currency: 'JPY',
        paymentMethod: 'creditcard',
        ...(idempotencyKey ? { idempotencyKey } : {}),
      },
    });

  /** A charge the payer completed, ready to refund. */
  const capturedCharge = async (amount: string) => {
    const created = await createCharge(amount);
    const charge = created.data?.createCharge.charge;
    if (!charge) throw new Error(`no charge: ${created.text}`);
    await settleAtElepay(charge.providerId);
    await until(
      async () => feed.received,
      (events) => events.some((e) => e.transactionStatusChanged.transaction.id === charge.id),
      'the capture to be published',
    );
    return charge;
  };

  /**
   * Causes a status change whose webhook the gateway must refuse: the provider sends it, gets a
   * non-2xx and retries at least once, and nothing is published meanwhile.
   */
  const expectRefusedAndRetried = async (change: () => Promise<unknown>, id: string) => {
    const forwardedBefore = relay.forwarded;
    await change();
    await until(
      async () => relay.forwarded,
      (count) => count >= forwardedBefore + 2,
      'a webhook retry',
    );
    expect(eventsFor(id)).toEqual([]);
  };

  const eventsFor = (id: string) =>
    feed.received.filter((event) => event.transactionStatusChanged.transaction.id === id);

  const chargeCount = async () => {
    const response = await gw.gql(ChargesDocument, { first: 1 });
    expect(response.errors).toEqual([]);
    return response.data?.charges?.totalCount ?? -1;
  };

  const refundsOf = async (chargeId: string) => {
    const response = await gw.gql(ChargeDocument, { id: chargeId });
    expect(response.errors).toEqual([]);
    return response.data?.charge?.refunds.edges ?? [];
  };

  describe('a read the provider cannot answer', () => {
    const unreadable: FaultMode[] = [
      'html502',
      'invalidJson',
      'truncatedJson',
      'null200',
      'empty200',
      'reset',
    ];

    it.each(unreadable)(
      '%s: PROVIDER_UNAVAILABLE in both clients alike; the other provider answers',
      async (mode) => {
        for (const [proxy, failing, path] of [
          [elepay, 'charge', /^\/charges\/ch_1$/],
          [elopage, 'payment', /^\/api\/payments\/540391$/],
        ] as const) {
          proxy.arm({ mode, method: 'GET', path });
          const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
          proxy.clear();
          expect(codes(response)).toEqual([{ path: [failing], code: 'PROVIDER_UNAVAILABLE' }]);
          expect(response.data?.[failing]).toBeNull();
          expect(response.data?.[failing === 'charge' ? 'payment' : 'charge']).not.toBeNull();
          expect(proxy.hits).toBeGreaterThan(0);
          await recovered();
        }
      },
    );

    it.each([
      ['elepay', 'a timestamp beyond any date', { createTime: 9e20 }],
      ['elepay', 'a timestamp that is no number', { paidTime: 'soon' }],
      ['elopage', 'a date that is no date', { created_date: '2017-13-45T25:99Z' }],
      ['elopage', 'a day that is no day', { success_date_short: 'yesterday' }],
      ['elepay', 'a flag that is no boolean', { liveMode: 'yes' }],
      ['elepay', 'an order number that is an object', { orderNo: { a: 1 } }],
      ['elepay', 'a payment method that is a list', { paymentMethod: ['card'] }],
      ['elopage', 'an amount that is no number', { amount: { value: 1 } }],
    ] as const)(
      '%s answering with %s: PROVIDER_UNAVAILABLE, not INTERNAL',
      async (provider, _what, fields) => {
        const [proxy, failing, path] =
          provider === 'elepay'
            ? ([elepay, 'charge', /^\/charges\/ch_1$/] as const)
            : ([elopage, 'payment', /^\/api\/payments\/540391$/] as const);
        proxy.arm({ mode: 'rewritten', method: 'GET', path, fields });
        const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
        proxy.clear();
        expect(codes(response)).toEqual([{ path: [failing], code: 'PROVIDER_UNAVAILABLE' }]);
        expect(response.errors[0]?.message).toMatch(/of an unexpected shape/);
        expect(proxy.hits).toBeGreaterThan(0);
      },
    );

    it('elepay counting more charges than GraphQL can count: the page answers, totalCount is null', async () => {
      elepay.arm({
        mode: 'rewritten',
        method: 'GET',
        path: /^\/charges$/,
        fields: { total: 99_999_999_999 },
      });
      const response = await gw.gql(ChargesDocument, { first: 1 });
      elepay.clear();
      expect(response.errors).toEqual([]);
      expect(response.data?.charges?.totalCount).toBeNull();
      expect(response.data?.charges?.edges).toHaveLength(1);
    });

    it('blackhole: PROVIDER_TIMEOUT after the deadline, nothing hangs', async () => {
      elepay.arm({ mode: 'blackhole', method: 'GET', path: /^\/charges\/ch_1$/ });
      const response = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
      elepay.clear();
      expect(codes(response)).toEqual([{ path: ['charge'], code: 'PROVIDER_TIMEOUT' }]);
      expect(response.data?.payment?.providerId).toBe('540391');
      await recovered();
    });
  });

  describe('a webhook whose object the provider cannot show', () => {
    const faults: [FaultMode, string][] = [
      ['null200', '1101'],
      ['empty200', '1102'],
      ['notFound', '1103'],
      ['truncatedJson', '1104'],
    ];

    it.each(faults)(
      'elepay %s: 503 until it can, then the change reaches the subscriber once',
      async (mode, amount) => {
        const created = await createCharge(amount);
        const charge = created.data?.createCharge.charge;
        if (!charge) throw new Error(created.text);
        elepay.arm({ mode, method: 'GET', path: new RegExp(`^/charges/${charge.providerId}$`) });
        await expectRefusedAndRetried(() => settleAtElepay(charge.providerId), charge.id);
        elepay.clear();
        await until(
          async () => eventsFor(charge.id),
          (events) => events.length > 0,
          'the capture event',
        );
        expect(eventsFor(charge.id).map((e) => e.transactionStatusChanged.status)).toEqual(['SUCCEEDED']);
      },
    );

    it('elopage null200: 503 until it can, then the payment reaches the subscriber once', async () => {
      const page = await gw.gql(CreateSalesPageDocument, {
        input: { name: 'Chaos', pricingPlans: [{ oneTime: { price: '12.50' } }] },
      });
      const salesPageId = page.data?.createSalesPage.salesPage?.providerId;
      if (!salesPageId) throw new Error(page.text);
      elopage.arm({ mode: 'null200', method: 'GET', path: /^\/api\/payments\/\d+$/ });
      const forwardedBefore = relay.forwarded;
      const payment = await payAtElopage(salesPageId);
      const globalId = Buffer.from(`Payment:elopage:${payment.id}`).toString('base64url');
      await until(
        async () => relay.forwarded,
        (count) => count >= forwardedBefore + 2,
        'a webhook retry',
      );
      expect(eventsFor(globalId)).toEqual([]);
      elopage.clear();
      await until(
        async () => eventsFor(globalId),
        (events) => events.length > 0,
        'the payment event',
      );
      expect(eventsFor(globalId).map((e) => e.transactionStatusChanged.status)).toEqual(['SUCCEEDED']);
    });
  });

  describe('a write whose answer is lost', () => {
    it.each([
      ['dropAfterWrite', 'key-chaos-drop'],
      ['truncatedJson', 'key-chaos-truncated'],
    ] as const)(
      'createCharge, %s: PROVIDER_OUTCOME_UNKNOWN; the keyed retry makes no second charge',
      async (mode, key) => {
        const before = await chargeCount();
        const idempotencyKey = `${key}-${Date.now()}`;
        elepay.arm({ mode, method: 'POST', path: /^\/charges$/ });
        const first = await createCharge('2200', idempotencyKey);
        elepay.clear();
        expect(codes(first)).toEqual([{ path: ['createCharge'], code: 'PROVIDER_OUTCOME_UNKNOWN' }]);
        expect(first.errors[0]?.message).toMatch(/same idempotencyKey/);
        expect(first.errors[0]?.message).not.toMatch(/could not be reached/);
        // It did happen: the provider holds the charge.
        expect(await chargeCount()).toBe(before + 1);
        const retried = await createCharge('2200', idempotencyKey);
        expect(retried.errors).toEqual([]);
        expect(retried.data?.createCharge.userErrors).toEqual([]);
        expect(await chargeCount()).toBe(before + 1);
      },
    );

    it('refundCharge without a key, answer dropped, truncated or late: PROVIDER_OUTCOME_UNKNOWN each time, and each refund exists', async () => {
      const charge = await capturedCharge('3000');
      const lost: FaultMode[] = ['dropAfterWrite', 'truncatedJson', 'lateAnswer'];
      for (const mode of lost) {
        elepay.arm({ mode, method: 'POST', path: /\/refunds$/ });
        const refund = await gw.gql(RefundChargeDocument, {
          input: { chargeId: charge.providerId, amount: '100' },
        });
        elepay.clear();
        expect(codes(refund)).toEqual([{ path: ['refundCharge'], code: 'PROVIDER_OUTCOME_UNKNOWN' }]);
        expect(refund.errors[0]?.message).toMatch(/it may have/);
        expect(refund.errors[0]?.message).not.toMatch(/could not be reached/);
      }
      // What the caller was told is what happened: each of the three "failures" refunded.
      expect(await refundsOf(charge.providerId)).toHaveLength(lost.length);
    });

    it('elopage refundPayment, answer dropped: PROVIDER_OUTCOME_UNKNOWN, and the refund exists once', async () => {
      const payment = await payAtElopage('1087');
      const input = { paymentId: String(payment.id) };
      elopage.arm({ mode: 'dropAfterWrite', method: 'POST', path: /^\/api\/payments\/\d+\/refund$/ });
      const lost = await gw.gql(RefundPaymentDocument, { input });
      elopage.clear();
      expect(codes(lost)).toEqual([{ path: ['refundPayment'], code: 'PROVIDER_OUTCOME_UNKNOWN' }]);
      // It happened: elopage refunds a payment once, in full, and refuses a second refund.
      const again = await gw.gql(RefundPaymentDocument, { input });
      expect(again.data?.refundPayment.userErrors.map((error) => error.code)).toEqual(['INVALID_STATE']);
    });

    it('refundCharge with a key, answer late: PROVIDER_OUTCOME_UNKNOWN; the keyed retry makes one refund', async () => {
      const charge = await capturedCharge('3100');
      const input = {
        chargeId: charge.providerId,
        amount: '100',
        idempotencyKey: `key-chaos-late-${Date.now()}`,
      };
      elepay.arm({ mode: 'truncatedJson', method: 'POST', path: /\/refunds$/ });
      const first = await gw.gql(RefundChargeDocument, { input });
      elepay.clear();
      expect(codes(first)).toEqual([{ path: ['refundCharge'], code: 'PROVIDER_OUTCOME_UNKNOWN' }]);
      const retried = await gw.gql(RefundChargeDocument, { input });
      expect(retried.errors).toEqual([]);
      expect(retried.data?.refundCharge.userErrors).toEqual([]);
      expect(await refundsOf(charge.providerId)).toHaveLength(1);
    });
  });

  describe('a provider that asks for a pause or keeps failing', () => {
    it('429 with Retry-After: not retried sooner; retryAfter in extensions; elopage unaffected', async () => {
      elepay.arm({ mode: 'rateLimited', method: 'GET', retryAfterSeconds: 2 });
      const first = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
      expect(codes(first)).toEqual([{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
      expect(first.errors[0]?.extensions?.retryAfter).toBe(2);
      expect(elepay.hits).toBe(1);
      // Within the pause nothing is sent, and the caller is told how long to wait.
      const second = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
      expect(codes(second)).toEqual([{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
      expect(second.errors[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
      expect(second.errors[0]?.message).toMatch(/asked for a pause \(Retry-After\)/);
      expect(second.data?.payment?.providerId).toBe('540391');
      expect(elepay.hits).toBe(1);
      elepay.clear();
      await recovered();
    });

    it('the circuit opens after repeated failures, fails fast with retryAfter, and a probe closes it', async () => {
      elepay.arm({ mode: 'reset' });
      for (let i = 0; i < 2; i++) await gw.gql(ChargeDocument, { id: 'ch_1' });
      const hits = elepay.hits;
      const open = await gw.gql(ChargeAndPaymentDocument, { chargeId: 'ch_1', paymentId: '540391' });
      expect(codes(open)).toEqual([{ path: ['charge'], code: 'PROVIDER_UNAVAILABLE' }]);
      expect(open.errors[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
      expect(open.data?.payment?.providerId).toBe('540391');
      expect(elepay.hits).toBe(hits); // failed without calling elepay
      expect(gw.logs.some((line) => line.includes('provider circuit open'))).toBe(true);
      elepay.clear();
      await recovered();
      expect(gw.logs.some((line) => line.includes('provider circuit closed'))).toBe(true);
    });
  });

  describe('a Redis that stops answering', () => {
    const readyz = async () => {
      const response = await request(`${gw.url}/readyz`);
      return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
    };
    const countLogs = (text: string) => gw.logs.filter((line) => line.includes(text)).length;

    it('SIGSTOP for 20 s: plain queries answer throughout, a keyed mutation fails fast and does nothing, webhooks wait; /readyz says what; then the keyed retry makes one charge', {
      timeout: 90_000,
    }, async () => {
      const created = await createCharge('4400');
      const charge = created.data?.createCharge.charge;
      if (!charge) throw new Error(created.text);
      const before = await chargeCount();
      const idempotencyKey = `key-chaos-redis-${Date.now()}`;
      const keyed = () => within(5_000, 'a keyed mutation', createCharge('4500', idempotencyKey));
      const expectRefusedKeyed = async () => {
        const refused = await keyed();
        expect(codes(refused)).toEqual([{ path: ['createCharge'], code: 'IDEMPOTENCY_UNAVAILABLE' }]);
        expect(refused.errors[0]?.message).toMatch(/nothing was done/);
      };
      const expectReadyzNamesRedis = async () => {
        const ready = await within(5_000, '/readyz', readyz());
        expect(ready.status).toBe(503);
        expect(ready.body.eventLog).toBe('unavailable');
        expect(Object.keys(ready.body.redis as object).sort()).toEqual([
          'eventLog',
          'idempotency',
          'rateLimit',
        ]);
        expect(Object.values(ready.body.redis as Record<string, string>)).not.toContain('ok');
      };
      redis.pause();
      const frozenAt = Date.now();
      try {
        // While every connection is up but nothing answers (command deadlines) …
        await expectRefusedKeyed();
        await expectReadyzNamesRedis();
        await expectRefusedAndRetried(() => settleAtElepay(charge.providerId), charge.id);
        await until(
          async () => countLogs('redis is not answering'),
          (n) => n > 0,
          'the stall to be logged',
        );
        // … and on, while the connections are dropped and reconnect to a Redis that does not
        // answer: a plain query answers every time (without deadlines it hung until SIGCONT).
        let reads = 0;
        await until(
          async () => {
            const read = await within(5_000, 'a plain query', gw.gql(ChargeDocument, { id: 'ch_1' }));
            expect(read.errors).toEqual([]);
            expect(read.data?.charge?.providerId).toBe('ch_1');
            reads++;
            return Date.now() - frozenAt;
          },
          (frozenForMs) => frozenForMs >= REDIS_STALL_MS,
          'the end of the stall, with plain queries answering throughout',
          REDIS_STALL_MS + 15_000,
        );
        expect(reads).toBeGreaterThan(1);
        await expectRefusedKeyed();
        await expectReadyzNamesRedis();
      } finally {
        redis.resume();
      }
      await until(
        async () => eventsFor(charge.id),
        (events) => events.length > 0,
        'the capture event',
      );
      await until(readyz, (ready) => ready.status === 200, '/readyz to recover');
      await until(
        async () => countLogs('redis is answering again'),
        (n) => n > 0,
        'the recovery to be logged',
      );
      expect(countLogs('redis is not answering')).toBe(1);
      expect(countLogs('redis is answering again')).toBe(1);
      // The refused attempts did nothing; the retry with their key executes once, then replays.
      expect(await chargeCount()).toBe(before);
      const retried = await createCharge('4500', idempotencyKey);
      expect(retried.errors).toEqual([]);
      expect(retried.data?.createCharge.userErrors).toEqual([]);
      const replayed = await createCharge('4500', idempotencyKey);
      expect(replayed.data?.createCharge.charge?.id).toBe(retried.data?.createCharge.charge?.id);
      expect(await chargeCount()).toBe(before + 1);
    });

    it('SIGKILL: reads answer, /readyz says unavailable; a new Redis is picked up', async () => {
      await redis.stop();
      const read = await gw.gql(ChargeDocument, { id: 'ch_1' });
      expect(read.errors).toEqual([]);
      const down = await until(readyz, (ready) => ready.status === 503, '/readyz to notice');
      expect(down.body.eventLog).toBe('unavailable');
      await redis.start();
      await until(readyz, (ready) => ready.status === 200, '/readyz to recover');
      const charge = await capturedCharge('4600');
      expect(eventsFor(charge.id).map((e) => e.transactionStatusChanged.status)).toEqual(['SUCCEEDED']);
    });
  });

  it('a webhook body that never finishes is cut off with 408, not held open', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('close', () => resolve(text));
    });
    socket.write('POST /webhooks/elepay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
    socket.write('Content-Length: 1000\r\n\r\n{"type":');
    expect(await answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('nothing was lost or published twice, and no secret leaked', async () => {
    // A last change flushes the stream: everything before it has been delivered by now.
    const sentinel = await capturedCharge('9999');
    expect(eventsFor(sentinel.id)).toHaveLength(1);
    const seen = feed.received.map(
      (e) => `${e.transactionStatusChanged.transaction.id} ${e.transactionStatusChanged.status}`,
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(feed.errors).toEqual([]);
    gw.expectNoLeaks([ELEPAY_KEY, ELEPAY_WEBHOOK_SECRET, ELOPAGE_KEY, ELOPAGE_SECRET, ELOPAGE_WEBHOOK_TOKEN]);
  });
});
