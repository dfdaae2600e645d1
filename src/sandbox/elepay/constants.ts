/**
 * elepay enums and limits the simulator enforces (providers/elepay.md §4, §6). Kept as constant
 * lists so validation and tests read from one place.
 */

/** PaymentMethodType: the 43 values of API 1.2.5 plus the 9 that spec 1.3.0 adds (§4 Enums). */
export const PAYMENT_METHODS = [
  // 1.2.5
  'alipay',
  'alipayhk',
  'alipayplus',
  'amazonpay',
  'applepay',
  'applepay_cn',
  'atokara',
  'atone',
  'aupay',
  'creditcard',
  'dana',
  'docomopay',
  'ezlink',
  'felica',
  'felica_id',
  'felica_quickpay',
  'felica_transport_ic',
  'gcash',
  'ginkopay',
  'googlepay',
  'jcoinpay',
  'jkopay',
  'kakaopay',
  'linepay',
  'merpay',
  'origamipay',
  'paidy',
  'paypal',
  'paypay',
  'pxpayplus',
  'rakutenpay',
  'tng',
  'truemoney',
  'unionpay',
  'wechatpay',
  'aeonpay',
  'rabbitlinepay',
  'bpi',
  'boost',
  'hellomoney',
  'tosspay',
  'naverpay',
  'auto',
  // 1.3.0 additions
  'clicktopay',
  'banktransfer',
  'konbini',
  'smartcode',
  'wellwa',
  'grabpay',
  'momopay',
  'promptpay',
  'wovenpay',
] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** ChargeStatusType: the 1.2.x six plus the four 1.3.0 adds (§4 Enums, §11 #1). */
export const CHARGE_STATUSES = [
  'pending',
  'uncaptured',
  'captured',
  'partially_refunded',
  'refunded',
  'revoked',
  'waiting',
  'notified',
  'amount_mismatch',
  'failed',
] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** RefundStatusType has no failed value (§4 RefundDto). */
export type RefundStatus = 'pending' | 'refunded';

/** ChargeDateTimeType as the list endpoint accepts it (§6). */
export const CHARGE_DATE_FIELDS = ['create_time', 'paid_time'] as const;
export type ChargeDateField = (typeof CHARGE_DATE_FIELDS)[number];

export const SORT_ORDERS = ['desc', 'asc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

/** orderNo max length in 1.2.x / 1.3.0 (§4 ChargeReq; it was 20 in 1.1.1). */
export const ORDER_NO_MAX_LENGTH = 50;
/** Metadata rules (§4 ChargeReq): at most 20 keys, values ≤ 255 bytes, reserved key prefixes. */
export const METADATA_MAX_KEYS = 20;
export const METADATA_VALUE_MAX_BYTES = 255;
export const METADATA_RESERVED_PREFIXES = ['route', '__'] as const;
/** RefundReq.reason max length (§4, developer.elepay.io). */
export const REFUND_REASON_MAX_LENGTH = 255;
/**
 * The brief gives no global ceiling (per-method limits live in ChannelPropertiesDto, §4), so the
 * simulator picks one far above any real payment to keep amounts inside safe arithmetic.
 */
export const MAX_AMOUNT = 999_999_999_999n;

/** Every elepay object the sandbox makes is a test-mode object (§10). */
export const SANDBOX_APP_ID = 'app_sandbox_elepay';

export function isPaymentMethod(value: string): value is PaymentMethod {
  return (PAYMENT_METHODS as readonly string[]).includes(value);
}

export function isChargeStatus(value: string): value is ChargeStatus {
  return (CHARGE_STATUSES as readonly string[]).includes(value);
}
