/**
 * `graduated`: each unit is priced at the tier it falls in, like income-tax brackets. A tier
 * covers usage above the previous tier's `upTo` up to its own (inclusive); its `flatFee` is
 * charged once when usage reaches into it (a quantity > 0 in the tier).
 */
import { minQuantity, type Quantity, sumQuantities } from '../decimal/quantity.js';
import { multiplyPrice } from '../money/money.js';
import { describeTierRange, priceLabel } from './line-text.js';
import type { GraduatedPrice, GroupQuantity, PricedLine, PriceTier } from './price-component.js';
import { PricingError } from './pricing-error.js';

function tierLine(
  price: GraduatedPrice,
  tier: PriceTier,
  index: number,
  from: Quantity | undefined,
  quantity: Quantity,
): PricedLine {
  const flatFee = quantity > 0n ? (tier.flatFee ?? 0n) : 0n;
  return {
    key: `${price.key}:tier${index + 1}`,
    description: `${priceLabel(price)} — tier ${index + 1} (${describeTierRange(from, tier.upTo)})`,
    meter: price.meter,
    quantity,
    unitPrice: tier.unitPrice,
    amount: multiplyPrice(quantity, tier.unitPrice) + flatFee,
  };
}

/**
 * One line per tier the meter's total reaches, key `{key}:tier{n}`; with no usage, a zero line
 * for tier 1. Usage beyond a last tier that has an `upTo` (which validation forbids) is priced
 * at the last tier.
 */
export function priceGraduated(price: GraduatedPrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const [first] = price.tiers;
  if (first === undefined)
    throw new PricingError('invalid_price', `graduated price "${price.key}" has no tiers`);
  const total = sumQuantities(usage.map((u) => u.quantity));
  if (total <= 0n) return [tierLine(price, first, 0, undefined, 0n)];
  const lines: PricedLine[] = [];
  let from: Quantity | undefined;
  for (const [index, tier] of price.tiers.entries()) {
    const start = from ?? 0n;
    if (total <= start) break;
    const isLast = index === price.tiers.length - 1;
    const end = tier.upTo === undefined || isLast ? total : minQuantity(tier.upTo, total);
    if (end > start) lines.push(tierLine(price, tier, index, from, end - start));
    from = tier.upTo;
    if (tier.upTo === undefined) break;
  }
  return lines;
}
