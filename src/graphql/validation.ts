/** Reusable input rules, so every mutation says the same thing about the same mistake. */
import { z } from 'zod';
import { webhookUrlProblem } from '../domain/addresses.js';
import { amountProblems, Dec, isKnownCurrency, isUnsignedDecimal } from '../domain/money.js';

/**
 * Characters no name or description needs and that make text read other than it is: C0 and C1
 * controls and DEL (NUL truncates in C-based systems; tab, line feed and carriage return are allowed
 * in multi-line text only), and the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069) that reorder what a reader sees ("Trojan Source").
 */
export function hasControlCharacter(text: string, { multiline = false } = {}): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (multiline && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return true;
  }
  return false;
}

const CONTROL_MESSAGE = 'must not contain control characters or bidirectional overrides';

/** A single line of text: a name, a subject, an e-mail address. */
function line(max: number) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((value) => !hasControlCharacter(value), { message: CONTROL_MESSAGE });
}

/** Text that may run over several lines: a description, HTML. */
export function text(max: number) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((value) => !hasControlCharacter(value, { multiline: true }), { message: CONTROL_MESSAGE });
}

/** A string that must hold something besides blanks; reports REQUIRED when empty. One line. */
export function requiredText(max: number) {
  return z
    .string()
    .trim()
    .refine((value) => value.length > 0, { message: 'must not be empty', params: { code: 'REQUIRED' } })
    .refine((value) => value.length <= max, { message: `must be at most ${max} characters` })
    .refine((value) => !hasControlCharacter(value), { message: CONTROL_MESSAGE });
}

export function optionalText(max: number, { multiline = false } = {}) {
  return (multiline ? text(max) : line(max)).nullish().transform((value) => value ?? undefined);
}

export function optionalLine(max: number) {
  return line(max).nullish();
}

/** An exact amount in `currency` (domain/money.ts amountProblems says what is accepted). */
export function amount(currency: string, options: { allowZero?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    for (const message of amountProblems(value, currency, options)) ctx.addIssue({ code: 'custom', message });
  });
}

export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isKnownCurrency, { message: 'must be an ISO-4217 currency code such as "JPY"' });

/**
 * The format of a refund's (or capture's) amount and reason, checked before anything is loaded so
 * a malformed amount never costs a call; the currency's digits are checked once the charge is known.
 */
export const amountAndReason = z.object({
  amount: z
    .string()
    .refine(isUnsignedDecimal, { message: 'must be a positive decimal number such as "500"' })
    .refine((value) => !isUnsignedDecimal(value) || !new Dec(value).isZero(), {
      message: 'must be greater than zero',
    })
    .nullish(),
  reason: optionalLine(255),
});

/** Like Stripe's: a key names a field, it does not carry data. */
const METADATA_KEY_MAX = 40;

/** elepay metadata (providers/elepay.md §4): a few short string values under plain keys. */
const metadata = z
  .record(z.string(), z.unknown())
  .refine((record) => Object.keys(record).length <= 20, { message: 'must have at most 20 keys' })
  .refine(
    (record) =>
      Object.keys(record).every(
        (key) => key.length >= 1 && key.length <= METADATA_KEY_MAX && !hasControlCharacter(key),
      ),
    { message: `keys must be 1–${METADATA_KEY_MAX} characters without control characters` },
  )
  .refine(
    (record) =>
      Object.values(record).every((value) => typeof value !== 'string' || !hasControlCharacter(value)),
    { message: 'values must not contain control characters or bidirectional overrides' },
  )
  .refine((record) => Object.values(record).every((value) => typeof value === 'string'), {
    message: 'values must be strings',
  })
  .refine(
    (record) =>
      Object.values(record).every((value) => typeof value !== 'string' || Buffer.byteLength(value) <= 255),
    {
      message: 'values must be at most 255 bytes',
    },
  )
  .refine((record) => Object.keys(record).every((key) => !key.startsWith('route') && !key.startsWith('__')), {
    message: 'keys starting with "route" or "__" are reserved by elepay',
  })
  .transform((record) => record as Record<string, string>)
  .nullish();

export const URL_MAX = 2048;

/** Where a provider may post webhooks (domain/addresses.ts webhookUrlProblem says what is allowed). */
export function webhookUrl(sandboxed: boolean) {
  return z
    .string()
    .max(URL_MAX, { message: `must be at most ${URL_MAX} characters` })
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, sandboxed);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullish();
}

/** An elepay payment method name (providers/elepay.md §4 PaymentMethodType). */
const paymentMethod = z
  .string()
  .regex(/^[a-z0-9_]{1,40}$/, { message: 'must be an elepay payment method such as "creditcard"' });

/** elepay's order number: unique per charge, at most 50 visible ASCII characters. */
const orderNo = z.string().regex(/^[\x21-\x7e]{1,50}$/, { message: 'must be 1–50 visible ASCII characters' });

/** A new elepay charge's fields (CreateChargeInput), amounts in `currency`. */
export function newCharge(currency: string) {
  return z.object({
    amount: amount(currency),
    paymentMethod,
    orderNo: orderNo.nullish(),
    description: text(1000).nullish(),
    metadata,
  });
}

/** Validation of one plan; amounts follow the elopage currency's minor-unit digits. */
export function pricingPlan(currency: string) {
  const recurring = {
    firstInterval: z.string(),
    firstAmount: amount(currency, { allowZero: true }),
    nextInterval: z.string(),
    nextAmount: amount(currency, { allowZero: true }),
  };
  return z.object({
    oneTime: z
      .object({
        price: amount(currency, { allowZero: true }),
        oldPrice: amount(currency, { allowZero: true }).nullish(),
      })
      .nullish(),
    subscription: z.object(recurring).nullish(),
    split: z
      .object({
        ...recurring,
        paymentsCount: z
          .number()
          .int()
          .min(2, { message: 'must be at least 2' })
          .max(100, { message: 'must be at most 100' }),
        splittingType: z.string(),
      })
      .nullish(),
  });
}
