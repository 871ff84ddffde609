import { describe, expect, it } from 'vitest';
import { formatMinorUnits, toMoney } from './money.js';

describe('money at the API edge', () => {
  it.each([
    [1250, 'EUR', '12.50'],
    [5, 'EUR', '0.05'],
    [0, 'USD', '0.00'],
    [-5, 'EUR', '-0.05'],
    [199999, 'GBP', '1999.99'],
    [500, 'JPY', '500'],
    [1234, 'KWD', '1.234'],
  ])('%i %s is "%s"', (minor, currency, amount) => {
    expect(formatMinorUnits(minor, currency)).toBe(amount);
  });

  it('never takes a fractional amount', () => {
    expect(() => formatMinorUnits(12.5, 'EUR')).toThrow(RangeError);
  });

  it('keeps the minor units beside the decimal string', () => {
    expect(toMoney(4999, 'EUR')).toEqual({ amount: '49.99', currencyCode: 'EUR', minorUnits: 4999 });
  });
});
