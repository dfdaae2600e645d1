import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureChargeDocument,
  CreateChargeDocument,
  RefundPaymentDocument,
  SandboxCompleteCheckoutDocument,
  TransactionActionsDocument,
} from '../generated/graphql.js';
import { createCharge, createSalesPage, refund, settle } from '../support/flows.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { until } from '../support/wait.js';

/**
 * `availableActions` and `refundableAmount` as a UI reads them (TransactionActions in
 * schema/operations/10-actions.graphql), through the gateway, on both simulators.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    ELEPAY_WEBHOOK_SECRET: 'elepay-webhook-secret-for-tests-0001',
    ELOPAGE_WEBHOOK_TOKEN: 'elopage-webhook-token-for-tests-0001',
  });
});
afterAll(async () => {
  gw.expectNoLeaks();
  await gw.close();
});

async function actionsOf(id: string) {
  const { data, errors } = await gw.gql(TransactionActionsDocument, { id });
  expect(errors).toEqual([]);
  const transaction = data?.transaction;
  return { actions: transaction?.availableActions, refundable: transaction?.refundableAmount };
}

describe('elepay charge: the buttons follow the charge', () => {
  it('a fresh pending charge can be canceled only', async () => {
    expect(await actionsOf(await createCharge(gw))).toEqual({
      actions: ['CANCEL'],
      refundable: { amount: '0', currency: 'JPY' },
    });
  });

  it('an authorized charge offers capture and cancel; once captured, a refund of all of it', async () => {
    const { data } = await gw.gql(CreateChargeDocument, {
      input: { amount: '1000', currency: 'JPY', paymentMethod: 'creditcard', capture: false },
    });
    const id = data?.createCharge.charge?.id ?? '';
    expect((await settle(gw, id))?.status).toBe('AUTHORIZED');
    expect(await actionsOf(id)).toEqual({
      actions: ['CAPTURE', 'CANCEL'],
      refundable: { amount: '0', currency: 'JPY' },
    });

    const captured = await gw.gql(CaptureChargeDocument, { input: { chargeId: id } });
    expect(captured.data?.captureCharge.userErrors).toEqual([]);
    expect(await actionsOf(id)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '1000', currency: 'JPY' },
    });
  });

  it('after a partial refund the remainder (pending or settled), after the rest nothing', async () => {
    const id = await createCharge(gw, '1000');
    await settle(gw, id);
    expect(await actionsOf(id)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '1000', currency: 'JPY' },
    });

    const first = await refund(gw, id, '300');
    // A pending refund already counts: elepay would refuse more than what is left.
    expect(await actionsOf(id)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '700', currency: 'JPY' },
    });
    await settle(gw, first);
    expect(await actionsOf(id)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '700', currency: 'JPY' },
    });

    await settle(gw, await refund(gw, id));
    expect(await actionsOf(id)).toEqual({ actions: [], refundable: { amount: '0', currency: 'JPY' } });
  });

  it('a refund itself offers nothing', async () => {
    const id = await createCharge(gw, '500');
    await settle(gw, id);
    expect(await actionsOf(await refund(gw, id, '200'))).toEqual({
      actions: [],
      refundable: { amount: '0', currency: 'JPY' },
    });
  });
});

describe('elopage payment: refundable in full until refunded', () => {
  it('a successful payment offers a refund of its full amount; once refunded, nothing', async () => {
    const page = await createSalesPage(gw, 'Actions course', '199.90');
    const { data } = await gw.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId: page.id,
        paymentMethod: 'card',
        cardNumber: '5017670000005900',
        outcome: 'SUCCEED',
        payer: { email: 'ada@example.com' },
      },
    });
    expect(data?.sandboxCompleteCheckout.userErrors).toEqual([]);
    const paymentId = data?.sandboxCompleteCheckout.payment?.id ?? '';
    expect(await actionsOf(paymentId)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '199.90', currency: 'EUR' },
    });

    const refunded = await gw.gql(RefundPaymentDocument, { input: { paymentId } });
    expect(refunded.data?.refundPayment.userErrors).toEqual([]);
    // The payment still reads successful at elopage; its refund webhook tells the gateway.
    expect(
      await until(
        () => actionsOf(paymentId),
        (read) => read.actions?.length === 0,
        'the refunded payment to offer no action',
      ),
    ).toEqual({ actions: [], refundable: { amount: '0.00', currency: 'EUR' } });
    expect(await actionsOf(refunded.data?.refundPayment.refund?.id ?? '')).toEqual({
      actions: [],
      refundable: { amount: '0.00', currency: 'EUR' },
    });
  });
});

describe('elopage payment refunded through the gateway, its webhook lost', () => {
  let quiet: TestGateway;
  beforeAll(async () => {
    quiet = await startTestGateway({ SANDBOX_WEBHOOKS: 'off' });
  });
  afterAll(async () => {
    await quiet?.close();
  });

  it('offers no second refund: the ledger knows the refund the gateway made', async () => {
    const page = await createSalesPage(quiet, 'Refunded without a webhook', '49.00');
    const { data } = await quiet.gql(SandboxCompleteCheckoutDocument, {
      input: {
        salesPageId: page.id,
        paymentMethod: 'card',
        cardNumber: '5017670000005900',
        outcome: 'SUCCEED',
      },
    });
    const paymentId = data?.sandboxCompleteCheckout.payment?.id ?? '';
    const refunded = await quiet.gql(RefundPaymentDocument, { input: { paymentId } });
    expect(refunded.data?.refundPayment.userErrors).toEqual([]);

    const read = await quiet.gql(TransactionActionsDocument, { id: paymentId });
    expect(read.errors).toEqual([]);
    expect(read.data?.transaction).toMatchObject({
      availableActions: [],
      refundableAmount: { amount: '0.00', currency: 'EUR' },
    });
  });
});
