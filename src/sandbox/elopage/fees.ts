/**
 * elopage's money math, exact (decimal.js, never a float). The document shows no fee formula; the
 * brief fixes one: fee = 2.9 % + 0.25, rounded half-up to cents; net = gross − fee; an author's
 * commission is net × rate / 100 and is NOT rounded — the document's own example is "19.385".
 */

import { Dec } from '../../domain/money.js';
import type { PricingPlanRow } from './model.js';

const FEE_RATE = new Dec('0.029');
const FEE_FIXED = new Dec('0.25');

export interface PaymentAmounts {
  revenue: string;
  fee: string;
  net: string;
}

/** What the buyer pays first: a one-time price, or a subscription's / split's first amount. */
export function chargedAmount(plan: PricingPlanRow): string {
  const prefs = plan.preferences;
  return (plan.form === 'one_time' ? prefs.price : prefs.first_amount) ?? '0';
}

export function paymentAmounts(revenueText: string): PaymentAmounts {
  const revenue = new Dec(revenueText);
  const fee = revenue.isZero()
    ? new Dec(0)
    : revenue.mul(FEE_RATE).plus(FEE_FIXED).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
  // net + fee = revenue exactly, because net is derived from the already-rounded fee.
  const net = revenue.minus(fee);
  return { revenue: moneyText(revenue), fee: moneyText(fee), net: moneyText(net) };
}

export function commissionAmount(netText: string, rateText: string): string {
  return moneyText(new Dec(netText).mul(new Dec(rateText)).div(100));
}

/** At least two decimals, never fewer than the value has: 199.9 → "199.90", 19.385 → "19.385". */
export function moneyText(value: Dec): string {
  const normalized = value.isZero() ? new Dec(0) : value;
  return normalized.toFixed(Math.max(normalized.decimalPlaces(), 2));
}

/** "-199.90" for "199.90"; zero stays unsigned. */
export function negated(text: string): string {
  return moneyText(new Dec(text).neg());
}

/**
 * How elopage renders a decimal column (Rails BigDecimal): normalized, at least one decimal —
 * "200" → "200.0", "0.50" → "0.5", 10 → "10.0" (the document's GET examples).
 */
export function decimalColumn(text: string): string {
  const value = new Dec(text);
  return value.toFixed(Math.max(value.decimalPlaces(), 1));
}

export function isZero(text: string | undefined): boolean {
  return text === undefined || new Dec(text).isZero();
}
