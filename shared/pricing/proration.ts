/** Proration: a charge for part of a billing period, by whole days. */
import { type PreciseAmount, scaleAmount } from '../money/money.js';
import { PricingError } from './pricing-error.js';

/**
 * `amount × days / ofDays`, rounded half-up at 10^-24 (the only division in pricing besides
 * percent discounts). Requires `ofDays > 0` and `0 ≤ days ≤ ofDays`; throws `PricingError`
 * (`invalid_proration`) otherwise.
 */
export function prorateByDays(amount: PreciseAmount, days: bigint, ofDays: bigint): PreciseAmount {
  if (ofDays <= 0n || days < 0n || days > ofDays) {
    throw new PricingError('invalid_proration', `cannot prorate ${days} of ${ofDays} days`);
  }
  return days === ofDays ? amount : scaleAmount(amount, days, ofDays);
}
