import type { LosslessNumber } from 'lossless-json';
import { jsonNumber } from '../../providers/json.js';
import type { ChargeStatus, PaymentMethod, RefundStatus } from './constants.js';
import { SANDBOX_APP_ID } from './constants.js';

/**
 * The simulator's own rows and how they render as elepay JSON (providers/elepay.md §4). Amounts
 * are bigint minor units and times UNIX milliseconds; both leave as JSON numbers via jsonNumber,
 * never through float formatting.
 */
export interface ChargeRecord {
  id: string;
  /** Creation order; breaks ties when sorting lists. */
  seq: number;
  amount: bigint;
  authorizeAmount: bigint | null;
  currency: string;
  /** ChargeReq.capture: false = authorize only, finish with POST /capture (§5). */
  captureOnPayment: boolean;
  authorize: boolean;
  paymentMethod: PaymentMethod;
  resource: string | null;
  orderNo: string;
  description: string | null;
  extra: Record<string, string>;
  metadata: Record<string, string>;
  clientIp: string | null;
  cardInfo: CardInfo | null;
  voucherNo: string | null;
  codeContent: string | null;
  credential: string;
  paid: boolean;
  refunded: boolean;
  status: ChargeStatus;
  paidTime: number | null;
  refundTime: number | null;
  createTime: number;
  /** Refund IDs in creation order. */
  refundIds: string[];
}

export interface CardInfo {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  threeDSecure: boolean;
}

export interface RefundRecord {
  id: string;
  chargeId: string;
  amount: bigint;
  currency: string;
  metadata: Record<string, string>;
  reason: string | null;
  status: RefundStatus;
  refundedTime: number | null;
  createTime: number;
}

export interface RefundDto {
  id: string;
  object: 'refund';
  chargeId: string;
  liveMode: false;
  amount: LosslessNumber;
  currency: string;
  metadata: Record<string, string>;
  reason: string | null;
  status: RefundStatus;
  refundedTime: LosslessNumber | null;
  createTime: LosslessNumber;
}

export interface ChargeDto {
  id: string;
  object: 'charge';
  appId: string;
  liveMode: false;
  amount: LosslessNumber;
  authorizeAmount: LosslessNumber | null;
  currency: string;
  authorize: boolean;
  paymentMethod: string;
  resource: string | null;
  orderNo: string;
  description: string | null;
  extra: Record<string, string>;
  metadata: Record<string, string>;
  cardInfo: Record<string, unknown> | null;
  voucherNo: string | null;
  clientIp: string | null;
  paid: boolean;
  refunded: boolean;
  disputed: false;
  refunds: { amount: LosslessNumber; totalCount: LosslessNumber; data: RefundDto[] };
  status: ChargeStatus;
  codeContent: string | null;
  credential: string;
  paidTime: LosslessNumber | null;
  refundTime: LosslessNumber | null;
  expiryTime: null;
  settleTime: null;
  createTime: LosslessNumber;
}

export interface ChargeStatusDto {
  id: string;
  appId: string;
  liveMode: false;
  status: ChargeStatus;
}

function num(value: bigint | number): LosslessNumber {
  return jsonNumber(value.toString());
}

function optionalNum(value: bigint | number | null): LosslessNumber | null {
  return value === null ? null : num(value);
}

export function toRefundDto(refund: RefundRecord): RefundDto {
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
export function toChargeDto(charge: ChargeRecord, refunds: RefundRecord[]): ChargeDto {
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
    refunds: { amount: num(refundedSum), totalCount: num(refunds.length), data: refunds.map(toRefundDto) },
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

export function toChargeStatusDto(charge: ChargeRecord): ChargeStatusDto {
  return { id: charge.id, appId: SANDBOX_APP_ID, liveMode: false, status: charge.status };
}
