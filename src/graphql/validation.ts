import { z } from 'zod';
import {
  Dec,
  formatAmount,
  isKnownCurrency,
  isUnsignedDecimal,
  maxAmount,
  minorUnitDigits,
} from '../domain/money.js';

/** Reusable input rules, so every mutation says the same thing about the same mistake. */

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
    const ceiling = maxAmount(currency);
    if (dec.gt(ceiling)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${formatAmount(ceiling, currency)} ${currency}`,
      });
      return;
    }
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
