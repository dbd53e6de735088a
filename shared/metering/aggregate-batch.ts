import type { EffectiveEntitlement } from '../catalog/tenant-profile.js';
import type { Quantity } from '../decimal/quantity.js';
import { periodWindow, hourWindow, toIso } from '../time/windows.js';
import {
  entitlementPk,
  entitlementSk,
  groupKeyOf,
  groupOf,
  isAdditive,
  rollupIdOf,
  rollupPk,
  rollupSk,
  scopeKeyOf,
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
  compare?: { value: Quantity; time: string };
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
  const delta: RecordDelta = { recordIndex: event.recordIndex, mark: event.mark, add: new Map(), sets: new Map() };
  list.push(delta);
  return delta;
}

function addTo(map: Map<string, Quantity>, key: string, amount: Quantity): void {
  map.set(key, (map.get(key) ?? 0n) + amount);
}

/**
 * Aggregates counted events into one delta per (counter item, stream record): hourly rollups
 * per meter group and entitlement-period counters. Events must come in batch order.
 */
export function aggregateBatch(events: readonly CountableEvent[]): CounterTarget[] {
  const targets = new Map<string, CounterTarget>();
  const windowCache = new Map<number, string>();
  for (const countable of events) {
    const { event } = countable;
    const tenant = event.subject;
    const hour = hourWindow(event.timeMs).start;
    let hourIso = windowCache.get(hour);
    if (hourIso === undefined) {
      hourIso = toIso(hour);
      windowCache.set(hour, hourIso);
    }
    for (const { meter, amount, distinct } of countable.contributions) {
      const rollupId = rollupIdOf(meter);
      const group = groupOf(meter.groupBy, event.data);
      const pk = rollupPk(tenant, rollupId);
      const sk = `${hourIso}#${groupKeyOf(group)}`;
      const id = `${pk}\u0000${sk}`;
      let target = targets.get(id);
      if (target === undefined) {
        const compare =
          meter.aggregation === 'MAX' || meter.aggregation === 'LATEST'
            ? { key: meter.key, aggregation: meter.aggregation }
            : undefined;
        target = {
          kind: 'rollup',
          pk,
          sk: rollupSk(hourIso, groupKeyOf(group)),
          describe: { tenant, rollup: rollupId, windowStart: hourIso, group },
          deltas: new Map(),
          ...(compare === undefined ? {} : { compareMeter: compare }),
        };
        targets.set(id, target);
      }
      const delta = deltaFor(target, countable);
      if (isAdditive(meter)) {
        if (distinct !== undefined) {
          const attr = uniqueAttribute(meter.key);
          let set = delta.sets.get(attr);
          if (set === undefined) {
            set = new Set();
            delta.sets.set(attr, set);
          }
          set.add(distinct);
        } else if (amount !== undefined) {
          addTo(delta.add, valueAttribute(meter.key), amount);
        }
      } else if (amount !== undefined) {
        const current = delta.compare;
        const better =
          current === undefined ||
          (meter.aggregation === 'MAX' ? amount > current.value : event.time >= current.time);
        if (better) delta.compare = { value: amount, time: event.time };
      }
      if (amount === undefined) continue;
      for (const entitlement of countable.entitlements) {
        if (entitlement.meter !== meter.key) continue;
        const period = periodWindow(entitlement.period, event.timeMs, countable.profile.billingAnchor);
        const periodStart = toIso(period.start);
        const scope =
          entitlement.scope === undefined ? undefined : groupOf([entitlement.scope], event.data);
        const epk = entitlementPk(tenant);
        const esk = entitlementSk(entitlement.key, periodStart, scopeKeyOf(scope));
        const eid = `${epk}\u0000${esk}`;
        let etarget = targets.get(eid);
        if (etarget === undefined) {
          const periodEnd = toIso(period.end);
          etarget = {
            kind: 'entitlement',
            pk: epk,
            sk: esk,
            tenant,
            entitlement,
            periodStart,
            periodEnd,
            ...(scope === undefined ? {} : { scope }),
            describe: {
              tenant,
              entitlement: entitlement.key,
              meter: entitlement.meter,
              mode: entitlement.mode,
              periodStart,
              periodEnd,
              ...(scope === undefined ? {} : { scope }),
            },
            deltas: new Map(),
          };
          targets.set(eid, etarget);
        }
        addTo(deltaFor(etarget, countable).add, USED, amount);
      }
    }
  }
  return [...targets.values()];
}
