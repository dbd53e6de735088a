/**
 * `rate_card`: a unit price per value of one dimension of the meter (e.g. per `model`). Usage is
 * summed per value of that dimension across the meter's other dimensions.
 */
import type { Quantity } from '../decimal/quantity.js';
import { multiplyPrice, type UnitPrice } from '../money/money.js';
import { priceLabel } from './line-text.js';
import type { GroupQuantity, PricedLine, RateCardPrice } from './price-component.js';

/** The unit price of `value`: its rate, else the default, else undefined (unpriced). */
export function rateFor(price: RateCardPrice, value: string): UnitPrice | undefined {
  return Object.hasOwn(price.rates, value) ? price.rates[value] : price.defaultUnitPrice;
}

/**
 * One line per dimension value with a total > 0, sorted by value; key `{key}:{value}`, group
 * `{[dimension]: value}`. Events without the dimension count under the value `''`. A value with
 * neither a rate nor a default is priced at zero and flagged `unpriced: true`. No usage: no lines.
 */
export function priceRateCard(price: RateCardPrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const totals = new Map<string, Quantity>();
  for (const { group, quantity } of usage) {
    const value = Object.hasOwn(group, price.dimension) ? (group[price.dimension] ?? '') : '';
    totals.set(value, (totals.get(value) ?? 0n) + quantity);
  }
  const label = priceLabel(price);
  return [...totals]
    .filter(([, quantity]) => quantity > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, quantity]): PricedLine => {
      const unitPrice = rateFor(price, value);
      const shown = value === '' ? `no ${price.dimension}` : value;
      const base = {
        key: `${price.key}:${value}`,
        meter: price.meter,
        group: { [price.dimension]: value },
        quantity,
      };
      if (unitPrice === undefined) {
        return { ...base, description: `${label} — ${shown} (no price)`, amount: 0n, unpriced: true };
      }
      return {
        ...base,
        description: `${label} — ${shown}`,
        unitPrice,
        amount: multiplyPrice(quantity, unitPrice),
      };
    });
}
