/** `package`: `packagePrice` per started block of `packageSize` units. */
import { sumQuantities } from '../decimal/quantity.js';
import { formatCount, priceLabel } from './line-text.js';
import type { GroupQuantity, PackagePrice, PricedLine } from './price-component.js';
import { PricingError } from './pricing-error.js';

/** How many packages `quantity` needs: ceil(quantity / packageSize). */
export function packagesFor(quantity: bigint, packageSize: bigint): bigint {
  if (packageSize <= 0n) throw new PricingError('invalid_price', 'package size must be > 0');
  return quantity <= 0n ? 0n : (quantity + packageSize - 1n) / packageSize;
}

/** One line, key `{key}`: quantity = the meter's total, amount = ceil(total / packageSize) × packagePrice. */
export function pricePackage(price: PackagePrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const quantity = sumQuantities(usage.map((u) => u.quantity));
  const packages = packagesFor(quantity, price.packageSize);
  const noun = packages === 1n ? 'package' : 'packages';
  return [
    {
      key: price.key,
      description: `${priceLabel(price)} — ${packages} ${noun} of ${formatCount(price.packageSize)}`,
      meter: price.meter,
      quantity,
      amount: packages * price.packagePrice,
    },
  ];
}
