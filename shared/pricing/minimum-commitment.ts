/** Minimum commitments: a true-up when the period's usage charges fall short of the commitment. */
import { quantityOf } from '../decimal/quantity.js';
import type { PreciseAmount } from '../money/money.js';
import type { MinimumCommitment, PricedLine } from './price-component.js';

export const COMMITMENT_LINE_KEY = 'minimum-commitment';

/**
 * A line for `commitment.amount − usageCharges` when the usage charges are below the
 * commitment; undefined when they meet it. `usageCharges` is the sum of the period's usage
 * lines (precise, before discounts and credits).
 */
export function trueUp(commitment: MinimumCommitment, usageCharges: PreciseAmount): PricedLine | undefined {
  if (usageCharges >= commitment.amount) return undefined;
  return {
    key: COMMITMENT_LINE_KEY,
    description: `${commitment.name ?? 'Minimum commitment'} — true-up`,
    quantity: quantityOf(1),
    amount: commitment.amount - usageCharges,
  };
}
