/**
 * The series the detector watches, built from the hourly rollups: per tenant × meter its total,
 * and per value of the meter's `model` and `workspace` dimensions when it groups by them; and
 * the tenant's spend per hour. Pure.
 */
import type { Meter } from '../catalog/catalog.js';
import { parseRfc3339Millis } from '../contract/event-time.js';
import { SCALE } from '../decimal/quantity.js';
import { valueAttribute } from '../metering/counter-keys.js';
import { PRICE_SCALE, type UnitPrice } from '../money/money.js';
import type { PlanBilling } from '../pricing/plan-billing.js';
import type { UsagePrice } from '../pricing/price-component.js';
import type { RollupRow } from '../usage/ports.js';
import type { HourlyPoint, HourlySeries } from './detection/hourly-series.js';

/** Dimensions watched per value (besides the meter's total); others would page on every agent. */
export const WATCHED_DIMENSIONS = ['model', 'workspace'] as const;

const QUANTITY_ONE = 10 ** SCALE;
const PRICE_ONE = 10 ** PRICE_SCALE;

/** Meters whose hourly values add up (the detector compares hours of the same meter). */
export function isWatchable(meter: Meter): boolean {
  return meter.aggregation === 'SUM' || meter.aggregation === 'COUNT';
}

function hourOf(row: RollupRow): number {
  return parseRfc3339Millis(row.windowStart);
}

/** The meter's series: its total and one per watched dimension value. */
export function usageSeries(tenant: string, meter: Meter, rows: readonly RollupRow[]): HourlySeries[] {
  const attribute = valueAttribute(meter.key);
  const total = new Map<number, number>();
  const byValue = new Map<string, { dimensions: Record<string, string>; points: Map<number, number> }>();
  const watched = WATCHED_DIMENSIONS.filter((d) => meter.groupBy.includes(d));
  for (const row of rows) {
    const quantity = row.values.get(attribute);
    if (quantity === undefined) continue;
    const hour = hourOf(row);
    if (Number.isNaN(hour)) continue;
    const value = Number(quantity) / QUANTITY_ONE;
    total.set(hour, (total.get(hour) ?? 0) + value);
    for (const dimension of watched) {
      const dimensionValue = row.group[dimension] ?? '';
      if (dimensionValue === '') continue;
      const id = `${dimension}=${dimensionValue}`;
      let entry = byValue.get(id);
      if (entry === undefined) {
        entry = { dimensions: { [dimension]: dimensionValue }, points: new Map() };
        byValue.set(id, entry);
      }
      entry.points.set(hour, (entry.points.get(hour) ?? 0) + value);
    }
  }
  const toPoints = (map: Map<number, number>): HourlyPoint[] =>
    [...map].map(([hourStart, value]) => ({ hourStart, value }));
  return [
    { key: { tenant, meter: meter.key, dimensions: {} }, points: toPoints(total) },
    ...[...byValue.values()].map((entry) => ({
      key: { tenant, meter: meter.key, dimensions: entry.dimensions },
      points: toPoints(entry.points),
    })),
  ];
}

/**
 * The list price of one unit of `price` for a group, as a number: a rate card's rate for the
 * group's value, a per-unit or overage price, a package's price per unit, the first tier's.
 * Spend per hour is a statistic for the detector (a switch to a dearer model shows), not the
 * invoice: allowances, tiers reached and commitments are the invoice's business.
 */
export function listUnitPrice(price: UsagePrice, group: Readonly<Record<string, string>>): number {
  const asNumber = (p: UnitPrice | undefined) => (p === undefined ? 0 : Number(p) / PRICE_ONE);
  switch (price.type) {
    case 'per_unit':
    case 'allowance':
      return asNumber(price.unitPrice);
    case 'rate_card': {
      const value = group[price.dimension] ?? '';
      return asNumber(Object.hasOwn(price.rates, value) ? price.rates[value] : price.defaultUnitPrice);
    }
    case 'graduated':
    case 'volume':
      return asNumber(price.tiers[0]?.unitPrice);
    case 'package':
      return (
        Number(price.packagePrice) / 10 ** (PRICE_SCALE * 2) / (Number(price.packageSize) / QUANTITY_ONE)
      );
  }
}

/** The tenant's spend per hour at list prices, over the rollup rows of its priced meters. */
export function spendSeries(
  tenant: string,
  billing: PlanBilling,
  meters: ReadonlyMap<string, Meter>,
  rowsOf: (meter: Meter) => readonly RollupRow[],
): HourlySeries {
  const spend = new Map<number, number>();
  for (const price of billing.prices) {
    const meter = meters.get(price.meter);
    if (meter === undefined || !isWatchable(meter)) continue;
    const attribute = valueAttribute(meter.key);
    for (const row of rowsOf(meter)) {
      const quantity = row.values.get(attribute);
      const hour = hourOf(row);
      if (quantity === undefined || Number.isNaN(hour)) continue;
      spend.set(
        hour,
        (spend.get(hour) ?? 0) + (Number(quantity) / QUANTITY_ONE) * listUnitPrice(price, row.group),
      );
    }
  }
  return {
    key: { tenant, meter: 'spend', dimensions: {} },
    points: [...spend].map(([hourStart, value]) => ({ hourStart, value })),
  };
}
