/**
 * elepay's enums and limits (providers/elepay.md §4, §6) and the simulator's rows. Amounts are
 * bigint minor units and times UNIX milliseconds; render.ts turns rows into elepay JSON.
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

/**
 * ResourceType (§4 Enums): the channel the payer uses. elepay's SDKs cannot read a charge whose
 * `resource` is null or outside this list, so the simulator refuses other values and stores one for
 * every charge.
 */
export const RESOURCE_TYPES = [
  'web',
  'ios',
  'android',
  'liff',
  'mini',
  'cpm',
  'mpm',
  'reader',
  'posapp',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/**
 * A charge created without `resource` is a `web` charge. Neither the API guide (seeds/000) nor
 * providers/elepay.md gives a default, so the simulator picks `web`: the hosted payment page that a
 * server-created charge with `extra.frontUrl` pays through. The gateway sends no `resource`, so its
 * charges read back as `web`.
 */
export const DEFAULT_RESOURCE: ResourceType = 'web';

/** CardBrandType of API 1.2.5 (§4 Enums); 1.3.0 makes it a free string. */
export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'jcb'
  | 'diners'
  | 'unionpay'
  | 'discover'
  | 'felica'
  | 'unknown';

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

export type ElepayEventType = 'charge.succeeded' | 'charge.revoked' | 'refund.succeeded';
export const EVENT_TYPES: readonly ElepayEventType[] = [
  'charge.succeeded',
  'charge.revoked',
  'refund.succeeded',
];

/** What the payer (or the bank, for a refund) does to a pending object: the sandbox helper routes. */
export const CHARGE_OUTCOMES = ['succeed', 'fail', 'cancel'] as const;
export type ChargeOutcome = (typeof CHARGE_OUTCOMES)[number];
export const REFUND_OUTCOMES = ['succeed', 'fail'] as const;
export type RefundOutcome = (typeof REFUND_OUTCOMES)[number];

/** ChargeReq (§4) after validation. */
export interface NewCharge {
  amount: bigint;
  currency: string;
  paymentMethod: PaymentMethod;
  orderNo: string;
  /** ChargeReq.capture: false = authorize only, finish with POST /capture (§5). */
  captureOnPayment: boolean;
  resource: ResourceType;
  description: string | null;
  extra: Record<string, string>;
  metadata: Record<string, string>;
  clientIp: string | null;
}

/** RefundReq (§4) after validation; a null currency means "the charge's". */
export interface NewRefund {
  amount: bigint;
  currency: string | null;
  metadata: Record<string, string>;
  reason: string | null;
}

export interface CardInfo {
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  threeDSecure: boolean;
}

export interface ChargeRecord extends NewCharge {
  id: string;
  /** Creation order; breaks ties when sorting lists. */
  seq: number;
  authorizeAmount: bigint | null;
  authorize: boolean;
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

/** GET /charges query (§6) after validation. */
export interface ChargeListQuery {
  paymentMethods: PaymentMethod[];
  from: number | null;
  to: number | null;
  dateField: ChargeDateField;
  status: ChargeStatus | null;
  limit: number;
  offset: number;
  sort: ChargeDateField;
  order: SortOrder;
}
