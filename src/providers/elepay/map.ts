import type { Charge, ElepayRefund } from '../../domain/model.js';
import { fromMinorUnits } from '../../domain/money.js';
import type { StatusNormalizer } from '../../domain/status.js';
import { requiredText, shapeChecked } from '../shape.js';
import type { ElepayChargeWire, ElepayRefundWire, NumberText } from './wire.js';

/** elepay's default currency when a field omits it (providers/elepay.md §1). */
const DEFAULT_CURRENCY = 'JPY';

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
  requiredText(wire.status, 'status');
  const currency = wire.currency || DEFAULT_CURRENCY;
  return {
    kind: 'Charge',
    provider: 'ELEPAY',
    providerId: requiredText(wire.id, 'id'),
    status: statuses.normalize('elepayCharge', wire.status),
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
  requiredText(wire.status, 'status');
  return {
    kind: 'Refund',
    provider: 'ELEPAY',
    providerId: requiredText(wire.id, 'id'),
    chargeId: requiredText(wire.chargeId, 'chargeId'),
    status: statuses.normalize('elepayRefund', wire.status),
    providerStatus: wire.status,
    amount: fromMinorUnits(wire.amount, wire.currency || DEFAULT_CURRENCY),
    createdAt: fromMillis(wire.createTime),
    reason: wire.reason ?? null,
    refundedAt: fromMillis(wire.refundedTime),
    metadata: wire.metadata ?? null,
  };
}

/** elepay charge and refund answers in the domain model; a malformed one is elepay's failure. */
export const toCharge = shapeChecked('ELEPAY', 'a charge', chargeOf);
export const toElepayRefund = shapeChecked('ELEPAY', 'a refund', refundOf);
