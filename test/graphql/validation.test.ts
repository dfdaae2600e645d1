import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type BillingInterval,
  CreateChargeDocument,
  CreatePricingPlanDocument,
  CreateSalesPageDocument,
  PaymentDocument,
  type PricingPlanInput,
  RefundPaymentDocument,
  RefundTransactionDocument,
  SandboxCompleteCheckoutDocument,
  SandboxSettleTransactionDocument,
  UpdateSalesPageDocument,
} from '../generated/graphql.js';
import { sandboxStats, startSimulator, startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Bad input is answered with `userErrors` naming the field at fault, and the simulators' request
 * counts prove it never reached a provider (or reached it only to read what the check needs).
 */
const WEBHOOK_TOKEN = 'elopage-webhook-token-for-validation-1';
// A reserved name that never resolves (RFC 2606): no webhook reaches the gateway, so it makes no
// calls of its own accord behind the counts' back.
const NO_WEBHOOKS = 'https://hooks.invalid/elopage';
const plan = (price: string): PricingPlanInput => ({ oneTime: { price } });

let gw: TestGateway;
let fullPageId = '';
let paymentId = '';
let pendingPaymentId = '';

async function checkout(
  input: { salesPageId: string; paymentMethod?: string; iban?: string },
  pending = false,
) {
  const { data } = await gw.gql(SandboxCompleteCheckoutDocument, {
    input: { ...input, outcome: pending ? 'PENDING' : 'SUCCEED' },
  });
  const payment = data?.sandboxCompleteCheckout.payment;
  if (!payment) throw new Error(`checkout failed: ${JSON.stringify(data)}`);
  return payment;
}

async function expectNoProviderCall(): Promise<void> {
  expect((await gw.stats('elopage')).total).toBe(0);
  expect((await gw.stats('elepay')).total).toBe(0);
}

beforeAll(async () => {
  gw = await startTestGateway({ ELOPAGE_WEBHOOK_TOKEN: WEBHOOK_TOKEN });
  const { data } = await gw.gql(CreateSalesPageDocument, {
    input: {
      name: 'Five plans',
      webhookUrl: NO_WEBHOOKS,
      pricingPlans: ['10', '20', '30', '40', '50'].map(plan),
    },
  });
  expect(data?.createSalesPage.salesPage?.pricingPlans).toHaveLength(5);
  fullPageId = data?.createSalesPage.salesPage?.id ?? '';
  paymentId = (await checkout({ salesPageId: fullPageId })).id;
  const sepa = await checkout(
    { salesPageId: fullPageId, paymentMethod: 'bank_account', iban: 'DE89370400440532013000' },
    true,
  );
  expect(sepa.status).toBe('PENDING');
  pendingPaymentId = sepa.id;
});
beforeEach(() => gw.resetStats());
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

describe('elopage input is checked before any call', () => {
  it('a sales page with 6 pricing plans → TOO_MANY_PRICING_PLANS on input.pricingPlans', async () => {
    const { data, errors } = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Six plans', pricingPlans: ['1', '2', '3', '4', '5', '6'].map(plan) },
    });
    expect(errors).toEqual([]);
    expect(data?.createSalesPage.salesPage).toBeNull();
    expect(data?.createSalesPage.userErrors).toEqual([
      { field: ['input', 'pricingPlans'], code: 'TOO_MANY_PRICING_PLANS', message: expect.any(String) },
    ]);
    await expectNoProviderCall();
  });

  it('a negative, a malformed and an over-precise amount → INVALID, each at its plan field', async () => {
    const { data } = await gw.gql(CreateSalesPageDocument, {
      input: {
        name: 'Bad prices',
        pricingPlans: [
          plan('-1'),
          plan('12,5'),
          {
            subscription: {
              firstInterval: 'ONE_MONTH',
              firstAmount: '9.90',
              nextInterval: 'ONE_MONTH',
              nextAmount: '9.999',
            },
          },
        ],
      },
    });
    expect(data?.createSalesPage.salesPage).toBeNull();
    expect(data?.createSalesPage.userErrors).toEqual([
      {
        field: ['input', 'pricingPlans', '0', 'oneTime', 'price'],
        code: 'INVALID',
        message: 'must not be negative',
      },
      {
        field: ['input', 'pricingPlans', '1', 'oneTime', 'price'],
        code: 'INVALID',
        message: expect.stringContaining('decimal number'),
      },
      {
        field: ['input', 'pricingPlans', '2', 'subscription', 'nextAmount'],
        code: 'INVALID',
        message: 'EUR amounts take at most 2 decimal places',
      },
    ]);
    await expectNoProviderCall();
  });

  it('a blank name → REQUIRED on input.name', async () => {
    const { data } = await gw.gql(CreateSalesPageDocument, {
      input: { name: '  ', pricingPlans: [plan('10')] },
    });
    expect(data?.createSalesPage.userErrors).toEqual([
      { field: ['input', 'name'], code: 'REQUIRED', message: expect.any(String) },
    ]);
    await expectNoProviderCall();
  });

  it('a sixth plan for a full page → TOO_MANY_PRICING_PLANS after reading the page, without creating', async () => {
    const { data } = await gw.gql(CreatePricingPlanDocument, {
      input: { salesPageId: fullPageId, plan: plan('60') },
    });
    expect(data?.createPricingPlan.pricingPlan).toBeNull();
    expect(data?.createPricingPlan.userErrors).toMatchObject([
      { field: ['input', 'salesPageId'], code: 'TOO_MANY_PRICING_PLANS' },
    ]);
    expect((await gw.stats('elopage')).routes).toEqual({ 'GET /api/sales_pages/:id': 1 });

    const update = await gw.gql(UpdateSalesPageDocument, {
      input: { id: fullPageId, pricingPlans: [plan('60')] },
    });
    expect(update.data?.updateSalesPage.userErrors).toMatchObject([
      { field: ['input', 'pricingPlans'], code: 'TOO_MANY_PRICING_PLANS' },
    ]);
    expect((await gw.stats('elopage')).routes).toEqual({ 'GET /api/sales_pages/:id': 2 });
  });

  it('a malformed plan for createPricingPlan → INVALID without even reading the page', async () => {
    const { data } = await gw.gql(CreatePricingPlanDocument, {
      input: { salesPageId: fullPageId, plan: plan('1e3') },
    });
    expect(data?.createPricingPlan.userErrors).toMatchObject([
      { field: ['input', 'plan', 'oneTime', 'price'], code: 'INVALID' },
    ]);
    await expectNoProviderCall();
  });

  it('refundTransaction with an amount on an elopage payment → PARTIAL_REFUND_UNSUPPORTED', async () => {
    const { data } = await gw.gql(RefundTransactionDocument, {
      input: { transactionId: paymentId, amount: '10.00' },
    });
    expect(data?.refundTransaction.refund).toBeNull();
    expect(data?.refundTransaction.userErrors).toMatchObject([
      { field: ['input', 'amount'], code: 'PARTIAL_REFUND_UNSUPPORTED' },
    ]);
    await expectNoProviderCall();
  });

  it('refundPayment of a pending SEPA payment → INVALID_STATE, no refund call', async () => {
    const { data } = await gw.gql(RefundPaymentDocument, { input: { paymentId: pendingPaymentId } });
    expect(data?.refundPayment.refund).toBeNull();
    expect(data?.refundPayment.userErrors).toMatchObject([
      { field: ['input', 'paymentId'], code: 'INVALID_STATE', message: expect.stringContaining('pending') },
    ]);
    expect((await gw.stats('elopage')).routes).toEqual({ 'GET /api/payments/:id': 1 });
  });
});

describe('GraphQL itself rejects what the schema rules out, before execution', () => {
  it('an unknown BillingInterval value', async () => {
    const { status, data, errors } = await gw.gql(CreateSalesPageDocument, {
      input: {
        name: 'Five days',
        pricingPlans: [
          {
            subscription: {
              firstInterval: '5d' as unknown as BillingInterval,
              firstAmount: '10',
              nextInterval: 'ONE_MONTH',
              nextAmount: '10',
            },
          },
        ],
      },
    });
    // A request error (GraphQL over HTTP): 400, no data, nothing executed.
    expect(status).toBe(400);
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('BillingInterval');
    expect(errors[0]?.message).toContain('firstInterval');
    await expectNoProviderCall();
  });

  it('a Decimal sent as a JSON number', async () => {
    const { status, data, errors } = await gw.gql(CreateSalesPageDocument, {
      input: { name: 'Float price', pricingPlans: [{ oneTime: { price: 12.5 as unknown as string } }] },
    });
    // A request error (GraphQL over HTTP): 400, no data, nothing executed.
    expect(status).toBe(400);
    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('oneTime.price');
    expect(errors[0]?.message).toContain('Decimal must be a string');
    await expectNoProviderCall();
  });
});

describe('elepay charge input', () => {
  const charge = (input: { amount: string; metadata?: Record<string, unknown> }) =>
    gw.gql(CreateChargeDocument, { input: { currency: 'JPY', paymentMethod: 'creditcard', ...input } });

  it.each(['0', '-5', '1e3', '10.5'])('amount "%s" JPY → INVALID on input.amount', async (amount) => {
    const { data } = await charge({ amount });
    expect(data?.createCharge.charge).toBeNull();
    expect(data?.createCharge.userErrors).toMatchObject([{ field: ['input', 'amount'], code: 'INVALID' }]);
    await expectNoProviderCall();
  });

  it('metadata with 21 keys or a non-string value → INVALID on input.metadata', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`key${i}`, 'v']));
    for (const metadata of [tooMany, { sku: 'A-1', quantity: 2 }]) {
      const { data } = await charge({ amount: '1000', metadata });
      expect(data?.createCharge.userErrors).toMatchObject([
        { field: ['input', 'metadata'], code: 'INVALID' },
      ]);
    }
    await expectNoProviderCall();
  });
});

describe('sandbox helpers against a remote elopage', () => {
  it('answer SANDBOX_ONLY and call nothing', async () => {
    const simulator = await startSimulator('elopage');
    const remote = await startTestGateway({
      ELOPAGE_BASE_URL: simulator.baseUrl,
      ...simulator.credentials,
      ELOPAGE_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    });
    try {
      const completed = await remote.gql(SandboxCompleteCheckoutDocument, {
        input: { salesPageId: '1087', outcome: 'SUCCEED' },
      });
      expect(completed.data?.sandboxCompleteCheckout.payment).toBeNull();
      expect(completed.data?.sandboxCompleteCheckout.userErrors).toMatchObject([
        { field: null, code: 'SANDBOX_ONLY' },
      ]);
      const settled = await remote.gql(SandboxSettleTransactionDocument, {
        input: { transactionId: pendingPaymentId, outcome: 'SUCCEED' },
      });
      expect(settled.data?.sandboxSettleTransaction.userErrors).toMatchObject([
        { field: null, code: 'SANDBOX_ONLY' },
      ]);
      expect((await sandboxStats(simulator.url)).total).toBe(0);
      // Helper routes are not counted by the simulator; the gateway's own log of its calls shows none.
      const providerCalls = () => remote.logs.filter((line) => line.includes('"provider call'));
      expect(providerCalls()).toEqual([]);
      // …which it would show: a real read through the same gateway is logged.
      expect((await remote.gql(PaymentDocument, { id: '540391' })).data?.payment?.providerId).toBe('540391');
      expect(providerCalls().some((line) => line.includes('GET /payments/:id'))).toBe(true);
      remote.expectNoLeaks(Object.values(simulator.credentials));
    } finally {
      await remote.close();
      await simulator.server.close();
    }
  });
});
