/**
 * Request schemas of providers/elepay.md §4 (ChargeReq, ChargeCaptureReq, RefundReq) and §6 (the
 * list query), plus the sandbox helpers' bodies. elepay reports one problem at a time, so the first
 * issue becomes the error: an absent required field is M002001, a refined check may name its own
 * code (`refusedWith`), anything else is M002002; `parameterName` is the top-level field.
 */

import { z } from 'zod';
import { isKnownCurrency } from '../../domain/money.js';
import { type Issues, isAbsent, parseWith } from '../validation.js';
import { ElepayApiError, type ElepayErrorCode, invalid, missing } from './errors.js';
import {
  CHARGE_DATE_FIELDS,
  CHARGE_OUTCOMES,
  CHARGE_STATUSES,
  type ChargeListQuery,
  DEFAULT_RESOURCE,
  EVENT_TYPES,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  MAX_AMOUNT,
  METADATA_MAX_KEYS,
  METADATA_RESERVED_PREFIXES,
  METADATA_VALUE_MAX_BYTES,
  type NewCharge,
  type NewRefund,
  ORDER_NO_MAX_LENGTH,
  PAYMENT_METHODS,
  REFUND_OUTCOMES,
  REFUND_REASON_MAX_LENGTH,
  RESOURCE_TYPES,
  SORT_ORDERS,
} from './model.js';

interface Refusal {
  errorCode: ElepayErrorCode;
  /** How elepay's message for this code starts. */
  title: string;
  /** The legacy number (§7) when it is more precise than the errorCode's usual one. */
  legacyCode?: string;
}

const INVALID: Refusal = { errorCode: 'M002002', title: 'Invalid parameter value' };
const INVALID_RESOURCE: Refusal = { ...INVALID, legacyCode: '40035' };
const WRONG_PAYMENT_METHOD: Refusal = { errorCode: 'M001002', title: 'Wrong payment method' };
const UNSUPPORTED_CURRENCY: Refusal = { errorCode: 'M002009', title: 'The currency is not supported' };
const AMOUNT_TOO_LARGE: Refusal = { errorCode: 'U008001', title: 'The amount is too large' };

function refusedWith(message: string, refusal: Refusal) {
  return { message, params: refusal };
}

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  // An empty body counts as `{}`, so its required fields report M002001.
  return parseWith(schema, value ?? {}, toElepayError);
}

function toElepayError(issues: Issues): ElepayApiError {
  const issue = issues[0];
  const [field] = issue?.path ?? [];
  if (!issue || field === undefined) return invalid(null, 'the request body must be a JSON object');
  const name = String(field);
  if (isAbsent(issue)) return missing(name);
  const detail = `${issue.path.map(String).join('.')} ${issue.message}`;
  const refusal = (issue.code === 'custom' && (issue.params as Refusal | undefined)) || INVALID;
  return new ElepayApiError(refusal.errorCode, `${refusal.title}: ${detail}`, name, refusal.legacyCode);
}

/** The simulator takes null and '' as "not sent" (the docs do not say what elepay does with them). */
const notSent = (value: unknown) => (value === null || value === '' ? undefined : value);

const text = () => z.string({ error: 'must be a string' });

function oneOf<const T extends readonly string[]>(values: T, refusal: Refusal = INVALID) {
  // Short lists are named in full; paymentMethod's 52 values are not.
  const message =
    values.length <= 10 ? `must be one of ${values.join(', ')}` : 'is not one of the accepted values';
  return text().refine((value): value is T[number] => values.includes(value), refusedWith(message, refusal));
}

/** A positive integer amount as bigint: no decimals, exponents, signs or zero (§1 Amount). */
const amount = text()
  .regex(/^[0-9]{1,30}$/, 'must be a positive integer')
  .transform(BigInt)
  .refine((value) => value > 0n, 'must be a positive integer')
  .refine((value) => value <= MAX_AMOUNT, refusedWith(`exceeds ${MAX_AMOUNT}`, AMOUNT_TOO_LARGE));

/** ISO-4217 code (§1 Currency); an unknown one is M002009 "currency not supported". */
const currency = text().refine(
  (code) => /^[A-Z]{3}$/.test(code) && isKnownCurrency(code),
  refusedWith('must be an ISO 4217 code elepay supports', UNSUPPORTED_CURRENCY),
);

/** map<string,string> such as `extra` (§4). */
const stringMap = z.record(z.string(), text(), { error: 'must be an object' });

/** metadata rules of §4 ChargeReq: ≤ 20 keys, string values ≤ 255 bytes, reserved prefixes. */
const metadata = stringMap.superRefine((map, context) => {
  const keys = Object.keys(map);
  if (keys.length > METADATA_MAX_KEYS) context.addIssue(`may have at most ${METADATA_MAX_KEYS} keys`);
  for (const key of keys) {
    const shown = key.slice(0, 40);
    if (METADATA_RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) {
      context.addIssue(`key "${shown}" uses a reserved prefix`);
    } else if (Buffer.byteLength(map[key] ?? '', 'utf8') > METADATA_VALUE_MAX_BYTES) {
      context.addIssue(`value of "${shown}" must be at most ${METADATA_VALUE_MAX_BYTES} bytes`);
    }
  }
});

const required = <S extends z.ZodType>(schema: S) => z.preprocess(notSent, schema);
const optional = <S extends z.ZodType>(schema: S) => z.preprocess(notSent, schema.optional());

/** POST /charges body (§4 ChargeReq). */
export const chargeRequest = z
  .object({
    amount: required(amount),
    paymentMethod: required(oneOf(PAYMENT_METHODS, WRONG_PAYMENT_METHOD)),
    orderNo: required(
      text().refine((text) => [...text].length <= ORDER_NO_MAX_LENGTH, {
        message: `must be at most ${ORDER_NO_MAX_LENGTH} characters`,
      }),
    ),
    resource: optional(oneOf(RESOURCE_TYPES, INVALID_RESOURCE)),
    currency: optional(currency),
    capture: z.boolean({ error: 'must be a boolean' }).nullish(),
    description: text().nullish(),
    extra: stringMap.nullish(),
    metadata: metadata.nullish(),
    clientIp: text().nullish(),
  })
  .superRefine((charge, context) => {
    // `auto` works only for customer-presented codes (§4 ChargeReq).
    if (charge.paymentMethod === 'auto' && charge.resource !== 'cpm') {
      context.addIssue({
        code: 'custom',
        path: ['paymentMethod'],
        message: 'auto is only available with resource cpm',
        params: WRONG_PAYMENT_METHOD,
      });
    }
  })
  .transform(
    (charge): NewCharge => ({
      amount: charge.amount,
      paymentMethod: charge.paymentMethod,
      orderNo: charge.orderNo,
      currency: charge.currency ?? 'JPY',
      captureOnPayment: charge.capture ?? true,
      resource: charge.resource ?? DEFAULT_RESOURCE,
      description: charge.description ?? null,
      extra: charge.extra ?? {},
      metadata: charge.metadata ?? {},
      clientIp: charge.clientIp ?? null,
    }),
  );

/** The capture body is optional: no amount = capture the authorized amount in full. */
export const captureRequest = z
  .object({ amount: optional(amount), extra: stringMap.nullish() })
  .transform((capture) => ({ amount: capture.amount ?? null, extra: capture.extra ?? {} }));

/** `amount` is required even for a full refund (§4 RefundReq, §11 #12). */
export const refundRequest = z
  .object({
    amount: required(amount),
    currency: currency.nullish(),
    metadata: metadata.nullish(),
    reason: text()
      .refine((text) => [...text].length <= REFUND_REASON_MAX_LENGTH, {
        message: `must be at most ${REFUND_REASON_MAX_LENGTH} characters`,
      })
      .nullish(),
  })
  .transform(
    (refund): NewRefund => ({
      amount: refund.amount,
      currency: refund.currency ?? null,
      metadata: refund.metadata ?? {},
      reason: refund.reason ?? null,
    }),
  );

function integerParam(min: number, max = Number.MAX_SAFE_INTEGER) {
  const message = `must be an integer between ${min} and ${max}`;
  return text()
    .regex(/^[0-9]{1,16}$/, message)
    .transform(Number)
    .refine((value) => Number.isSafeInteger(value) && value >= min && value <= max, message);
}

/** GET /charges query (§6); `paymentMethod` repeats the key (explode=true). */
const chargeListQuery = z
  .object({
    paymentMethod: z.array(oneOf(PAYMENT_METHODS)),
    from: optional(integerParam(0)),
    to: optional(integerParam(0)),
    dateField: optional(oneOf(CHARGE_DATE_FIELDS)),
    status: optional(oneOf(CHARGE_STATUSES)),
    limit: optional(integerParam(1, LIST_MAX_LIMIT)),
    offset: optional(integerParam(0)),
    sort: optional(oneOf(CHARGE_DATE_FIELDS)),
    order: optional(oneOf(SORT_ORDERS)),
  })
  .transform(
    (query): ChargeListQuery => ({
      paymentMethods: query.paymentMethod,
      from: query.from ?? null,
      to: query.to ?? null,
      dateField: query.dateField ?? 'create_time',
      status: query.status ?? null,
      limit: query.limit ?? LIST_DEFAULT_LIMIT,
      offset: query.offset ?? 0,
      sort: query.sort ?? 'create_time',
      order: query.order ?? 'desc',
    }),
  );

export function parseChargeListQuery(query: URLSearchParams): ChargeListQuery {
  return parse(chargeListQuery, {
    ...Object.fromEntries(query),
    paymentMethod: query.getAll('paymentMethod'),
  });
}

/** Body of the sandbox helper `POST /_sandbox/charges/:id/settle`. */
export const chargeSettlement = z.object({ outcome: required(oneOf(CHARGE_OUTCOMES)) });

/** Body of the sandbox helper `POST /_sandbox/charges/:id/refunds/:refundId/settle`. */
export const refundSettlement = z.object({ outcome: required(oneOf(REFUND_OUTCOMES)) });

/** Body of `POST /_sandbox/trigger`. */
export const triggerRequest = z.object({
  event: required(oneOf(EVENT_TYPES)),
  id: optional(text()),
  chargeId: optional(text()),
});
