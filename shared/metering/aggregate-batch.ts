import type { Meter } from '../catalog/catalog.js';
import type { EffectiveEntitlement } from '../catalog/tenant-profile.js';
import type { Quantity } from '../decimal/quantity.js';
import { hourWindow, periodWindow, toIso } from '../time/windows.js';
import {
  entitlementPk,
  entitlementSk,
  groupOf,
  isAdditive,
  rollupIdOf,
  rollupPk,
  rollupSk,
  uniqueAttribute,
  valueAttribute,
} from './counter-keys.js';
import type { CountableEvent } from './prepare-batch.js';

/** What one stream record adds to one counter item. */
export interface RecordDelta {
  readonly recordIndex: number;
  readonly mark: string;
  /** Additive amounts by attribute (`m_{meter}` in rollups, `used` before the split in entitlements). */
  readonly add: Map<string, Quantity>;
  /** Distinct values by attribute (`u_{meter}`). */
  readonly sets: Map<string, Set<string>>;
  /** MAX: the largest amount. LATEST: the amount at the latest event time. */
  compare?: { value: Quantity; time: string; timeMs: number };
}

export type CounterTarget = RollupTarget | EntitlementTarget;

interface TargetBase {
  readonly pk: string;
  readonly sk: string;
  readonly describe: Record<string, string | Record<string, string>>;
  /** Deltas by mark attribute, in stream order (ascending marks). */
  readonly deltas: Map<string, RecordDelta[]>;
}

export interface RollupTarget extends TargetBase {
  readonly kind: 'rollup';
  /** For MAX/LATEST rollups: the compared meter. */
  readonly compareMeter?: { readonly key: string; readonly aggregation: 'MAX' | 'LATEST' };
}

export interface EntitlementTarget extends TargetBase {
  readonly kind: 'entitlement';
  readonly tenant: string;
  readonly entitlement: EffectiveEntitlement;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly scope?: Record<string, string>;
}

export const USED = 'used';

function deltaFor(target: TargetBase, event: CountableEvent): RecordDelta {
  let list = target.deltas.get(event.markAttribute);
  if (list === undefined) {
    list = [];
    target.deltas.set(event.markAttribute, list);
  }
  const last = list[list.length - 1];
  if (last !== undefined && last.recordIndex === event.recordIndex) return last;
  const delta: RecordDelta = {
    recordIndex: event.recordIndex,
    mark: event.mark,
    add: new Map(),
    sets: new Map(),
  };
  list.push(delta);
  return delta;
}

function addTo(map: Map<string, Quantity>, key: string, amount: Quantity): void {
  map.set(key, (map.get(key) ?? 0n) + amount);
}

interface MeterPlan {
  readonly rollupId: string;
  /** `groupBy` sorted: the key of the group shared by meters with the same dimensions. */
  readonly dimensions: readonly string[];
  readonly dimensionsKey: string;
  readonly additive: boolean;
  readonly valueAttribute: string;
  readonly uniqueAttribute: string;
  readonly compare?: { readonly key: string; readonly aggregation: 'MAX' | 'LATEST' };
}

const meterPlans = new WeakMap<Meter, MeterPlan>();

function planOf(meter: Meter): MeterPlan {
  let plan = meterPlans.get(meter);
  if (plan === undefined) {
    const dimensions = [...meter.groupBy].sort();
    plan = {
      rollupId: rollupIdOf(meter),
      dimensions,
      dimensionsKey: dimensions.join(','),
      additive: isAdditive(meter),
      valueAttribute: valueAttribute(meter.key),
      uniqueAttribute: uniqueAttribute(meter.key),
      ...(meter.aggregation === 'MAX' || meter.aggregation === 'LATEST'
        ? { compare: { key: meter.key, aggregation: meter.aggregation } }
        : {}),
    };
    meterPlans.set(meter, plan);
  }
  return plan;
}

/**
 * Aggregates counted events into one delta per (counter item, stream record): hourly rollups
 * per meter group and entitlement-period counters. Events must come in batch order. This runs
 * per event on the hot path, so windows, periods and group keys are computed once and cached.
 */
export function aggregateBatch(events: readonly CountableEvent[]): CounterTarget[] {
  // Targets in maps of maps keyed by parts the events already hold, so the hot path hashes short
  // keys instead of building a long item key per event and meter.
  const rollups = new Map<string, Map<string, Map<number, Map<string, RollupTarget>>>>();
  const entitlements = new Map<
    string,
    Map<EffectiveEntitlement, Map<number, Map<string, EntitlementTarget>>>
  >();
  const targets: CounterTarget[] = [];
  const hours = new Map<number, string>();
  const periods = new Map<string, Map<string, Map<number, PeriodOfHour>>>();
  const groups = new Map<string, string>();
  const eventDeltas = new Map<string, RecordDelta>();
  const encoded = new Map<string, string>();
  const encode = (value: string) => {
    let text = encoded.get(value);
    if (text === undefined) {
      text = encodeURIComponent(value);
      encoded.set(value, text);
    }
    return text;
  };
  /** `groupKeyOf(groupOf(dimensions, data))` without building the group (dimensions sorted). */
  const keyOf = (dimensions: readonly string[], data: Readonly<Record<string, unknown>>) => {
    let key = '';
    for (const name of dimensions) {
      const raw = data[name];
      const value = typeof raw === 'string' ? raw : typeof raw === 'number' ? String(raw) : '';
      key += key === '' ? `${name}=${encode(value)}` : `&${name}=${encode(value)}`;
    }
    return key;
  };
  for (const countable of events) {
    const { event } = countable;
    const tenant = event.subject;
    const hour = hourWindow(event.timeMs).start;
    let hourIso = hours.get(hour);
    if (hourIso === undefined) {
      hourIso = toIso(hour);
      hours.set(hour, hourIso);
    }
    const tenantRollups = child(rollups, tenant, () => new Map());
    groups.clear();
    eventDeltas.clear();
    for (const { meter, amount, distinct } of countable.contributions) {
      const plan = planOf(meter);
      // Meters of one rollup share its item: look the item up once per event.
      let delta = eventDeltas.get(plan.rollupId);
      if (delta === undefined) {
        let groupKey = groups.get(plan.dimensionsKey);
        if (groupKey === undefined) {
          groupKey = keyOf(plan.dimensions, event.data);
          groups.set(plan.dimensionsKey, groupKey);
        }
        const byGroup = child(
          child(tenantRollups, plan.rollupId, () => new Map()),
          hour,
          () => new Map(),
        );
        let target = byGroup.get(groupKey);
        if (target === undefined) {
          const group = groupOf(plan.dimensions, event.data);
          target = {
            kind: 'rollup',
            pk: rollupPk(tenant, plan.rollupId),
            sk: rollupSk(hourIso, groupKey),
            describe: { tenant, rollup: plan.rollupId, windowStart: hourIso, group },
            deltas: new Map(),
            ...(plan.compare === undefined ? {} : { compareMeter: plan.compare }),
          };
          byGroup.set(groupKey, target);
          targets.push(target);
        }
        delta = deltaFor(target, countable);
        eventDeltas.set(plan.rollupId, delta);
      }
      if (plan.additive) {
        if (distinct !== undefined) {
          let set = delta.sets.get(plan.uniqueAttribute);
          if (set === undefined) {
            set = new Set();
            delta.sets.set(plan.uniqueAttribute, set);
          }
          set.add(distinct);
        } else if (amount !== undefined) {
          addTo(delta.add, plan.valueAttribute, amount);
        }
      } else if (amount !== undefined) {
        const current = delta.compare;
        const better =
          current === undefined ||
          (plan.compare?.aggregation === 'MAX' ? amount > current.value : event.timeMs >= current.timeMs);
        if (better) delta.compare = { value: amount, time: toIso(event.timeMs), timeMs: event.timeMs };
      }
      if (amount === undefined) continue;
      for (const entitlement of countable.entitlements) {
        if (entitlement.meter !== meter.key) continue;
        const anchor = countable.profile.billingAnchor;
        const byHour = child(
          child(periods, anchor ?? '', () => new Map()),
          entitlement.period,
          () => new Map(),
        );
        let period = byHour.get(hour);
        if (period === undefined) {
          const window = periodWindow(entitlement.period, event.timeMs, anchor);
          period = { startMs: window.start, start: toIso(window.start), end: toIso(window.end) };
          byHour.set(hour, period);
        }
        const byScope = child(
          child(
            child(entitlements, tenant, () => new Map()),
            entitlement,
            () => new Map(),
          ),
          period.startMs,
          () => new Map(),
        );
        const scopeKey = entitlement.scope === undefined ? '*' : keyOf([entitlement.scope], event.data);
        let etarget = byScope.get(scopeKey);
        if (etarget === undefined) {
          const scopeValue =
            entitlement.scope === undefined ? undefined : groupOf([entitlement.scope], event.data);
          etarget = {
            kind: 'entitlement',
            pk: entitlementPk(tenant),
            sk: entitlementSk(entitlement.key, period.start, scopeKey),
            tenant,
            entitlement,
            periodStart: period.start,
            periodEnd: period.end,
            ...(scopeValue === undefined ? {} : { scope: scopeValue }),
            describe: {
              tenant,
              entitlement: entitlement.key,
              meter: entitlement.meter,
              mode: entitlement.mode,
              periodStart: period.start,
              periodEnd: period.end,
              ...(scopeValue === undefined ? {} : { scope: scopeValue }),
            },
            deltas: new Map(),
          };
          byScope.set(scopeKey, etarget);
          targets.push(etarget);
        }
        addTo(deltaFor(etarget, countable).add, USED, amount);
      }
    }
  }
  return targets;
}

interface PeriodOfHour {
  readonly startMs: number;
  readonly start: string;
  readonly end: string;
}

/** The value under `key`, created on first use. */
function child<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
