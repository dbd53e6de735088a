/**
 * What the read side needs from storage: the hourly rollup items of one rollup and the
 * entitlement-period counters of one tenant, as the metering write path stores them
 * (docs/data-model.md). Adapters only read and unmarshal; every rule is in this folder.
 */
import type { Quantity } from '../decimal/quantity.js';

/** One hourly rollup item: a window, a group, and the values of every meter sharing it. */
export interface RollupRow {
  /** Start of the hour, ISO-8601 UTC (`2026-11-29T21:00:00.000Z`). */
  readonly windowStart: string;
  /** The rollup's groupBy dimensions → value; a missing dimension is `''`. */
  readonly group: Readonly<Record<string, string>>;
  /** `m_{meterKey}` → value (SUM, COUNT, MAX, LATEST). */
  readonly values: ReadonlyMap<string, Quantity>;
  /** `u_{meterKey}` → distinct values (UNIQUE_COUNT). */
  readonly sets: ReadonlyMap<string, ReadonlySet<string>>;
  /** `t_{meterKey}` → event time of the LATEST value (RFC 3339, as sent). */
  readonly times: ReadonlyMap<string, string>;
  /** Meter keys whose distinct values outgrew the item (`o_{meterKey}`): their count is a lower bound. */
  readonly overflowed?: ReadonlySet<string>;
}

/** One entitlement-period counter item (one per entitlement × period × scope value). */
export interface EntitlementRow {
  readonly entitlement: string;
  readonly meter: string;
  readonly mode: string;
  /** ISO-8601 UTC. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Absent when the entitlement is not scoped. */
  readonly scope?: Readonly<Record<string, string>>;
  readonly used: Quantity;
  readonly overage: Quantity;
  readonly rejected: Quantity;
  /** The limit applied by the last write, when one was recorded. */
  readonly limit?: Quantity;
  /** Threshold percents already published this period, ascending. */
  readonly emitted: readonly number[];
}

/** Names the counters of one entitlement in one period (every scope value of it). */
export interface EntitlementPeriodKey {
  readonly entitlement: string;
  /** ISO-8601 UTC. */
  readonly periodStart: string;
}

export interface UsageReader {
  /** Rollup rows of `rollupId` whose window starts in [`fromIso`, `toIso`). */
  rollupRows(tenant: string, rollupId: string, fromIso: string, toIso: string): Promise<RollupRow[]>;
  /**
   * Entitlement counters of the tenant: those of the given (entitlement, period) pairs, or
   * every one the tenant has when `periods` is absent.
   */
  entitlementRows(tenant: string, periods?: readonly EntitlementPeriodKey[]): Promise<EntitlementRow[]>;
}
