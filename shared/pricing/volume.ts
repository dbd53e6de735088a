/**
 * `volume`: every unit is priced at the one tier the meter's total falls in (the first whose
 * `upTo` is ≥ the total, else the last), plus that tier's `flatFee` when the total is > 0.
 */
import { type Quantity, sumQuantities } from '../decimal/quantity.js';
import { multiplyPrice } from '../money/money.js';
import { describeTierRange, priceLabel } from './line-text.js';
import type { GroupQuantity, PricedLine, PriceTier, VolumePrice } from './price-component.js';
import { PricingError } from './pricing-error.js';

/** The reached tier, its index, and the previous tier's `upTo`. */
function reachedTier(
  tiers: readonly PriceTier[],
  total: Quantity,
): { tier: PriceTier; index: number; from: Quantity | undefined } | undefined {
  let from: Quantity | undefined;
  for (const [index, tier] of tiers.entries()) {
    if (tier.upTo === undefined || total <= tier.upTo || index === tiers.length - 1) {
      return { tier, index, from };
    }
    from = tier.upTo;
  }
  return undefined;
}

/** One line, key `{key}`, the whole total at the reached tier's unit price. */
export function priceVolume(price: VolumePrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const total = sumQuantities(usage.map((u) => u.quantity));
  const reached = reachedTier(price.tiers, total);
  if (reached === undefined)
    throw new PricingError('invalid_price', `volume price "${price.key}" has no tiers`);
  const { tier, index, from } = reached;
  const flatFee = total > 0n ? (tier.flatFee ?? 0n) : 0n;
  return [
    {
      key: price.key,
      description: `${priceLabel(price)} — volume tier ${index + 1} (${describeTierRange(from, tier.upTo)})`,
      meter: price.meter,
      quantity: total,
      unitPrice: tier.unitPrice,
      amount: multiplyPrice(total, tier.unitPrice) + flatFee,
    },
  ];
}
