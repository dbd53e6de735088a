import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VolumePrice } from '../../../shared/pricing/price-component.js';
import { PricingError } from '../../../shared/pricing/pricing-error.js';
import { priceVolume } from '../../../shared/pricing/volume.js';
import { grouped, money, perUnit, thrownCode, total, units } from './pricing-factory.js';

const tokens: VolumePrice = {
  key: 'input_tokens',
  meter: 'input_tokens',
  name: 'Input tokens',
  type: 'volume',
  tiers: [
    { upTo: units('1000'), unitPrice: perUnit('0.002') },
    { upTo: units('5000'), unitPrice: perUnit('0.0015'), flatFee: money('2') },
    { unitPrice: perUnit('0.001') },
  ],
};

describe('priceVolume', () => {
  it.each([
    // 0 → tier 1 at $0.002: $0, no flat fee without usage
    ['0', 1, '0.002', '0'],
    // 1,000 × $0.002 = $2 (upTo is inclusive)
    ['1000', 1, '0.002', '2'],
    // 1,001 × $0.0015 + $2 flat = $3.5015: every unit at the reached tier
    ['1001', 2, '0.0015', '3.5015'],
    // 5,000 × $0.0015 + $2 = $9.50
    ['5000', 2, '0.0015', '9.5'],
    // 6,000 × $0.001 = $6 (less than at 5,000: that is what volume pricing does)
    ['6000', 3, '0.001', '6'],
  ])('prices %s units all at tier %i ($%s each): $%s', (quantity, tier, price, expected) => {
    const lines = priceVolume(tokens, total(quantity));
    expect(lines).toEqual([
      {
        key: 'input_tokens',
        description: expect.stringContaining(`Input tokens — volume tier ${tier} (`),
        meter: 'input_tokens',
        quantity: units(quantity),
        unitPrice: perUnit(price),
        amount: money(expected),
      },
    ]);
  });

  it('prices the total over all groups', () => {
    const usage = grouped([{ model: 'a' }, '600'], [{ model: 'b' }, '600']);
    // 1,200 × $0.0015 + $2 = $3.80
    expect(priceVolume(tokens, usage)[0]?.amount).toBe(money('3.8'));
  });

  it('describes the reached tier’s range', () => {
    expect(priceVolume(tokens, total('2000'))[0]?.description).toBe(
      'Input tokens — volume tier 2 (1,001–5,000)',
    );
  });

  it('throws invalid_price for a price without tiers', () => {
    expect(() => priceVolume({ ...tokens, tiers: [] }, total('1'))).toThrow(PricingError);
    expect(thrownCode(() => priceVolume({ ...tokens, tiers: [] }, total('1')))).toBe('invalid_price');
  });

  it('never prices below zero, whatever the usage', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: units('100000') }), (quantity) => {
        const [line] = priceVolume(tokens, [{ group: {}, quantity }]);
        expect(line?.amount).toBeGreaterThanOrEqual(0n);
      }),
    );
  });
});
