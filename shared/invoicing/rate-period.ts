/**
 * Rates one tenant's billing period: for each plan segment, its flat fees (prorated by day),
 * its usage prices over the segment's billable usage, its minimum commitment (prorated) and its
 * discounts. Pure: the usage comes in, priced lines come out, nothing is rounded yet.
 */
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import { formatQuantity, type Quantity } from '../decimal/quantity.js';
import type { PreciseAmount } from '../money/money.js';
import { priceDiscount } from '../pricing/discount.js';
import { priceFlatFee } from '../pricing/flat-fee.js';
import { trueUp } from '../pricing/minimum-commitment.js';
import type { GroupQuantity, PricedLine } from '../pricing/price-component.js';
import { priceUsage } from '../pricing/price-usage.js';
import { type TimeWindow, toIso } from '../time/windows.js';
import { daysIn, type PlanSegment } from './billing-period.js';
import type { InvoiceLineKind } from './invoice.js';

export interface SegmentUsage {
  readonly segment: PlanSegment;
  /** Meter key → billable quantity per group in the segment (`billable-usage.ts`). */
  readonly usage: ReadonlyMap<string, readonly GroupQuantity[]>;
}

/** A priced line with where it came from. */
export interface RatedLine extends PricedLine {
  readonly kind: InvoiceLineKind;
  readonly plan?: string;
  readonly servicePeriodStart?: string;
  readonly servicePeriodEnd?: string;
}

export interface RatedPeriod {
  readonly lines: readonly RatedLine[];
  /** Exact sum of the lines: the period's own charges, against which late usage is measured. */
  readonly charges: PreciseAmount;
  readonly warnings: readonly string[];
}

function dateOf(ms: number): string {
  return toIso(ms).slice(0, 10);
}

/** Rates the segments of `period` (pure). */
export function ratePeriod(
  catalog: CompiledCatalog,
  period: TimeWindow,
  segments: readonly SegmentUsage[],
): RatedPeriod {
  const lines: RatedLine[] = [];
  const warnings: string[] = [];
  const periodDays = daysIn(period.start, period.end);
  const split =
    segments.length > 1 ||
    segments.some((s) => s.segment.start !== period.start || s.segment.end !== period.end);
  for (const { segment, usage } of segments) {
    const billing = segment.plan.billing;
    if (billing === undefined) continue;
    const days = daysIn(segment.start, segment.end);
    const prefix = split ? `${dateOf(segment.start)}:` : '';
    const where = split
      ? {
          servicePeriodStart: toIso(segment.start),
          servicePeriodEnd: toIso(segment.end),
        }
      : {};
    // Several segments (a plan change): each line says which one it belongs to.
    const suffix =
      segments.length > 1
        ? ` (${segment.plan.name}, ${dateOf(segment.start)} to ${dateOf(segment.end - 1)})`
        : '';
    const add = (kind: InvoiceLineKind, line: PricedLine): void => {
      lines.push({
        ...line,
        key: `${prefix}${line.key}`,
        description: `${line.description}${suffix}`,
        kind,
        plan: segment.plan.key,
        ...where,
      });
    };
    if (segment.trial) {
      add('trial', {
        key: 'trial',
        description: `Trial: ${days} day${days === 1n ? '' : 's'} free`,
        quantity: days * 10n ** 12n,
        amount: 0n,
      });
      continue;
    }
    const fraction = days === periodDays ? undefined : { days, ofDays: periodDays };
    let segmentTotal: PreciseAmount = 0n;
    for (const fee of billing.fees) {
      const line = priceFlatFee(fee, fraction);
      segmentTotal += line.amount;
      add('fee', line);
    }
    let usageCharges: PreciseAmount = 0n;
    for (const price of billing.prices) {
      const meter = catalog.meter(price.meter);
      const priced = priceUsage(price, usage.get(price.meter) ?? []);
      for (const line of priced) {
        usageCharges += line.amount;
        if (line.unpriced) {
          const value = Object.values(line.group ?? {})[0] ?? '';
          warnings.push(
            `${price.key}: no price for "${value}" on ${meter?.name ?? price.meter}; its usage (${formatQuantity(line.quantity)}) is on the invoice at zero`,
          );
        }
        add('usage', line);
      }
    }
    segmentTotal += usageCharges;
    if (billing.minimumCommitment !== undefined) {
      const commitment =
        fraction === undefined
          ? billing.minimumCommitment
          : {
              ...billing.minimumCommitment,
              amount: (billing.minimumCommitment.amount * fraction.days) / fraction.ofDays,
            };
      const line = trueUp(commitment, usageCharges);
      if (line !== undefined) {
        segmentTotal += line.amount;
        add('commitment', line);
      }
    }
    for (const discount of billing.discounts) {
      const line = priceDiscount(discount, segmentTotal);
      add('discount', line);
    }
  }
  const charges = lines.reduce((sum, line) => sum + line.amount, 0n);
  return { lines, charges, warnings };
}

/** Total quantity of a meter over its groups. */
export function totalQuantity(groups: readonly GroupQuantity[]): Quantity {
  return groups.reduce((sum, g) => sum + g.quantity, 0n);
}
