import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSalesPageDocument,
  NodeDocument,
  PaymentDocument,
  RefundDocument,
  RefundPaymentDocument,
  SalesPageDocument,
  SandboxCompleteCheckoutDocument,
  TransactionDocument,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/** The README walkthrough for elopage: sales page → sandbox checkout → payment → refund → read back. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ ELOPAGE_WEBHOOK_TOKEN: 'elopage-webhook-token-for-tests-0001' });
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

describe('elopage: sales page to refund', () => {
  let salesPageId = '';
  let paymentId = '';

  it('creates a sales page with one-time, subscription and split plans, exact to the cent', async () => {
    const { data, errors } = await gw.gql(CreateSalesPageDocument, {
      input: {
        name: 'Masterclass',
        pricingPlans: [
          { oneTime: { price: '199.90', oldPrice: '249' } },
          {
            subscription: {
              firstInterval: 'ONE_WEEK',
              firstAmount: '9.9',
              nextInterval: 'ONE_MONTH',
              nextAmount: '19.90',
            },
          },
          {
            split: {
              paymentsCount: 3,
              firstInterval: 'ONE_MONTH',
              firstAmount: '70',
              nextInterval: 'ONE_MONTH',
              nextAmount: '65.00',
              splittingType: 'LIMITED_SUBSCRIPTION',
            },
          },
        ],
        authors: [{ authorId: '4', customCommissionEnabled: true, commission: '10' }],
      },
    });
    expect(errors).toEqual([]);
    const page = data?.createSalesPage.salesPage;
    expect(data?.createSalesPage.userErrors).toEqual([]);
    expect(page?.name).toBe('Masterclass');
    // The default webhook is the gateway's own elopage route; its guarding token is never shown.
    expect(page?.webhookUrl).toBe(`${gw.url}/webhooks/elopage/***`);
    const [oneTime, subscription, split] = page?.pricingPlans ?? [];
    expect(oneTime).toMatchObject({
      form: 'ONE_TIME',
      price: { amount: '199.90', currency: 'EUR' },
      oldPrice: { amount: '249.00' },
    });
    expect(subscription).toMatchObject({
      form: 'SUBSCRIPTION',
      firstInterval: 'ONE_WEEK',
      firstAmount: { amount: '9.90' },
      nextInterval: 'ONE_MONTH',
      nextAmount: { amount: '19.90' },
    });
    expect(split).toMatchObject({
      form: 'SPLIT',
      paymentsCount: 3,
      splittingType: 'LIMITED_SUBSCRIPTION',
      firstAmount: { amount: '70.00' },
    });
    salesPageId = page?.id ?? '';
    const read = await gw.gql(SalesPageDocument, { id: page?.providerId ?? '' });
    expect(read.data?.salesPage?.id).toBe(salesPageId);
  });

  it('buys it in the sandbox: payer, money and status read back through payment and node', async () => {
    const { data } = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId,
        paymentMethod: 'card',
        cardNumber: '5017670000005900',
        outcome: 'SUCCEED',
        payer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
      },
    });
    const payment = data?.sandboxCompleteCheckout.payment;
    expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      providerStatus: 'successful',
      amount: { amount: '199.90', currency: 'EUR' },
      revenue: { amount: '199.90' },
      fee: { amount: '6.05' },
      netAmount: { amount: '193.85' },
      payer: { email: 'ada@example.com', firstName: 'Ada' },
      salesPage: { id: salesPageId },
    });
    // A 10 % commission of the net stays exact: no rounding of "19.385".
    expect(payment?.authorCommissions[0]?.amount.amount).toBe('19.385');
    paymentId = payment?.id ?? '';

    const byRawId = await gw.gql(PaymentDocument, { id: payment?.providerId ?? '' });
    expect(byRawId.data?.payment?.id).toBe(paymentId);
    expect(byRawId.data?.payment?.salesPage?.pricingPlans).toHaveLength(3);
    const node = await gw.gql(NodeDocument, { id: paymentId });
    expect(node.data?.node).toMatchObject({ __typename: 'Payment', status: 'SUCCEEDED' });
  });

  it('refunds it in full and reads the refund back through refund, transaction and node', async () => {
    const { data } = await gw.gql(RefundPaymentDocument, { input: { paymentId } });
    expect(data?.refundPayment.userErrors).toEqual([]);
    const refund = data?.refundPayment.refund;
    expect(refund).toMatchObject({
      provider: 'ELOPAGE',
      status: 'SUCCEEDED',
      amount: { amount: '199.90', currency: 'EUR' },
      netAmount: { amount: '193.85' },
      refundedTransaction: { id: paymentId },
    });
    expect(refund?.authorCommissions[0]?.amount.amount).toBe('19.385');

    const refundId = refund?.id ?? '';
    expect((await gw.gql(RefundDocument, { id: refundId })).data?.refund?.id).toBe(refundId);
    expect((await gw.gql(RefundDocument, { id: refund?.providerId ?? '' })).data?.refund?.id).toBe(refundId);
    const transaction = await gw.gql(TransactionDocument, { id: refundId });
    expect(transaction.data?.transaction).toMatchObject({
      __typename: 'Refund',
      amount: { amount: '199.90' },
    });
    expect((await gw.gql(NodeDocument, { id: refundId })).data?.node?.__typename).toBe('Refund');
    // A refund is not a payment: asking for it as one finds nothing.
    expect((await gw.gql(PaymentDocument, { id: refund?.providerId ?? '' })).data?.payment).toBeNull();
  });
});
