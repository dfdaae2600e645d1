import { describe, expect, it } from 'vitest';
import { absMoney, Dec, formatAmount, money } from '../../src/domain/money.js';

/** What absMoney must equal: the amount through Decimal, made positive, formatted. */
const throughDecimal = (text: string, currency: string) => ({
  amount: formatAmount(new Dec(text.trim()).abs(), currency),
  currency,
});

describe('absMoney', () => {
  it.each([
    ['-199.9', 'EUR', '199.90'],
    ['199.9', 'EUR', '199.90'],
    ['-19.385', 'EUR', '19.385'],
    ['-0', 'EUR', '0.00'],
    ['-0.0', 'EUR', '0.00'],
    ['-007.50', 'EUR', '7.50'],
    [' -6.05 ', 'EUR', '6.05'],
    ['-1000', 'JPY', '1000'],
    ['-12345678901234567890.123456789', 'EUR', '12345678901234567890.123456789'],
    ['-5.', 'EUR', '5.00'],
  ])('%j %s reads as %j, exactly as through Decimal', (text, currency, amount) => {
    expect(absMoney(text, currency)).toEqual({ amount, currency });
    expect(absMoney(text, currency)).toEqual(throughDecimal(text, currency));
  });

  it.each(['--5', '- 5', '+5', '5-', '', '-', 'abc', '1e5', '-.5'])('refuses %j', (text) => {
    expect(() => absMoney(text, 'EUR')).toThrow(/not a decimal/);
  });

  it('takes a Decimal as well', () => {
    expect(absMoney(new Dec('-2.5'), 'EUR')).toEqual(money('2.50', 'EUR'));
  });
});
