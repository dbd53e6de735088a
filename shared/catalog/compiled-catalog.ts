/**
 * A catalog indexed for the hot path: per event, the processor asks which meters select its
 * type, and per tenant, which plan applies. Built once per catalog version, at cold start or
 * when a new version is activated.
 */
import type { Catalog, Entitlement, Meter, Plan } from './catalog.js';

export interface CompiledCatalog {
  readonly catalog: Catalog;
  /** Event types some meter selects. */
  readonly eventTypes: ReadonlySet<string>;
  /** The meters that select events of `type`, in catalog order; empty when none does. */
  metersForType(type: string): readonly Meter[];
  meter(key: string): Meter | undefined;
  plan(key: string): Plan | undefined;
  /** The plan's entitlement `entitlementKey`, if both exist. */
  entitlement(planKey: string, entitlementKey: string): Entitlement | undefined;
}

const NO_METERS: readonly Meter[] = Object.freeze([]);

/** Indexes a validated catalog (from `parseCatalog`). */
export function compileCatalog(catalog: Catalog): CompiledCatalog {
  const byType = new Map<string, Meter[]>();
  for (const meter of catalog.meters) {
    const meters = byType.get(meter.eventType) ?? [];
    meters.push(meter);
    byType.set(meter.eventType, meters);
  }
  const metersByType = new Map<string, readonly Meter[]>(
    [...byType].map(([type, meters]) => [type, Object.freeze(meters)]),
  );
  const meters = new Map(catalog.meters.map((meter) => [meter.key, meter]));
  const plans = new Map(catalog.plans.map((plan) => [plan.key, plan]));
  const entitlements = new Map(
    catalog.plans.map((plan) => [plan.key, new Map(plan.entitlements.map((e) => [e.key, e]))]),
  );
  return {
    catalog,
    eventTypes: new Set(metersByType.keys()),
    metersForType: (type) => metersByType.get(type) ?? NO_METERS,
    meter: (key) => meters.get(key),
    plan: (key) => plans.get(key),
    entitlement: (planKey, entitlementKey) => entitlements.get(planKey)?.get(entitlementKey),
  };
}
