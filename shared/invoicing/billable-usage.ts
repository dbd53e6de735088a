/**
 * A meter's billable quantity in a stretch of time, per group of its dimensions: the hourly
 * rollups combined by the meter's aggregation, less the usage a hard entitlement rejected
 * (recorded, never billed).
 */
import type { Entitlement, Meter } from '../catalog/catalog.js';
import { parseRfc3339Millis } from '../contract/event-time.js';
import type { Quantity } from '../decimal/quantity.js';
import { groupKeyOf } from '../metering/counter-keys.js';
import { allocate } from '../money/money.js';
import type { GroupQuantity } from '../pricing/price-component.js';
import type { TimeWindow } from '../time/windows.js';
import { accumulatorFor, type MeterAccumulator } from '../usage/meter-accumulator.js';
import type { EntitlementRow, RollupRow } from '../usage/ports.js';

/** The meter's value per group of its groupBy dimensions over the rows whose hour starts in `window`. */
export function groupQuantities(
  meter: Meter,
  rows: readonly RollupRow[],
  window: TimeWindow,
): GroupQuantity[] {
  const empty = accumulatorFor(meter);
  const groups = new Map<string, { group: Record<string, string>; accumulator: MeterAccumulator }>();
  for (const row of rows) {
    const start = parseRfc3339Millis(row.windowStart);
    if (Number.isNaN(start) || start < window.start || start >= window.end) continue;
    const group = Object.fromEntries(meter.groupBy.map((name) => [name, row.group[name] ?? '']));
    const key = groupKeyOf(group);
    let entry = groups.get(key);
    if (entry === undefined) {
      entry = { group, accumulator: empty() };
      groups.set(key, entry);
    }
    entry.accumulator.add(row);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([, { group, accumulator }]) => {
      const quantity = accumulator.value();
      return quantity === undefined ? [] : [{ group, quantity }];
    });
}

/**
 * Usage of `meter` that the plan's hard entitlements rejected in `window`: per entitlement, the
 * sum of its counters' `rejected` whose period starts in the window; the largest of them when
 * several hard entitlements limit the meter (their rejections overlap: a day over its daily cap
 * is often also over the monthly one, so adding them would subtract usage twice).
 */
export function rejectedUsage(
  meter: Meter,
  entitlements: readonly Entitlement[],
  rows: readonly EntitlementRow[],
  window: TimeWindow,
): Quantity {
  const hard = new Set(
    entitlements.filter((e) => e.meter === meter.key && e.mode === 'hard').map((e) => e.key),
  );
  const byEntitlement = new Map<string, Quantity>();
  for (const row of rows) {
    if (!hard.has(row.entitlement)) continue;
    const start = parseRfc3339Millis(row.periodStart);
    if (Number.isNaN(start) || start < window.start || start >= window.end) continue;
    byEntitlement.set(row.entitlement, (byEntitlement.get(row.entitlement) ?? 0n) + row.rejected);
  }
  let largest = 0n;
  for (const value of byEntitlement.values()) if (value > largest) largest = value;
  return largest;
}

/**
 * The groups less `rejected`, taken from each group in proportion to its quantity (largest
 * remainder, so exactly `rejected` is taken): counters of an unscoped entitlement do not say
 * which model or workspace the rejected usage had.
 */
export function deductRejected(groups: readonly GroupQuantity[], rejected: Quantity): GroupQuantity[] {
  if (rejected <= 0n) return [...groups];
  const total = groups.reduce((sum, g) => sum + g.quantity, 0n);
  if (total <= 0n) return [...groups];
  if (rejected >= total) return groups.map((g) => ({ group: g.group, quantity: 0n }));
  const shares = allocate(
    rejected,
    groups.map((g) => g.quantity),
  );
  return groups.map((g, i) => ({ group: g.group, quantity: g.quantity - (shares[i] ?? 0n) }));
}
