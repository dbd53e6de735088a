/** An in-memory UsageReader over rollup and entitlement rows, for invoicing tests. */
import type { Meter } from '../../shared/catalog/catalog.js';
import { type Quantity, quantityOf } from '../../shared/decimal/quantity.js';
import { rollupIdOf, valueAttribute } from '../../shared/metering/counter-keys.js';
import type {
  EntitlementPeriodKey,
  EntitlementRow,
  RollupRow,
  UsageReader,
} from '../../shared/usage/ports.js';

export class InMemoryUsage implements UsageReader {
  readonly rollups = new Map<string, RollupRow[]>();
  readonly entitlements = new Map<string, EntitlementRow[]>();
  reads = 0;

  /** Adds `quantity` (whole units) of `meter` in the hour starting at `hourIso`, for `group`. */
  add(
    tenant: string,
    meter: Meter,
    hourIso: string,
    quantity: number | bigint,
    group: Record<string, string> = {},
  ): this {
    const key = `${tenant}|${rollupIdOf(meter)}`;
    const rows = this.rollups.get(key) ?? [];
    const fullGroup = Object.fromEntries(meter.groupBy.map((name) => [name, group[name] ?? '']));
    const attribute = valueAttribute(meter.key);
    const existing = rows.find(
      (row) => row.windowStart === hourIso && JSON.stringify(row.group) === JSON.stringify(fullGroup),
    );
    const amount: Quantity = quantityOf(quantity);
    if (existing === undefined) {
      rows.push({
        windowStart: hourIso,
        group: fullGroup,
        values: new Map([[attribute, amount]]),
        sets: new Map(),
        times: new Map(),
      });
    } else {
      const values = existing.values as Map<string, Quantity>;
      values.set(attribute, (values.get(attribute) ?? 0n) + amount);
    }
    this.rollups.set(key, rows);
    return this;
  }

  addEntitlementRow(tenant: string, row: EntitlementRow): this {
    this.entitlements.set(tenant, [...(this.entitlements.get(tenant) ?? []), row]);
    return this;
  }

  async rollupRows(tenant: string, rollupId: string, fromIso: string, toIso: string): Promise<RollupRow[]> {
    this.reads += 1;
    return (this.rollups.get(`${tenant}|${rollupId}`) ?? []).filter(
      (row) => row.windowStart >= fromIso && row.windowStart < toIso,
    );
  }

  async entitlementRows(
    tenant: string,
    periods?: readonly EntitlementPeriodKey[],
  ): Promise<EntitlementRow[]> {
    this.reads += 1;
    const rows = this.entitlements.get(tenant) ?? [];
    if (periods === undefined) return rows;
    return rows.filter((row) =>
      periods.some((p) => p.entitlement === row.entitlement && p.periodStart === row.periodStart),
    );
  }
}
