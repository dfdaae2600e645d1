import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelChargeDocument,
  CaptureChargeDocument,
  ChargeDocument,
  ChargesDocument,
  type ChargesQueryVariables,
  CreateChargeDocument,
  type CreateChargeInput,
  NodeDocument,
  RefundChargeDocument,
  RefundDocument,
  RefundTransactionDocument,
  SandboxSettleTransactionDocument,
  TransactionDocument,
} from '../generated/graphql.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/** The README walkthrough for elepay: charge → payer settles → capture/cancel → refunds → read back. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ ELEPAY_WEBHOOK_SECRET: 'elepay-webhook-secret-for-tests-0001' });
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

async function createCharge(input: Partial<CreateChargeInput> = {}) {
  const { data, errors } = await gw.gql(CreateChargeDocument, {
    input: { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard', ...input },
  });
  expect(errors).toEqual([]);
  return data?.createCharge;
}

async function settle(transactionId: string) {
  const { data, errors } = await gw.gql(SandboxSettleTransactionDocument, {
    input: { transactionId, outcome: 'SUCCEED' },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
  return data?.sandboxSettleTransaction.transaction;
}

async function readCharge(id: string) {
  const { data, errors } = await gw.gql(ChargeDocument, { id });
  expect(errors).toEqual([]);
  return data?.charge;
}

describe('elepay: charge, capture, cancel, refund', () => {
  let capturedId = ''; // ¥1000, paid in full, then refunded in two steps
  let partialCaptureId = ''; // ¥1000 authorized, ¥600 captured
  let canceledId = '';
  const refundIds: string[] = [];

  it('creates a ¥1000 card charge: PENDING, exact yen, an orderNo generated', async () => {
    const payload = await createCharge({ description: 'Coffee beans' });
    expect(payload?.userErrors).toEqual([]);
    const charge = payload?.charge;
    expect(charge).toMatchObject({
      provider: 'ELEPAY',
      status: 'PENDING',
      providerStatus: 'pending',
      amount: { amount: '1000', currency: 'JPY' },
      refundedAmount: { amount: '0', currency: 'JPY' },
      paymentMethod: 'creditcard',
      description: 'Coffee beans',
      liveMode: false,
      paidAt: null,
    });
    expect(charge?.orderNo.length).toBeGreaterThan(0);
    expect(charge?.orderNo.length).toBeLessThanOrEqual(50);
    capturedId = charge?.id ?? '';

    // Nothing is paid yet, so nothing can be refunded.
    const early = await gw.gql(RefundChargeDocument, { input: { chargeId: capturedId, amount: '100' } });
    expect(early.data?.refundCharge.userErrors[0]?.code).toBe('INVALID_STATE');
    expect(early.data?.refundCharge.refund).toBeNull();
  });

  it('the payer pays: SUCCEEDED, and a captured charge cannot be canceled', async () => {
    expect(await settle(capturedId)).toMatchObject({
      __typename: 'Charge',
      id: capturedId,
      status: 'SUCCEEDED',
      providerStatus: 'captured',
      amount: { amount: '1000', currency: 'JPY' },
    });
    const charge = await readCharge(capturedId);
    expect(charge?.status).toBe('SUCCEEDED');
    expect(charge?.paidAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const cancel = await gw.gql(CancelChargeDocument, { input: { chargeId: capturedId } });
    expect(cancel.data?.cancelCharge.userErrors).toMatchObject([{ code: 'INVALID_STATE' }]);
    expect((await readCharge(capturedId))?.status).toBe('SUCCEEDED');
  });

  it('authorizes only (capture: false), then captures less than authorized', async () => {
    const created = await createCharge({ capture: false });
    partialCaptureId = created?.charge?.id ?? '';
    expect(await settle(partialCaptureId)).toMatchObject({
      status: 'AUTHORIZED',
      providerStatus: 'uncaptured',
    });
    expect((await readCharge(partialCaptureId))?.authorizedAmount).toEqual({
      amount: '1000',
      currency: 'JPY',
    });

    const tooMuch = await gw.gql(CaptureChargeDocument, {
      input: { chargeId: partialCaptureId, amount: '1001' },
    });
    expect(tooMuch.data?.captureCharge.userErrors).toMatchObject([
      { code: 'AMOUNT_EXCEEDS_REMAINING', field: ['input', 'amount'] },
    ]);

    const { data } = await gw.gql(CaptureChargeDocument, {
      input: { chargeId: partialCaptureId, amount: '600' },
    });
    expect(data?.captureCharge.userErrors).toEqual([]);
    expect(data?.captureCharge.charge).toMatchObject({
      id: partialCaptureId,
      status: 'SUCCEEDED',
      amount: { amount: '600', currency: 'JPY' },
    });
  });

  it('cancels a pending charge: CANCELED', async () => {
    canceledId = (await createCharge())?.charge?.id ?? '';
    const { data } = await gw.gql(CancelChargeDocument, { input: { chargeId: canceledId } });
    expect(data?.cancelCharge.userErrors).toEqual([]);
    expect(data?.cancelCharge.charge).toMatchObject({ status: 'CANCELED', providerStatus: 'revoked' });
    expect((await readCharge(canceledId))?.status).toBe('CANCELED');
  });

  it('refuses a refund above what remains before calling elepay', async () => {
    await gw.resetStats();
    const { data } = await gw.gql(RefundChargeDocument, { input: { chargeId: capturedId, amount: '1001' } });
    expect(data?.refundCharge.userErrors).toMatchObject([
      { code: 'AMOUNT_EXCEEDS_REMAINING', field: ['input', 'amount'] },
    ]);
    expect((await gw.stats('elepay')).routes['POST /charges/:id/refunds']).toBeUndefined();
  });

  it('refunds ¥300, settles it: PARTIALLY_REFUNDED with ¥300 refunded', async () => {
    const { data } = await gw.gql(RefundChargeDocument, {
      input: { chargeId: capturedId, amount: '300', reason: 'One bag was torn' },
    });
    expect(data?.refundCharge.userErrors).toEqual([]);
    const refund = data?.refundCharge.refund;
    expect(refund).toMatchObject({
      provider: 'ELEPAY',
      status: 'PENDING',
      providerStatus: 'pending',
      amount: { amount: '300', currency: 'JPY' },
      reason: 'One bag was torn',
      refundedTransaction: { id: capturedId },
    });
    refundIds.push(refund?.id ?? '');
    // The pending ¥300 already counts against what is left: ¥701 no longer fits.
    const over = await gw.gql(RefundChargeDocument, { input: { chargeId: capturedId, amount: '701' } });
    expect(over.data?.refundCharge.userErrors[0]?.code).toBe('AMOUNT_EXCEEDS_REMAINING');
    // Of the three refund attempts since the stats reset, only the valid one reached elepay.
    expect((await gw.stats('elepay')).routes['POST /charges/:id/refunds']).toBe(1);

    expect(await settle(refund?.id ?? '')).toMatchObject({
      __typename: 'Refund',
      status: 'SUCCEEDED',
      providerStatus: 'refunded',
    });
    expect(await readCharge(capturedId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refundedAmount: { amount: '300', currency: 'JPY' },
      refundedAt: null,
    });
  });

  it('refunds the rest without an amount: ¥700, then REFUNDED', async () => {
    const { data } = await gw.gql(RefundChargeDocument, { input: { chargeId: capturedId } });
    expect(data?.refundCharge.userErrors).toEqual([]);
    const refund = data?.refundCharge.refund;
    expect(refund?.amount).toEqual({ amount: '700', currency: 'JPY' });
    refundIds.push(refund?.id ?? '');
    await settle(refund?.id ?? '');
    const charge = await readCharge(capturedId);
    expect(charge).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: '1000' } });
    expect(charge?.refundedAt).not.toBeNull();

    const again = await gw.gql(RefundChargeDocument, { input: { chargeId: capturedId } });
    expect(again.data?.refundCharge.userErrors[0]?.code).toBe('INVALID_STATE');
  });

  it('reads the refunds back through refund, transaction, node and Charge.refunds', async () => {
    const [first = '', second = ''] = refundIds;
    const byId = await gw.gql(RefundDocument, { id: first });
    expect(byId.data?.refund).toMatchObject({
      id: first,
      status: 'SUCCEEDED',
      amount: { amount: '300' },
      refundedTransaction: { id: capturedId, provider: 'ELEPAY', status: 'REFUNDED' },
    });
    expect(byId.data?.refund?.refundedAt).not.toBeNull();
    const transaction = await gw.gql(TransactionDocument, { id: second });
    expect(transaction.data?.transaction).toMatchObject({
      __typename: 'Refund',
      provider: 'ELEPAY',
      amount: { amount: '700', currency: 'JPY' },
      refundedTransaction: { id: capturedId },
    });
    const node = await gw.gql(NodeDocument, { id: second });
    expect(node.data?.node).toMatchObject({ __typename: 'Refund', id: second, status: 'SUCCEEDED' });

    const refunds = (await readCharge(capturedId))?.refunds;
    expect(refunds?.edges.map((edge) => [edge.node.id, edge.node.amount.amount])).toEqual([
      [first, '300'],
      [second, '700'],
    ]);
    expect(refunds?.pageInfo.hasNextPage).toBe(false);
  });

  it('refundTransaction dispatches a charge global ID to elepay', async () => {
    const { data } = await gw.gql(RefundTransactionDocument, {
      input: { transactionId: partialCaptureId, amount: '100', reason: 'Goodwill' },
    });
    expect(data?.refundTransaction.userErrors).toEqual([]);
    expect(data?.refundTransaction.refund).toMatchObject({
      provider: 'ELEPAY',
      status: 'PENDING',
      amount: { amount: '100', currency: 'JPY' },
      reason: 'Goodwill',
      refundedTransaction: { id: partialCaptureId },
    });
    expect(data?.refundTransaction.transaction).toMatchObject({ __typename: 'Charge', id: partialCaptureId });
    // Only the ¥600 captured can be refunded, ¥100 of which is now pending.
    const over = await gw.gql(RefundTransactionDocument, {
      input: { transactionId: partialCaptureId, amount: '501' },
    });
    expect(over.data?.refundTransaction.userErrors[0]?.code).toBe('AMOUNT_EXCEEDS_REMAINING');
  });

  it('lists charges newest first, page by page, with totalCount', async () => {
    const first = await gw.gql(ChargesDocument, { first: 2 });
    expect(first.errors).toEqual([]);
    const total = first.data?.charges?.totalCount ?? 0;
    expect(total).toBeGreaterThanOrEqual(7 + 3); // the seed plus this suite's charges
    expect(first.data?.charges?.edges[0]?.node.id).toBe(canceledId);
    expect(first.data?.charges?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const variables: ChargesQueryVariables = { first: 4, after };
      const connection = (await gw.gql(ChargesDocument, variables)).data?.charges;
      expect(connection?.totalCount).toBe(total);
      seen.push(...(connection?.edges.map((edge) => edge.node.id) ?? []));
      if (!connection?.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toEqual(expect.arrayContaining([capturedId, partialCaptureId, canceledId]));
  });

  it('filters charges by status and by orderNo', async () => {
    const canceled = (await gw.gql(ChargesDocument, { first: 50, filter: { status: 'CANCELED' } })).data
      ?.charges;
    expect(canceled?.edges.length).toBeGreaterThanOrEqual(2); // seeded ch_5 and ours
    expect(canceled?.totalCount).toBe(canceled?.edges.length);
    expect(canceled?.edges.every((edge) => edge.node.status === 'CANCELED')).toBe(true);
    expect(canceled?.edges.map((edge) => edge.node.id)).toContain(canceledId);

    const orderNo = (await readCharge(partialCaptureId))?.orderNo ?? '';
    const byOrderNo = (await gw.gql(ChargesDocument, { filter: { orderNo } })).data?.charges;
    expect(byOrderNo?.totalCount).toBe(1);
    expect(byOrderNo?.edges.map((edge) => edge.node.id)).toEqual([partialCaptureId]);
    const none = (await gw.gql(ChargesDocument, { filter: { orderNo: 'no-such-order' } })).data?.charges;
    expect(none).toMatchObject({ totalCount: 0, edges: [] });
  });
});

describe('elepay: money and order numbers', () => {
  it('keeps USD cents exact: "12.34" goes out as 1234 minor units and reads back "12.34"', async () => {
    const created = await createCharge({ amount: '12.34', currency: 'USD' });
    expect(created?.userErrors).toEqual([]);
    // elepay takes integers only; reading back divides by 100, so "12.34" proves 1234 went out.
    expect(created?.charge?.amount).toEqual({ amount: '12.34', currency: 'USD' });
    const read = await readCharge(created?.charge?.providerId ?? '');
    expect(read?.amount).toEqual({ amount: '12.34', currency: 'USD' });
    // The seeded USD charge is 2599 cents.
    expect((await readCharge('ch_6'))?.amount).toEqual({ amount: '25.99', currency: 'USD' });
  });

  it('refuses "12.345" USD with a userError on input.amount, without calling elepay', async () => {
    await gw.resetStats();
    const created = await createCharge({ amount: '12.345', currency: 'USD' });
    expect(created?.charge).toBeNull();
    expect(created?.userErrors).toMatchObject([{ code: 'INVALID', field: ['input', 'amount'] }]);
    expect((await gw.stats('elepay')).routes['POST /charges']).toBeUndefined();
    await createCharge({ amount: '12.30', currency: 'USD' });
    expect((await gw.stats('elepay')).routes['POST /charges']).toBe(1);
  });

  it('keeps a given orderNo, and elepay refuses it a second time', async () => {
    const orderNo = 'ORDER-E2E-0001';
    const first = await createCharge({ orderNo });
    expect(first?.userErrors).toEqual([]);
    expect(first?.charge?.orderNo).toBe(orderNo);
    const second = await createCharge({ orderNo });
    expect(second?.charge).toBeNull();
    expect(second?.userErrors).toMatchObject([{ code: 'PROVIDER_REJECTED' }]);
  });
});

describe('elepay: pages as large as elepay allows', () => {
  it('a page of 100 still reports the next page', async () => {
    const before = (await gw.gql(ChargesDocument, { first: 1 })).data?.charges?.totalCount ?? 0;
    const missing = Math.max(0, 105 - before);
    await Promise.all(Array.from({ length: missing }, () => createCharge({ paymentMethod: 'paypay' })));

    const first = (await gw.gql(ChargesDocument, { first: 100 })).data?.charges;
    expect(first?.totalCount).toBeGreaterThanOrEqual(105);
    expect(first?.edges).toHaveLength(100);
    expect(first?.pageInfo.hasNextPage).toBe(true);
    const rest = (await gw.gql(ChargesDocument, { first: 100, after: first?.pageInfo.endCursor })).data
      ?.charges;
    expect(rest?.edges).toHaveLength((first?.totalCount ?? 0) - 100);
    expect(rest?.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });
});
