/**
 * Money is exact decimal text plus an ISO-4217 code. Amounts never pass through a JS number:
 * provider JSON is parsed losslessly (providers/json.ts) and arithmetic uses decimal.js.
 */
import { Decimal } from 'decimal.js';

export interface Money {
  /** Exact decimal text, at least the currency's minor-unit digits ("199.90", "1000", "19.385"). */
  amount: string;
  currency: string;
}

/** A private Decimal constructor: enough precision that no provider amount is ever rounded. */
export const Dec = Decimal.clone({
  precision: 60,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -60,
  toExpPos: 60,
});
export type Dec = Decimal;

/** Plain non-negative decimal text as users type it: digits, optionally a point and digits. */
const UNSIGNED_DECIMAL = /^\d{1,30}(\.\d{1,30})?$/;
/** What providers send: optionally signed, optionally a fraction ("-199.9", "0", "19.385"). */
const SIGNED_DECIMAL = /^-?\d{1,30}(\.\d{0,30})?$/;

export function isUnsignedDecimal(text: string): boolean {
  return UNSIGNED_DECIMAL.test(text);
}

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function isKnownCurrency(code: string): boolean {
  return KNOWN_CURRENCIES.has(code);
}

const minorDigitsCache = new Map<string, number>();

/** ISO-4217 minor-unit digits as the platform's ICU data knows them (EUR 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  let digits = minorDigitsCache.get(currency);
  if (digits === undefined) {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
    minorDigitsCache.set(currency, digits);
  }
  return digits;
}

/** Parses decimal text from a provider; throws on anything that is not a plain decimal. */
export function parseProviderDecimal(text: string): Dec {
  const trimmed = text.trim();
  if (!SIGNED_DECIMAL.test(trimmed)) throw new Error(`not a decimal: ${JSON.stringify(text.slice(0, 40))}`);
  return new Dec(trimmed);
}

/**
 * Renders an exact amount with at least the currency's minor-unit digits and never fewer than
 * it already has: 199.9 EUR → "199.90", 19.385 EUR → "19.385", 1000 JPY → "1000".
 */
export function formatAmount(value: Dec, currency: string): string {
  const digits = Math.max(value.decimalPlaces(), minorUnitDigits(currency));
  return value.toFixed(digits);
}

export function money(value: Dec | string, currency: string): Money {
  const plain = typeof value === 'string' ? formatPlainDecimal(value, currency) : null;
  if (plain !== null) return { amount: plain, currency };
  const dec = typeof value === 'string' ? parseProviderDecimal(value) : value;
  return { amount: formatAmount(dec, currency), currency };
}

/** Non-negative decimal text already in canonical form: no sign, no leading zeros, no spaces. */
const PLAIN_DECIMAL = /^(0|[1-9]\d{0,29})(?:\.(\d{0,30}))?$/;

/**
 * formatAmount for the common case without building a Decimal (one per amount adds up on a page
 * of payments): the same text, as trailing zeros are not decimal places there either. Anything
 * else returns null and goes through Decimal.
 */
function formatPlainDecimal(text: string, currency: string): string | null {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return null;
  const [, whole = '0', given = ''] = match;
  const fraction = given.replace(/0+$/, '').padEnd(minorUnitDigits(currency), '0');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * The absolute value: refunds arrive negative from elopage and are positive in our API. Provider
 * text loses its sign as text (money() then checks what is left), so no Decimal is built per amount.
 */
export function absMoney(value: Dec | string, currency: string): Money {
  if (typeof value !== 'string') return money(value.abs(), currency);
  const trimmed = value.trim();
  if (!SIGNED_DECIMAL.test(trimmed)) throw new Error(`not a decimal: ${JSON.stringify(value.slice(0, 40))}`);
  return money(trimmed.startsWith('-') ? trimmed.slice(1) : trimmed, currency);
}

/** Integer minor units (elepay's wire amount) → Money. */
export function fromMinorUnits(units: string, currency: string): Money {
  return money(parseProviderDecimal(units).div(new Dec(10).pow(minorUnitDigits(currency))), currency);
}

/**
 * The largest amount any one charge, refund, capture or price may have: 11 digits of minor units
 * (JPY 99,999,999,999; EUR 999,999,999.99; KWD 99,999,999.999). Far above any real payment, and it
 * keeps a mistyped or hostile 30-digit amount from reaching a provider, whose answer ("amount too
 * large") would otherwise read like something else.
 */
const MAX_MINOR_UNIT_DIGITS = 11;

export function maxAmount(currency: string): Dec {
  return new Dec(10)
    .pow(MAX_MINOR_UNIT_DIGITS)
    .sub(1)
    .div(new Dec(10).pow(minorUnitDigits(currency)));
}

/**
 * Money → integer minor units, or null when the amount has more digits than the currency has
 * (a caller turns that into a userError instead of rounding someone's money).
 */
export function toMinorUnits(amount: Dec, currency: string): string | null {
  const units = amount.mul(new Dec(10).pow(minorUnitDigits(currency)));
  return units.isInteger() ? units.toFixed(0) : null;
}

/**
 * What is wrong with an amount a user gave in `currency`, if anything: it must be plain digits with
 * an optional fraction (no sign, exponent or comma), above zero unless `allowZero`, at most
 * maxAmount, and have no more fraction digits than the currency has (nothing is ever rounded).
 */
export function amountProblems(value: string, currency: string, { allowZero = false } = {}): string[] {
  if (!isUnsignedDecimal(value)) {
    return [
      value.trim().startsWith('-')
        ? 'must not be negative'
        : 'must be a decimal number such as "12.50": digits, optionally a "." and more digits',
    ];
  }
  const problems: string[] = [];
  const dec = new Dec(value);
  if (!allowZero && dec.isZero()) problems.push('must be greater than zero');
  const ceiling = maxAmount(currency);
  if (dec.gt(ceiling)) return [...problems, `must be at most ${formatAmount(ceiling, currency)} ${currency}`];
  const digits = minorUnitDigits(currency);
  if (dec.decimalPlaces() > digits) {
    problems.push(
      digits === 0
        ? `${currency} amounts take no decimal places`
        : `${currency} amounts take at most ${digits} decimal places`,
    );
  }
  return problems;
}
