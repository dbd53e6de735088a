import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceGraduated } from '../../../shared/pricing/graduated.js';
import type { GraduatedPrice } from '../../../shared/pricing/price-component.js';
import { PricingError } from '../../../shared/pricing/pricing-error.js';
import { money, perUnit, sumAmounts, thrownCode, total, units } from './pricing-factory.js';

const gpu: GraduatedPrice = {
  key: 'gpu',
  meter: 'gpu_seconds',
  name: 'GPU time',
  type: 'graduated',
  tiers: [
    { upTo: units('1000'), unitPrice: perUnit('0.002') },
    { upTo: units('5000'), unitPrice: perUnit('0.001'), flatFee: money('5') },
    { unitPrice: perUnit('0.0005') },
  ],
};

describe('priceGraduated', () => {
  it.each([
    // 0 → a zero line for tier 1; no tier is reached, so no flat fee
    ['0', [['gpu:tier1', '0', '0']]],
    // 500 × $0.002 = $1
    ['500', [['gpu:tier1', '500', '1']]],
    // 1,000 × $0.002 = $2 (upTo is inclusive)
    ['1000', [['gpu:tier1', '1000', '2']]],
    // 1,000 × $0.002 = $2; 500 × $0.001 + $5 flat = $5.50
    [
      '1500',
      [
        ['gpu:tier1', '1000', '2'],
        ['gpu:tier2', '500', '5.5'],
      ],
    ],
    // 1,000 × $0.002 = $2; 4,000 × $0.001 + $5 = $9; 2,000 × $0.0005 = $1 → $12 in all
    [
      '7000',
      [
        ['gpu:tier1', '1000', '2'],
        ['gpu:tier2', '4000', '9'],
        ['gpu:tier3', '2000', '1'],
      ],
    ],
    // 1,000 × $0.002 = $2; 0.5 × $0.001 + $5 = $5.0005
    [
      '1000.5',
      [
        ['gpu:tier1', '1000', '2'],
        ['gpu:tier2', '0.5', '5.0005'],
      ],
    ],
  ])('prices %s units tier by tier', (quantity, expected) => {
    const lines = priceGraduated(gpu, total(quantity));
    expect(lines.map((l) => [l.key, l.quantity, l.amount])).toEqual(
      expected.map(([key, q, amount]) => [key, units(q ?? ''), money(amount ?? '')]),
    );
  });

  it('gives each line its tier’s unit price, the meter, and a readable range', () => {
    const lines = priceGraduated(gpu, total('7000'));
    expect(lines.map((l) => [l.description, l.unitPrice, l.meter])).toEqual([
      ['GPU time — tier 1 (up to 1,000)', perUnit('0.002'), 'gpu_seconds'],
      ['GPU time — tier 2 (1,001–5,000)', perUnit('0.001'), 'gpu_seconds'],
      ['GPU time — tier 3 (over 5,000)', perUnit('0.0005'), 'gpu_seconds'],
    ]);
  });

  it('describes fractional boundaries without inventing a next unit', () => {
    const price: GraduatedPrice = {
      ...gpu,
      tiers: [{ upTo: units('0.5'), unitPrice: 0n }, { upTo: units('2'), unitPrice: 0n }, { unitPrice: 0n }],
    };
    expect(priceGraduated(price, total('3')).map((l) => l.description)).toEqual([
      'GPU time — tier 1 (up to 0.5)',
      'GPU time — tier 2 (over 0.5 up to 2)',
      'GPU time — tier 3 (over 2)',
    ]);
  });

  it('prices a single unbounded tier like a unit price', () => {
    const price: GraduatedPrice = { ...gpu, tiers: [{ unitPrice: perUnit('0.01') }] };
    // 250 × $0.01 = $2.50
    expect(priceGraduated(price, total('250'))).toEqual([
      expect.objectContaining({
        key: 'gpu:tier1',
        description: 'GPU time — tier 1 (all units)',
        amount: money('2.5'),
      }),
    ]);
  });

  it('prices usage beyond a bounded last tier at that tier (validation forbids such tiers)', () => {
    const price: GraduatedPrice = { ...gpu, tiers: [{ upTo: units('10'), unitPrice: perUnit('1') }] };
    // 15 × $1 = $15
    expect(priceGraduated(price, total('15'))).toEqual([expect.objectContaining({ amount: money('15') })]);
  });

  it('throws invalid_price for a price without tiers', () => {
    expect(() => priceGraduated({ ...gpu, tiers: [] }, total('1'))).toThrow(PricingError);
    expect(thrownCode(() => priceGraduated({ ...gpu, tiers: [] }, total('1')))).toBe('invalid_price');
  });

  describe('laws', () => {
    const quantity = fc.bigInt({ min: 0n, max: units('10000000') });

    it('never decreases as usage grows: total(q + Δ) ≥ total(q)', () => {
      fc.assert(
        fc.property(quantity, quantity, (q, delta) => {
          const before = sumAmounts(priceGraduated(gpu, [{ group: {}, quantity: q }]));
          const after = sumAmounts(priceGraduated(gpu, [{ group: {}, quantity: q + delta }]));
          expect(after).toBeGreaterThanOrEqual(before);
        }),
      );
    });

    it('splits the whole quantity over the tiers', () => {
      fc.assert(
        fc.property(quantity, (q) => {
          const lines = priceGraduated(gpu, [{ group: {}, quantity: q }]);
          expect(lines.reduce((sum, l) => sum + l.quantity, 0n)).toBe(q);
        }),
      );
    });
  });
});
