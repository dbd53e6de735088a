/** `per_unit`: the meter's total quantity × one unit price. */
import { sumQuantities } from '../decimal/quantity.js';
import { multiplyPrice } from '../money/money.js';
import { priceLabel } from './line-text.js';
import type { GroupQuantity, PerUnitPrice, PricedLine } from './price-component.js';

/** One line: the total over all groups at `unitPrice` (a zero line when there is no usage). */
export function pricePerUnit(price: PerUnitPrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const quantity = sumQuantities(usage.map((u) => u.quantity));
  return [
    {
      key: price.key,
      description: priceLabel(price),
      meter: price.meter,
      quantity,
      unitPrice: price.unitPrice,
      amount: multiplyPrice(quantity, price.unitPrice),
    },
  ];
}
