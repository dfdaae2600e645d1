/**
 * A few realistic test-mode charges in several states, so a freshly started sandbox already has
 * something to list. Runs before the webhook sink is attached: seeded objects fire nothing.
 */

import type { NewCharge, PaymentMethod } from './model.js';
import type { ElepayState } from './state.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function chargeInput(
  orderNo: string,
  amount: bigint,
  paymentMethod: PaymentMethod,
  description: string,
  extra: Partial<NewCharge> = {},
): NewCharge {
  return {
    amount,
    currency: 'JPY',
    paymentMethod,
    orderNo,
    captureOnPayment: true,
    resource: 'web',
    description,
    extra: { frontUrl: 'https://shop.example.jp/checkout/complete' },
    metadata: {},
    clientIp: '203.0.113.24',
    ...extra,
  };
}

/** `ORD-20240611-0001`: dated like the charge, so lists read naturally whenever the seed runs. */
function orderNo(prefix: string, time: number, n: number): string {
  const day = new Date(time).toISOString().slice(0, 10).replaceAll('-', '');
  return `${prefix}-${day}-${String(n).padStart(4, '0')}`;
}

export function seed(state: ElepayState, now = Date.now()): void {
  const paidAfter = (id: string, created: number) => state.settleCharge(id, 'succeed', created + 2 * MINUTE);

  // captured, creditcard
  let t = now - 6 * DAY - 3 * HOUR;
  const captured = state.createCharge(
    chargeInput(orderNo('ORD', t, 1), 4800n, 'creditcard', 'Single-origin coffee beans 200g ×2', {
      metadata: { customerId: 'cus_8841', campaign: 'summer-sale' },
    }),
    t,
  );
  paidAfter(captured.id, t);

  // partially_refunded: one item out of stock, refund already completed
  t = now - 5 * DAY - 7 * HOUR;
  const partial = state.createCharge(
    chargeInput(orderNo('ORD', t, 7), 9800n, 'linepay', 'Ceramic mug set (4 pcs)', { resource: 'ios' }),
    t,
  );
  paidAfter(partial.id, t);
  const partialRefund = state.createRefund(
    partial.id,
    { amount: 2450n, currency: null, metadata: {}, reason: 'One mug arrived broken' },
    t + DAY,
  );
  state.settleRefund(partial.id, partialRefund.id, 'succeed', t + DAY + 10 * MINUTE);

  // refunded in full
  t = now - 4 * DAY - 2 * HOUR;
  const refunded = state.createCharge(
    chargeInput(orderNo('ORD', t, 15), 3300n, 'paypay', 'Green tea sampler', { resource: 'android' }),
    t,
  );
  paidAfter(refunded.id, t);
  const fullRefund = state.createRefund(
    refunded.id,
    { amount: 3300n, currency: null, metadata: {}, reason: 'Customer cancelled the order' },
    t + 3 * HOUR,
  );
  state.settleRefund(refunded.id, fullRefund.id, 'succeed', t + 3 * HOUR + 5 * MINUTE);

  // uncaptured: a hotel deposit authorized with capture=false
  t = now - 3 * DAY - 5 * HOUR;
  const uncaptured = state.createCharge(
    chargeInput(orderNo('RSV', t, 102), 35000n, 'creditcard', 'Ryokan stay deposit, 2 nights', {
      captureOnPayment: false,
      metadata: { reservationId: 'rsv_0102' },
    }),
    t,
  );
  paidAfter(uncaptured.id, t);

  // revoked: the shop cancelled a pending QR payment
  t = now - 2 * DAY - 9 * HOUR;
  const revoked = state.createCharge(
    chargeInput(orderNo('ORD', t, 21), 1500n, 'aupay', 'Matcha latte ×3', { resource: 'mpm' }),
    t,
  );
  state.revoke(revoked.id);

  // USD, amount in cents (minor units)
  t = now - DAY - 4 * HOUR;
  const usd = state.createCharge(
    chargeInput(orderNo('ORD', t, 30), 2599n, 'creditcard', 'Kyoto walking tour (English)', {
      currency: 'USD',
      metadata: { locale: 'en-US' },
    }),
    t,
  );
  paidAfter(usd.id, t);

  // pending: still waiting for the payer
  t = now - 40 * MINUTE;
  state.createCharge(chargeInput(orderNo('ORD', t, 42), 12000n, 'paypay', 'Gift box: seasonal sweets'), t);
}
