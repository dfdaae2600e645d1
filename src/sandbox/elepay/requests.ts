import { ORDER_NO_MAX_LENGTH, PAYMENT_METHODS, REFUND_REASON_MAX_LENGTH } from './constants.js';
import { ElepayApiError, invalid, missing } from './errors.js';
import type { NewCharge, NewRefund } from './ledger.js';
import {
  bodyObject,
  oneOf,
  optionalAmount,
  optionalBoolean,
  optionalCurrency,
  optionalMetadata,
  optionalString,
  optionalStringMap,
  positiveAmount,
  requiredString,
} from './validation.js';

/** Request bodies of §4 (ChargeReq, ChargeCaptureReq, RefundReq) → the ledger's typed inputs. */

const wrongPaymentMethod = (name: string, detail: string) =>
  new ElepayApiError('M001002', `Wrong payment method: ${detail}`, name);

export function parseChargeRequest(body: unknown): NewCharge {
  const req = bodyObject(body);
  const amount = positiveAmount(req.amount, 'amount');
  if (req.paymentMethod === undefined || req.paymentMethod === null || req.paymentMethod === '') {
    throw missing('paymentMethod');
  }
  const paymentMethod = oneOf(req.paymentMethod, 'paymentMethod', PAYMENT_METHODS, wrongPaymentMethod);
  const orderNo = requiredString(req.orderNo, 'orderNo');
  if ([...orderNo].length > ORDER_NO_MAX_LENGTH) {
    throw invalid('orderNo', `orderNo must be at most ${ORDER_NO_MAX_LENGTH} characters`);
  }
  const resource = optionalString(req.resource, 'resource');
  // `auto` works only for customer-presented codes (§4 ChargeReq).
  if (paymentMethod === 'auto' && resource !== 'cpm') {
    throw wrongPaymentMethod('paymentMethod', 'auto is only available with resource cpm');
  }
  return {
    amount,
    paymentMethod,
    orderNo,
    currency: optionalCurrency(req.currency, 'currency', 'JPY'),
    captureOnPayment: optionalBoolean(req.capture, 'capture', true),
    resource,
    description: optionalString(req.description, 'description'),
    extra: optionalStringMap(req.extra, 'extra'),
    metadata: optionalMetadata(req.metadata, 'metadata'),
    clientIp: optionalString(req.clientIp, 'clientIp'),
  };
}

/** The capture body is optional: no amount = capture the authorized amount in full. */
export function parseCaptureRequest(body: unknown): { amount: bigint | null; extra: Record<string, string> } {
  const req = bodyObject(body);
  return { amount: optionalAmount(req.amount, 'amount'), extra: optionalStringMap(req.extra, 'extra') };
}

/** `amount` is required even for a full refund (§4 RefundReq, §11 #12). */
export function parseRefundRequest(body: unknown): NewRefund {
  const req = bodyObject(body);
  return {
    amount: positiveAmount(req.amount, 'amount'),
    currency:
      req.currency === undefined || req.currency === null
        ? null
        : optionalCurrency(req.currency, 'currency', ''),
    metadata: optionalMetadata(req.metadata, 'metadata'),
    reason: optionalString(req.reason, 'reason', REFUND_REASON_MAX_LENGTH),
  };
}
