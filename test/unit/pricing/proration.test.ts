import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prorateByDays } from '../../../shared/pricing/proration.js';
import { money, thrownCode } from './pricing-factory.js';

describe('prorateByDays', () => {
  it.each([
    // $100 × 31/31 = $100
    ['100', 31n, 31n, '100'],
    // $100 × 15/30 = $50
    ['100', 15n, 30n, '50'],
    // $100 × 1/3 = $33.333…3 (24 decimals, half-up)
    ['100', 1n, 3n, '33.333333333333333333333333'],
    // $2 × 2/3 = $1.333…3
    ['2', 2n, 3n, '1.333333333333333333333333'],
    // $0.01 × 1/7 = $0.001428571428571428571429 (…4285714 rounds up to …429)
    ['0.01', 1n, 7n, '0.001428571428571428571429'],
  ])('prorates $%s by %i of %i days to $%s', (amount, days, ofDays, expected) => {
    expect(prorateByDays(money(amount), days, ofDays)).toBe(money(expected));
  });

  it.each([
    [5n, 0n],
    [-1n, 30n],
    [31n, 30n],
  ])('rejects %i of %i days with invalid_proration', (days, ofDays) => {
    expect(thrownCode(() => prorateByDays(money('10'), days, ofDays))).toBe('invalid_proration');
  });

  it('splits a period into parts that add back to the whole within 10^-24 per part', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: money('100000') }),
        fc.integer({ min: 1, max: 31 }),
        (amount, n) => {
          const ofDays = BigInt(n);
          const parts = Array.from({ length: n }, () => prorateByDays(amount, 1n, ofDays));
          const sum = parts.reduce((a, b) => a + b, 0n);
          const diff = sum - amount;
          expect(diff >= -ofDays && diff <= ofDays).toBe(true);
        },
      ),
    );
  });
});
