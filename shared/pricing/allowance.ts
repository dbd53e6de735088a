/** `allowance`: the first `included` units of the period are free, the rest cost `unitPrice` each. */
import { minQuantity, sumQuantities } from '../decimal/quantity.js';
import { multiplyPrice } from '../money/money.js';
import { formatCount, priceLabel } from './line-text.js';
import type { AllowancePrice, GroupQuantity, PricedLine } from './price-component.js';

/**
 * Up to two lines: `{key}:included` (the usage inside the allowance, at zero) and
 * `{key}:overage` (the rest at `unitPrice`). Each appears only when its quantity is > 0; with no
 * usage, a single zero `included` line shows the meter.
 */
export function priceAllowance(price: AllowancePrice, usage: readonly GroupQuantity[]): PricedLine[] {
  const total = sumQuantities(usage.map((u) => u.quantity));
  const included = minQuantity(total, price.included);
  const overage = total - included;
  const label = priceLabel(price);
  const lines: PricedLine[] = [];
  if (included > 0n || overage === 0n) {
    lines.push({
      key: `${price.key}:included`,
      description: `${label} — included (${formatCount(price.included)} included)`,
      meter: price.meter,
      quantity: included,
      unitPrice: 0n,
      amount: 0n,
    });
  }
  if (overage > 0n) {
    lines.push({
      key: `${price.key}:overage`,
      description: `${label} — overage above ${formatCount(price.included)}`,
      meter: price.meter,
      quantity: overage,
      unitPrice: price.unitPrice,
      amount: multiplyPrice(overage, price.unitPrice),
    });
  }
  return lines;
}
