import { z } from 'zod';
import { Dec, isKnownCurrency, isUnsignedDecimal, minorUnitDigits } from '../domain/money.js';

/** Reusable input rules, so every mutation says the same thing about the same mistake. */

/** A string that must hold something besides blanks; reports REQUIRED when empty. */
export function requiredText(max: number) {
  return z
    .string()
    .trim()
    .refine((value) => value.length > 0, { message: 'must not be empty', params: { code: 'REQUIRED' } })
    .refine((value) => value.length <= max, { message: `must be at most ${max} characters` });
}

export function optionalText(max: number) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .nullish()
    .transform((value) => value ?? undefined);
}

/**
 * An exact amount in `currency`: plain digits with an optional fraction, no sign, no exponent, no
 * comma, and no more fraction digits than the currency has (nothing is ever rounded).
 */
export function amount(currency: string, { allowZero = false }: { allowZero?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    if (!isUnsignedDecimal(value)) {
      ctx.addIssue({
        code: 'custom',
        message: value.trim().startsWith('-')
          ? 'must not be negative'
          : 'must be a decimal number such as "12.50": digits, optionally a "." and more digits',
      });
      return;
    }
    const dec = new Dec(value);
    if (!allowZero && dec.isZero()) ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
    const digits = minorUnitDigits(currency);
    if (dec.decimalPlaces() > digits) {
      ctx.addIssue({
        code: 'custom',
        message:
          digits === 0
            ? `${currency} amounts take no decimal places`
            : `${currency} amounts take at most ${digits} decimal places`,
      });
    }
  });
}

export const currencyCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isKnownCurrency, { message: 'must be an ISO-4217 currency code such as "JPY"' });
