/** Flat fees: charged once per billing period, whatever the usage. */
import { quantityOf } from '../decimal/quantity.js';
import type { FlatFee, PricedLine } from './price-component.js';
import { prorateByDays } from './proration.js';

/** The part of a period a charge covers: `days` of the period's `ofDays`. */
export interface PeriodFraction {
  readonly days: bigint;
  readonly ofDays: bigint;
}

/**
 * The fee's line, key `fee:{key}`, quantity 1. With `fraction` (a plan change or a trial
 * mid-period) the amount is prorated by days and the description says so.
 */
export function priceFlatFee(fee: FlatFee, fraction?: PeriodFraction): PricedLine {
  const prorated = fraction !== undefined && fraction.days !== fraction.ofDays;
  return {
    key: `fee:${fee.key}`,
    description: prorated ? `${fee.name} (${fraction.days} of ${fraction.ofDays} days)` : fee.name,
    quantity: quantityOf(1),
    amount: fraction === undefined ? fee.amount : prorateByDays(fee.amount, fraction.days, fraction.ofDays),
  };
}
