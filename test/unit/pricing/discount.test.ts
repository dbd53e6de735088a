import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { priceDiscount } from '../../../shared/pricing/discount.js';
import type { Discount } from '../../../shared/pricing/price-component.js';
import { money } from './pricing-factory.js';

const percent = (partsPerMillion: bigint): Discount => ({
  key: 'launch',
  name: 'Launch discount',
  kind: 'percent',
  partsPerMillion,
});
const amountOff = (amount: string): Discount => ({
  key: 'loyalty',
  name: 'Loyalty',
  kind: 'amount',
  amount: money(amount),
});

describe('priceDiscount', () => {
  it.each<[string, Discount, string, string]>([
    // 10% (100,000 ppm) of $250 = $25 off
    ['10%', percent(100_000n), '250', '-25'],
    // 12.5% (125,000 ppm) of $80 = $10 off
    ['12.5%', percent(125_000n), '80', '-10'],
    // 33.3333% (333,333 ppm) of $100 = $33.3333 off
    ['33.3333%', percent(333_333n), '100', '-33.3333'],
    // 100% of $49.99 = $49.99 off
    ['100%', percent(1_000_000n), '49.99', '-49.99'],
    // 10% of $0.000001 = $0.0000001 off (precise)
    ['10% of a tiny subtotal', percent(100_000n), '0.000001', '-0.0000001'],
    // $5 off $250 = $5 off
    ['$5', amountOff('5.00'), '250', '-5'],
    // $50 off $20: capped at the subtotal, $20 off
    ['$50 capped', amountOff('50'), '20', '-20'],
    // nothing to take off a zero subtotal
    ['$5 of nothing', amountOff('5'), '0', '0'],
    // nor off a negative one
    ['10% of a credit', percent(100_000n), '-10', '0'],
  ])('%s of $%s', (_, discount, subtotal, expected) => {
    expect(priceDiscount(discount, money(subtotal)).amount).toBe(money(expected));
  });

  it('names the line by the discount key, as one unit', () => {
    expect(priceDiscount(percent(100_000n), money('10'))).toEqual({
      key: 'discount:launch',
      description: 'Launch discount',
      quantity: quantityOf(1),
      amount: money('-1'),
    });
  });

  it('never takes the total below zero nor adds to it', () => {
    const discount = fc.oneof(
      fc.bigInt({ min: 0n, max: 2_000_000n }).map(percent),
      fc
        .bigInt({ min: 0n, max: money('1000') })
        .map((amount): Discount => ({ key: 'loyalty', name: 'Loyalty', kind: 'amount', amount })),
    );
    fc.assert(
      fc.property(discount, fc.bigInt({ min: money('-100'), max: money('1000') }), (d, subtotal) => {
        const { amount } = priceDiscount(d, subtotal);
        expect(amount).toBeLessThanOrEqual(0n);
        expect(subtotal + amount).toBeGreaterThanOrEqual(subtotal > 0n ? 0n : subtotal);
      }),
    );
  });
});
