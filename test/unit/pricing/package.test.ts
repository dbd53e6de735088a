import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packagesFor, pricePackage } from '../../../shared/pricing/package.js';
import type { PackagePrice } from '../../../shared/pricing/price-component.js';
import { money, thrownCode, total, units } from './pricing-factory.js';

const calls: PackagePrice = {
  key: 'inference_calls',
  meter: 'inference_calls',
  name: 'Inference calls',
  type: 'package',
  packageSize: units('1000'),
  packagePrice: money('0.50'),
};

describe('pricePackage', () => {
  it.each([
    // ceil(0 / 1,000) = 0 packages × $0.50 = $0
    ['0', '0 packages of 1,000', '0'],
    // ceil(1 / 1,000) = 1 × $0.50 = $0.50: a started package is a whole package
    ['1', '1 package of 1,000', '0.5'],
    // ceil(1,000 / 1,000) = 1 × $0.50 = $0.50
    ['1000', '1 package of 1,000', '0.5'],
    // ceil(1,001 / 1,000) = 2 × $0.50 = $1.00
    ['1001', '2 packages of 1,000', '1'],
    // ceil(2,500 / 1,000) = 3 × $0.50 = $1.50
    ['2500', '3 packages of 1,000', '1.5'],
  ])('prices %s calls as %s: $%s', (quantity, packages, expected) => {
    expect(pricePackage(calls, total(quantity))).toEqual([
      {
        key: 'inference_calls',
        description: `Inference calls — ${packages}`,
        meter: 'inference_calls',
        quantity: units(quantity),
        amount: money(expected),
      },
    ]);
  });

  it('handles fractional package sizes', () => {
    // ceil(1.2 / 0.5) = 3 × $0.10 = $0.30
    const gb: PackagePrice = { ...calls, packageSize: units('0.5'), packagePrice: money('0.10') };
    expect(pricePackage(gb, total('1.2'))[0]?.amount).toBe(money('0.3'));
  });

  it('throws invalid_price for a package size of zero', () => {
    expect(thrownCode(() => pricePackage({ ...calls, packageSize: 0n }, total('5')))).toBe('invalid_price');
  });

  it('charges ceil(q / size) × price: the fewest packages that hold the usage', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: units('1000000') }),
        fc.bigInt({ min: 1n, max: units('5000') }),
        fc.bigInt({ min: 0n, max: money('100') }),
        (quantity, packageSize, packagePrice) => {
          const price = { ...calls, packageSize, packagePrice };
          const [line] = pricePackage(price, [{ group: {}, quantity }]);
          const packages = packagesFor(quantity, packageSize);
          expect(packages * packageSize).toBeGreaterThanOrEqual(quantity);
          expect(packages === 0n || (packages - 1n) * packageSize < quantity).toBe(true);
          expect(line?.amount).toBe(packages * packagePrice);
        },
      ),
    );
  });
});
