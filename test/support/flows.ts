import { expect } from 'vitest';
import {
  CreateChargeDocument,
  CreateSalesPageDocument,
  RefundChargeDocument,
  SandboxSettleTransactionDocument,
} from '../generated/graphql.js';
import type { TestGateway } from './harness.js';

/**
 * The mutations the live-status suites make changes with, each asserting it worked. Each returns
 * the global ID of what it made (a sales page: also its elopage ID).
 */
export async function createCharge(gw: TestGateway, amount = '1000'): Promise<string> {
  const { data, errors } = await gw.gql(CreateChargeDocument, {
    input: { amount, currency: 'JPY', paymentMethod: 'creditcard' },
  });
  expect(errors).toEqual([]);
  expect(data?.createCharge.userErrors).toEqual([]);
  expect(data?.createCharge.charge?.status).toBe('PENDING');
  return data?.createCharge.charge?.id ?? '';
}

/** `sandboxSettleTransaction(SUCCEED)`: the simulator settles it and sends its webhook. */
export async function settle(gw: TestGateway, transactionId: string) {
  const { data, errors } = await gw.gql(SandboxSettleTransactionDocument, {
    input: { transactionId, outcome: 'SUCCEED' },
  });
  expect(errors).toEqual([]);
  expect(data?.sandboxSettleTransaction.userErrors).toEqual([]);
  return data?.sandboxSettleTransaction.transaction;
}

/** An elepay refund, PENDING until settled; without `amount`, of everything left. */
export async function refund(gw: TestGateway, chargeId: string, amount?: string): Promise<string> {
  const { data, errors } = await gw.gql(RefundChargeDocument, {
    input: { chargeId, ...(amount ? { amount } : {}) },
  });
  expect(errors).toEqual([]);
  expect(data?.refundCharge.userErrors).toEqual([]);
  expect(data?.refundCharge.refund?.status).toBe('PENDING');
  return data?.refundCharge.refund?.id ?? '';
}

export async function createSalesPage(
  gw: TestGateway,
  name: string,
  price = '49',
): Promise<{ id: string; providerId: string }> {
  const { data, errors } = await gw.gql(CreateSalesPageDocument, {
    input: { name, pricingPlans: [{ oneTime: { price } }] },
  });
  expect(errors).toEqual([]);
  expect(data?.createSalesPage.userErrors).toEqual([]);
  const page = data?.createSalesPage.salesPage;
  return { id: page?.id ?? '', providerId: page?.providerId ?? '' };
}
