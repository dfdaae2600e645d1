/**
 * Domain requests → elepay request bodies and queries (providers/elepay.md §4–§6). elepay takes
 * amounts as integers in the currency's minor unit (JPY: whole yen), written as exact JSON numbers.
 */
import type { LosslessNumber } from 'lossless-json';
import type { Money } from '../../domain/money.js';
import { Dec, toMinorUnits } from '../../domain/money.js';
import type { ChargeListQuery, NewCharge, NewRefund } from '../../domain/requests.js';
import type { PaymentStatus } from '../../domain/status.js';
import { jsonNumber } from '../json.js';
import type {
  ElepayCaptureRequestWire,
  ElepayChargeRequestWire,
  ElepayListChargesQuery,
  ElepayRefundRequestWire,
} from './wire.js';

/** The raw elepay status a normalized filter asks for (elepay filters on one status). */
const STATUS_FILTER: Record<PaymentStatus, string> = {
  PENDING: 'pending',
  AUTHORIZED: 'uncaptured',
  REQUIRES_ACTION: 'amount_mismatch',
  SUCCEEDED: 'captured',
  FAILED: 'failed',
  CANCELED: 'revoked',
  PARTIALLY_REFUNDED: 'partially_refunded',
  REFUNDED: 'refunded',
};

/**
 * Integer minor units. Input validation (graphql/validation.ts `amount`) refuses an amount with more
 * fraction digits than its currency before any call, so one here is a bug, not a user's mistake.
 */
function minorUnits(money: Money): LosslessNumber {
  const units = toMinorUnits(new Dec(money.amount), money.currency);
  if (units === null) throw new Error(`${money.currency} amount with more digits than the currency has`);
  return jsonNumber(units);
}

export function chargeRequest(charge: NewCharge): ElepayChargeRequestWire {
  return {
    amount: minorUnits(charge.amount),
    currency: charge.amount.currency,
    paymentMethod: charge.paymentMethod,
    orderNo: charge.orderNo,
    ...(charge.capture ? {} : { capture: false }),
    ...(charge.description ? { description: charge.description } : {}),
    ...(charge.metadata ? { metadata: charge.metadata } : {}),
  };
}

/** Without an amount elepay captures the whole authorization. */
export function captureRequest(amount: Money | null): ElepayCaptureRequestWire {
  return amount ? { amount: minorUnits(amount) } : {};
}

/** `amount` is required even for a full refund (§4, §11 #12). */
export function refundRequest(refund: NewRefund): ElepayRefundRequestWire {
  return {
    amount: minorUnits(refund.amount),
    currency: refund.amount.currency,
    ...(refund.reason ? { reason: refund.reason } : {}),
    ...(refund.metadata ? { metadata: refund.metadata } : {}),
  };
}

/** GET /charges query (§6): dates are UNIX milliseconds, filtering on the creation time. */
export function chargeListQuery(query: ChargeListQuery): ElepayListChargesQuery {
  const dated = Boolean(query.createdAfter || query.createdBefore);
  return {
    status: query.status ? STATUS_FILTER[query.status] : undefined,
    from: query.createdAfter ? String(query.createdAfter.getTime()) : undefined,
    to: query.createdBefore ? String(query.createdBefore.getTime()) : undefined,
    dateField: dated ? 'create_time' : undefined,
    paymentMethod: query.paymentMethods ?? undefined,
    limit: query.limit,
    offset: query.offset,
  };
}
