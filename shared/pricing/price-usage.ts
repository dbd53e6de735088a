/** Prices one usage component of a plan, dispatching on its `type`. */
import { priceAllowance } from './allowance.js';
import { priceGraduated } from './graduated.js';
import { pricePackage } from './package.js';
import { pricePerUnit } from './per-unit.js';
import type { GroupQuantity, PricedLine, UsagePrice } from './price-component.js';
import { priceRateCard } from './rate-card.js';
import { priceVolume } from './volume.js';

/** The lines for `price` given the meter's billable quantity per group in the period. */
export function priceUsage(price: UsagePrice, usage: readonly GroupQuantity[]): PricedLine[] {
  switch (price.type) {
    case 'per_unit':
      return pricePerUnit(price, usage);
    case 'graduated':
      return priceGraduated(price, usage);
    case 'volume':
      return priceVolume(price, usage);
    case 'package':
      return pricePackage(price, usage);
    case 'allowance':
      return priceAllowance(price, usage);
    case 'rate_card':
      return priceRateCard(price, usage);
    default: {
      const unknown: never = price;
      throw new Error(`unreachable: unknown price type ${JSON.stringify(unknown)}`);
    }
  }
}
