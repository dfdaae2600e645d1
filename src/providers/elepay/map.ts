/**
 * elepay answers → the domain model (providers/elepay.md §4). Each exported reader checks the body
 * with its schema (schemas.ts) and maps it; a body of an unexpected shape is elepay's failure
 * (../shape.ts). Amounts arrive as integer minor units of the charge's currency.
 */
import type { Charge, ElepayRefund } from '../../domain/model.js';
import { fromMinorUnits } from '../../domain/money.js';
import type { ChargePage } from '../../domain/requests.js';
import type { StatusNormalizer, StatusTable } from '../../domain/status.js';
import { checkedAnswer } from '../shape.js';
import {
  elepayChargeSchema,
  elepayChargesSchema,
  elepayRefundSchema,
  elepayRefundsSchema,
} from './schemas.js';
import type { ElepayChargeWire, ElepayRefundWire, NumberText } from './wire.js';

/** elepay's default currency when a field omits it (providers/elepay.md §1). */
const DEFAULT_CURRENCY = 'JPY';

/** elepay ChargeStatusType (§4), 1.2.x and 1.3.0 values. */
const CHARGE_STATUSES: StatusTable = {
  name: 'elepayCharge',
  statuses: {
    pending: 'PENDING',
    waiting: 'PENDING',
    notified: 'PENDING',
    uncaptured: 'AUTHORIZED',
    amount_mismatch: 'REQUIRES_ACTION',
    captured: 'SUCCEEDED',
    failed: 'FAILED',
    revoked: 'CANCELED',
    partially_refunded: 'PARTIALLY_REFUNDED',
    refunded: 'REFUNDED',
  },
};

/** elepay RefundStatusType. */
const REFUND_STATUSES: StatusTable = {
  name: 'elepayRefund',
  statuses: { pending: 'PENDING', refunded: 'SUCCEEDED' },
};

/**
 * elepay timestamps are UNIX milliseconds (§1). Anything else, digits beyond what a Date holds
 * included, is an answer of an unexpected shape: a date that cannot be shown is not shown as null.
 */
function fromMillis(value: NumberText | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const date = /^\d{1,16}$/.test(value) ? new Date(Number(value)) : null;
  if (!date || Number.isNaN(date.getTime())) throw new Error('a timestamp is not UNIX milliseconds');
  return date;
}

function chargeOf(wire: ElepayChargeWire, statuses: StatusNormalizer): Charge {
  const currency = wire.currency || DEFAULT_CURRENCY;
  return {
    kind: 'Charge',
    provider: 'ELEPAY',
    providerId: wire.id,
    status: statuses.normalize(CHARGE_STATUSES, wire.status),
    providerStatus: wire.status,
    amount: fromMinorUnits(wire.amount, currency),
    createdAt: fromMillis(wire.createTime),
    orderNo: wire.orderNo,
    paymentMethod: wire.paymentMethod ?? null,
    description: wire.description ?? null,
    metadata: wire.metadata ?? null,
    refundedAmount: fromMinorUnits(wire.refunds?.amount ?? '0', currency),
    authorizedAmount: wire.authorizeAmount ? fromMinorUnits(wire.authorizeAmount, currency) : null,
    paidAt: fromMillis(wire.paidTime),
    refundedAt: fromMillis(wire.refundTime),
    liveMode: wire.liveMode ?? false,
  };
}

function refundOf(wire: ElepayRefundWire, statuses: StatusNormalizer): ElepayRefund {
  return {
    kind: 'Refund',
    provider: 'ELEPAY',
    providerId: wire.id,
    chargeId: wire.chargeId,
    status: statuses.normalize(REFUND_STATUSES, wire.status),
    providerStatus: wire.status,
    amount: fromMinorUnits(wire.amount, wire.currency || DEFAULT_CURRENCY),
    createdAt: fromMillis(wire.createTime),
    reason: wire.reason ?? null,
    refundedAt: fromMillis(wire.refundedTime),
    metadata: wire.metadata ?? null,
  };
}

/** An elepay charge or refund answer, checked and in the domain model. */
export const toCharge = checkedAnswer('ELEPAY', 'a charge', elepayChargeSchema, chargeOf);
export const toElepayRefund = checkedAnswer('ELEPAY', 'a refund', elepayRefundSchema, refundOf);

/**
 * GET /charges: a page, and elepay's count of all matches (null when it is not a count GraphQL's
 * 32-bit `Int` can carry).
 */
export const toChargePage = checkedAnswer(
  'ELEPAY',
  'a list of charges',
  elepayChargesSchema,
  (wire, statuses: StatusNormalizer): ChargePage => ({
    charges: wire.charges.map((charge) => chargeOf(charge, statuses)),
    total: countOf(wire.total),
  }),
);

const MAX_COUNT = 2 ** 31 - 1;

function countOf(text: string): number | null {
  const count = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  return count <= MAX_COUNT ? count : null;
}

/** GET /charges/{id}/refunds: every refund of the charge. */
export const toElepayRefunds = checkedAnswer(
  'ELEPAY',
  'a list of refunds',
  elepayRefundsSchema,
  (wire, statuses: StatusNormalizer): ElepayRefund[] =>
    wire.refunds.map((refund) => refundOf(refund, statuses)),
);
