/**
 * Where a tenant stands against each entitlement of its plan in the current period: the
 * effective limit (overrides applied), what is used, what is left, overage and rejected usage,
 * whether a hard cap blocks further usage, and which thresholds were already announced.
 */
import type { EnforcementMode, EntitlementPeriod } from '../catalog/catalog.js';
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import {
  type EffectiveEntitlement,
  effectiveEntitlements,
  type TenantProfile,
} from '../catalog/tenant-profile.js';
import { formatQuantity, type Quantity, ZERO } from '../decimal/quantity.js';
import { groupKeyOf } from '../metering/counter-keys.js';
import { periodWindow, toIso } from '../time/windows.js';
import type { EntitlementPeriodKey, EntitlementRow } from './ports.js';

export interface EntitlementStatus {
  readonly entitlement: string;
  readonly meter: string;
  readonly mode: EnforcementMode;
  /** The current period, ISO-8601 UTC, `[start, end)`. */
  readonly period: { readonly kind: EntitlementPeriod; readonly start: string; readonly end: string };
  /** Decimal strings. `remaining` is max(0, limit − used). */
  readonly limit: string;
  readonly used: string;
  readonly remaining: string;
  readonly overage: string;
  readonly rejected: string;
  /** A hard entitlement whose limit is used up: further usage is rejected until the period ends. */
  readonly blocked: boolean;
  /** The entitlement's threshold percents, ascending. */
  readonly thresholds: readonly number[];
  /** Threshold percents already published this period, ascending. */
  readonly thresholdsReached: readonly number[];
  /**
   * Scoped entitlements only: the scope dimension → value this entry is for. `{}` when no
   * value of the dimension has usage yet in the period (each has the whole limit).
   */
  readonly scope?: Readonly<Record<string, string>>;
}

export interface EntitlementsView {
  readonly tenant: string;
  readonly plan: string;
  /** ISO-8601 UTC: the instant the periods were chosen for. */
  readonly asOf: string;
  readonly entitlements: readonly EntitlementStatus[];
}

function currentPeriod(entitlement: EffectiveEntitlement, profile: TenantProfile, nowMs: number) {
  const window = periodWindow(entitlement.period, nowMs, profile.billingAnchor);
  return { kind: entitlement.period, start: toIso(window.start), end: toIso(window.end) };
}

/**
 * The (entitlement, period) counters that `entitlementsView` needs at `nowMs`, to read only
 * those. Throws `CatalogError` (`unknown_plan`) when the tenant's plan is not in the catalog.
 */
export function currentEntitlementPeriods(
  catalog: CompiledCatalog,
  profile: TenantProfile,
  nowMs: number,
): EntitlementPeriodKey[] {
  return effectiveEntitlements(catalog, profile).map((entitlement) => ({
    entitlement: entitlement.key,
    periodStart: currentPeriod(entitlement, profile, nowMs).start,
  }));
}

function statusOf(
  entitlement: EffectiveEntitlement,
  period: EntitlementStatus['period'],
  row: EntitlementRow | undefined,
  scope: Readonly<Record<string, string>> | undefined,
): EntitlementStatus {
  const limit = entitlement.limit;
  const used = row?.used ?? ZERO;
  const remaining: Quantity = limit > used ? limit - used : ZERO;
  return {
    entitlement: entitlement.key,
    meter: entitlement.meter,
    mode: entitlement.mode,
    period,
    limit: formatQuantity(limit),
    used: formatQuantity(used),
    remaining: formatQuantity(remaining),
    overage: formatQuantity(row?.overage ?? ZERO),
    rejected: formatQuantity(row?.rejected ?? ZERO),
    blocked: entitlement.mode === 'hard' && used >= limit,
    thresholds: [...entitlement.thresholds],
    thresholdsReached: [...(row?.emitted ?? [])].sort((a, b) => a - b),
    ...(scope === undefined ? {} : { scope }),
  };
}

/**
 * One entry per effective entitlement of the tenant's plan (in plan order) for the period
 * containing `nowMs` (BILLING_PERIOD uses the tenant's billing anchor); a scoped entitlement
 * gives one entry per scope value seen in the period, by value. Rows of other periods or
 * entitlements are ignored. Throws `CatalogError` (`unknown_plan`) for a plan not in the catalog.
 */
export function entitlementsView(
  catalog: CompiledCatalog,
  profile: TenantProfile,
  rows: readonly EntitlementRow[],
  nowMs: number,
): EntitlementsView {
  const entries: EntitlementStatus[] = [];
  for (const entitlement of effectiveEntitlements(catalog, profile)) {
    const period = currentPeriod(entitlement, profile, nowMs);
    const mine = rows.filter(
      (row) => row.entitlement === entitlement.key && row.periodStart === period.start,
    );
    const dimension = entitlement.scope;
    if (dimension === undefined) {
      entries.push(
        statusOf(
          entitlement,
          period,
          mine.find((row) => row.scope === undefined),
          undefined,
        ),
      );
      continue;
    }
    const scoped = mine
      .filter((row) => row.scope !== undefined && Object.hasOwn(row.scope, dimension))
      .map((row) => ({ row, scope: { [dimension]: row.scope?.[dimension] ?? '' } }))
      .sort((a, b) => {
        const ka = groupKeyOf(a.scope);
        const kb = groupKeyOf(b.scope);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    if (scoped.length === 0) entries.push(statusOf(entitlement, period, undefined, {}));
    for (const { row, scope } of scoped) entries.push(statusOf(entitlement, period, row, scope));
  }
  return { tenant: profile.tenant, plan: profile.plan, asOf: toIso(nowMs), entitlements: entries };
}
