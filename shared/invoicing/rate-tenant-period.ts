/**
 * Reads what rating a tenant's period needs (rollups of the priced meters, counters of the hard
 * entitlements that limit them) and rates it. Every rollup is read once per period, however
 * many meters share it and however many plan segments the period has.
 */
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import { rollupIdOf } from '../metering/counter-keys.js';
import type { Currency } from '../money/money.js';
import { currencyForPlan } from '../pricing/plan-billing.js';
import type { GroupQuantity } from '../pricing/price-component.js';
import { DAY_MS, periodWindow, type TimeWindow, toIso } from '../time/windows.js';
import type { EntitlementPeriodKey, EntitlementRow, RollupRow, UsageReader } from '../usage/ports.js';
import { deductRejected, groupQuantities, rejectedUsage } from './billable-usage.js';
import { planSegments } from './billing-period.js';
import { InvoicingError } from './invoicing-error.js';
import { type RatedPeriod, ratePeriod, type SegmentUsage } from './rate-period.js';

export interface TenantPeriodRating {
  readonly rated: RatedPeriod;
  readonly currency: Currency;
  /** Storage reads made (queries), for the benchmark. */
  readonly reads: number;
}

/** Rates `profile`'s `period` from the usage recorded so far. Throws `InvoicingError`. */
export async function rateTenantPeriod(
  usage: UsageReader,
  catalog: CompiledCatalog,
  profile: TenantProfile,
  period: TimeWindow,
): Promise<TenantPeriodRating> {
  const segments = planSegments(profile, catalog, period);
  const billed = segments.filter((s) => s.plan.billing !== undefined);
  const currencies = new Set(billed.map((s) => s.plan.billing?.currency));
  if (currencies.size > 1) {
    throw new InvoicingError(
      'currency_mismatch',
      `plan: the period ${toIso(period.start)} has plans in ${[...currencies].join(' and ')}; a period is invoiced in one currency`,
    );
  }
  const lastBilling = billed.at(-1)?.plan.billing ?? catalog.plan(profile.plan)?.billing;
  if (lastBilling === undefined) {
    throw new InvoicingError(
      'not_billable',
      `plan: "${profile.plan}" has no billing section; tenant "${profile.tenant}" is not invoiced`,
    );
  }
  const currency = currencyForPlan(catalog.catalog, lastBilling);

  let reads = 0;
  const rollups = new Map<string, Promise<RollupRow[]>>();
  const rowsOf = (rollupId: string): Promise<RollupRow[]> => {
    let rows = rollups.get(rollupId);
    if (rows === undefined) {
      reads += 1;
      rows = usage.rollupRows(profile.tenant, rollupId, toIso(period.start), toIso(period.end));
      rollups.set(rollupId, rows);
    }
    return rows;
  };

  // Counters of hard entitlements on priced meters: their rejected usage is not billed.
  const keys: EntitlementPeriodKey[] = [];
  const seen = new Set<string>();
  for (const segment of billed) {
    const priced = new Set(segment.plan.billing?.prices.map((p) => p.meter));
    for (const entitlement of segment.plan.entitlements) {
      if (entitlement.mode !== 'hard' || !priced.has(entitlement.meter)) continue;
      for (let t = segment.start; t < segment.end; t += DAY_MS) {
        const start = toIso(periodWindow(entitlement.period, t, profile.billingAnchor).start);
        const id = `${entitlement.key}|${start}`;
        if (!seen.has(id)) {
          seen.add(id);
          keys.push({ entitlement: entitlement.key, periodStart: start });
        }
      }
    }
  }
  let entitlementRows: EntitlementRow[] = [];
  if (keys.length > 0) {
    reads += 1;
    entitlementRows = await usage.entitlementRows(profile.tenant, keys);
  }

  const segmentUsage: SegmentUsage[] = [];
  for (const segment of segments) {
    const meters = new Map<string, readonly GroupQuantity[]>();
    for (const price of segment.plan.billing?.prices ?? []) {
      if (meters.has(price.meter)) continue;
      const meter = catalog.meter(price.meter);
      if (meter === undefined) continue;
      const window = { start: segment.start, end: segment.end };
      const groups = groupQuantities(meter, await rowsOf(rollupIdOf(meter)), window);
      const rejected = rejectedUsage(meter, segment.plan.entitlements, entitlementRows, window);
      meters.set(meter.key, deductRejected(groups, rejected));
    }
    segmentUsage.push({ segment, usage: meters });
  }
  return { rated: ratePeriod(catalog, period, segmentUsage), currency, reads };
}
