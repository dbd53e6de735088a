/** Discounts: a percent or a fixed amount off the period's subtotal. */
import { quantityOf } from '../decimal/quantity.js';
import { type PreciseAmount, scaleAmount } from '../money/money.js';
import type { Discount, PricedLine } from './price-component.js';

const MILLION = 1_000_000n;

/**
 * The discount's line, key `discount:{key}`, with a negative (or zero) amount. A percent is
 * taken of the subtotal (rounded half-up at 10^-24); an amount is capped at the subtotal, so a
 * discount never makes the total negative. A subtotal ≤ 0 gets no discount.
 */
export function priceDiscount(discount: Discount, subtotal: PreciseAmount): PricedLine {
  const base = subtotal > 0n ? subtotal : 0n;
  const off =
    discount.kind === 'percent' ? scaleAmount(base, discount.partsPerMillion, MILLION) : discount.amount;
  // Neither more than the subtotal (an amount, or a hand-built percent over 100) nor below zero.
  let capped = off;
  if (capped > base) capped = base;
  if (capped < 0n) capped = 0n;
  return {
    key: `discount:${discount.key}`,
    description: discount.name,
    quantity: quantityOf(1),
    amount: -capped,
  };
}
