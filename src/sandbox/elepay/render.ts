/**
 * Rows → elepay JSON (providers/elepay.md §4), typed by the gateway's wire types so that the two
 * cannot drift apart. Amounts (bigint) and times (UNIX ms) leave as JSON integers via jsonNumber,
 * never through float formatting. Every documented field is written; enum-typed fields
 * (paymentMethod, resource, status) always hold one of their values, never null.
 */

import type {
  ElepayChargeStatusWire,
  ElepayChargesResponseWire,
  ElepayChargeWire,
  ElepayRefundsResponseWire,
  ElepayRefundWire,
} from '../../providers/elepay/wire.js';
import { jsonNumber } from '../../providers/json.js';
import type { Sent } from '../sent.js';
import { type ChargeRecord, type RefundRecord, SANDBOX_APP_ID } from './model.js';
import type { ElepayState } from './state.js';

function num(value: bigint | number) {
  return jsonNumber(value.toString());
}

function optionalNum(value: bigint | number | null) {
  return value === null ? null : num(value);
}

export function renderRefund(refund: RefundRecord): Sent<ElepayRefundWire> {
  return {
    id: refund.id,
    object: 'refund',
    chargeId: refund.chargeId,
    liveMode: false,
    amount: num(refund.amount),
    currency: refund.currency,
    metadata: { ...refund.metadata },
    reason: refund.reason,
    status: refund.status,
    refundedTime: optionalNum(refund.refundedTime),
    createTime: num(refund.createTime),
  };
}

/**
 * `refunds` summary (RefundsDto, §4): amount = what has actually been refunded (status
 * `refunded`), totalCount and data = every refund, pending ones included.
 */
export function renderCharge(state: ElepayState, charge: ChargeRecord): Sent<ElepayChargeWire> {
  const refunds = state.refundsOf(charge);
  const refundedSum = refunds.filter((r) => r.status === 'refunded').reduce((sum, r) => sum + r.amount, 0n);
  const card = charge.cardInfo;
  return {
    id: charge.id,
    object: 'charge',
    appId: SANDBOX_APP_ID,
    liveMode: false,
    amount: num(charge.amount),
    authorizeAmount: optionalNum(charge.authorizeAmount),
    currency: charge.currency,
    authorize: charge.authorize,
    paymentMethod: charge.paymentMethod,
    resource: charge.resource,
    orderNo: charge.orderNo,
    description: charge.description,
    extra: { ...charge.extra },
    metadata: { ...charge.metadata },
    cardInfo: card && { ...card, expMonth: num(card.expMonth), expYear: num(card.expYear) },
    voucherNo: charge.voucherNo,
    clientIp: charge.clientIp,
    paid: charge.paid,
    refunded: charge.refunded,
    disputed: false,
    refunds: { amount: num(refundedSum), totalCount: num(refunds.length), data: refunds.map(renderRefund) },
    status: charge.status,
    codeContent: charge.codeContent,
    credential: charge.credential,
    paidTime: optionalNum(charge.paidTime),
    refundTime: optionalNum(charge.refundTime),
    expiryTime: null,
    settleTime: null,
    createTime: num(charge.createTime),
  };
}

export function renderChargeStatus(charge: ChargeRecord): Sent<ElepayChargeStatusWire> {
  return { id: charge.id, appId: SANDBOX_APP_ID, liveMode: false, status: charge.status };
}

export function renderChargeList(
  state: ElepayState,
  total: number,
  charges: ChargeRecord[],
): Sent<ElepayChargesResponseWire> {
  return { total: num(total), charges: charges.map((charge) => renderCharge(state, charge)) };
}

export function renderRefundList(refunds: RefundRecord[]): Sent<ElepayRefundsResponseWire> {
  return { total: num(refunds.length), refunds: refunds.map(renderRefund) };
}
