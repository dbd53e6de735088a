import { formatQuantity, type Quantity } from '../decimal/quantity.js';
import type { CounterTarget, EntitlementTarget, RecordDelta } from './aggregate-batch.js';
import { USED } from './aggregate-batch.js';
import { latestTimeAttribute, overflowAttribute, valueAttribute } from './counter-keys.js';
import { isBlocked, splitUsage, thresholdsToClaim } from './entitlement-split.js';
import { isAboveMark } from './marks.js';
import {
  CounterItemTooLarge,
  type CounterWrite,
  type ItemSnapshot,
  type MarkCondition,
  type ThresholdCrossing,
  type ThresholdPublisher,
  type UsageCounterStore,
} from './ports.js';

export const OVERAGE = 'overage';
export const REJECTED = 'rejected';
export const LIMIT = 'limit';
export const EMITTED = 'emitted';
/** Attribute of a claimed, not yet published threshold: `p_{percent}` = `{owner}@{claimedAtMs}`. */
export const pendingAttribute = (percent: number) => `p_${percent}`;
/** A claim older than this is abandoned (its claimer crashed); anyone may publish it. */
export const STALE_CLAIM_MS = 2 * 60_000;

/** Attempts per counter item before its records are reported as failed (and retried). */
export const MAX_WRITE_ATTEMPTS = 12;

export interface CounterWriteResult {
  /** Lowest record index that must be retried, when the item could not be written. */
  readonly failedRecordIndex?: number;
  readonly error?: unknown;
  readonly writes: number;
  readonly conflicts: number;
  /** The item already held a record past `aheadOf` of one of the target's (shard, partition key)s. */
  readonly ahead: boolean;
}

export interface WriteCounterOptions {
  /**
   * A mark (`markOf`) no record of this write may be behind: set when re-metering a range the
   * event source gave up on, to its last record. An item found holding a later record of the
   * same (shard, partition key) is reported as `ahead`: the stream moved on past the range, and
   * whatever of the range the item did not count before can no longer pass its mark.
   */
  readonly aheadOf?: string;
}

interface Pending {
  readonly marks: MarkCondition[];
  readonly deltas: RecordDelta[];
}

/** The deltas of records the item does not hold yet, and the marks the write sets. */
function pendingOf(target: CounterTarget, snapshot: ItemSnapshot | undefined): Pending {
  const marks: MarkCondition[] = [];
  const deltas: RecordDelta[] = [];
  for (const [attribute, list] of target.deltas) {
    const held = snapshot?.marks.get(attribute);
    const above = list.filter((delta) => isAboveMark(delta.mark, held));
    if (above.length === 0) continue;
    marks.push({ attribute, below: above[0]!.mark, set: list[list.length - 1]!.mark });
    deltas.push(...above);
  }
  return { marks, deltas };
}

function sumOf(deltas: readonly RecordDelta[], attribute: string): Quantity {
  let total = 0n;
  for (const delta of deltas) total += delta.add.get(attribute) ?? 0n;
  return total;
}

function rollupWrite(
  target: CounterTarget,
  pending: Pending,
  snapshot: ItemSnapshot | undefined,
  withoutSets: boolean,
): CounterWrite {
  const add = new Map<string, Quantity>();
  const addToSet = new Map<string, string[]>();
  const set = new Map<string, Quantity | string>();
  let greaterThan: CounterWrite['guards']['greaterThan'];
  for (const delta of pending.deltas) {
    for (const [attribute, amount] of delta.add) add.set(attribute, (add.get(attribute) ?? 0n) + amount);
    for (const [attribute, values] of delta.sets) {
      const list = addToSet.get(attribute) ?? [];
      list.push(...values);
      addToSet.set(attribute, list);
    }
  }
  if (target.kind === 'rollup' && target.compareMeter !== undefined) {
    const { key, aggregation } = target.compareMeter;
    let best: { value: Quantity; time: string; timeMs: number } | undefined;
    for (const delta of pending.deltas) {
      const c = delta.compare;
      if (c === undefined) continue;
      if (best === undefined || (aggregation === 'MAX' ? c.value > best.value : c.timeMs >= best.timeMs))
        best = c;
    }
    if (best !== undefined) {
      const valueAttr = valueAttribute(key);
      if (aggregation === 'MAX') {
        const held = snapshot?.numbers.get(valueAttr);
        if (held === undefined || best.value > held) {
          set.set(valueAttr, best.value);
          greaterThan = { attribute: valueAttr, value: best.value };
        }
      } else {
        const timeAttr = latestTimeAttribute(key);
        const held = snapshot?.strings.get(timeAttr);
        if (held === undefined || best.time > held) {
          set.set(valueAttr, best.value);
          set.set(timeAttr, best.time);
          greaterThan = { attribute: timeAttr, value: best.time };
        }
      }
    }
  }
  for (const [attribute, list] of addToSet) addToSet.set(attribute, [...new Set(list)]);
  if (withoutSets) {
    // The item cannot hold more distinct values: keep every other meter exact, flag the set.
    for (const attribute of addToSet.keys()) set.set(overflowAttribute(attribute.slice(2)), '1');
    addToSet.clear();
  }
  return {
    pk: target.pk,
    sk: target.sk,
    describe: target.describe,
    marks: pending.marks,
    add,
    addToSet,
    set,
    guards: greaterThan === undefined ? {} : { greaterThan },
  };
}

function entitlementWrite(
  target: EntitlementTarget,
  pending: Pending,
  snapshot: ItemSnapshot | undefined,
): CounterWrite {
  const { limit, mode } = target.entitlement;
  const amount = sumOf(pending.deltas, USED);
  const base = {
    pk: target.pk,
    sk: target.sk,
    describe: target.describe,
    marks: pending.marks,
    addToSet: new Map<string, readonly string[]>(),
    set: new Map<string, Quantity | string>([[LIMIT, limit]]),
  };
  if (snapshot === undefined && amount <= limit) {
    // Optimistic: the whole delta fits while `used` is at most `limit - amount`.
    return {
      ...base,
      add: new Map([[USED, amount]]),
      guards: { atMost: { attribute: USED, value: limit - amount } },
    };
  }
  const used = snapshot?.numbers.get(USED);
  const split = splitUsage(used ?? 0n, amount, limit, mode);
  const add = new Map<string, Quantity>();
  if (split.included > 0n) add.set(USED, split.included);
  if (split.overage > 0n) add.set(OVERAGE, split.overage);
  if (split.rejected > 0n) add.set(REJECTED, split.rejected);
  return { ...base, add, guards: { equals: [{ attribute: USED, equals: used }] } };
}

/**
 * Writes one counter item exactly once per stream record: a conditional write holding only
 * records above the item's marks; when refused, re-aggregates from the item's current state
 * and tries again. Entitlements split included usage from overage or rejected usage in the
 * same write, so no interleaving of writers can push `used` past a hard limit.
 */
export async function writeCounter(
  store: UsageCounterStore,
  target: CounterTarget,
  options: WriteCounterOptions = {},
): Promise<CounterWriteResult & { final?: ItemSnapshot }> {
  let snapshot: ItemSnapshot | undefined;
  let writes = 0;
  let conflicts = 0;
  let ahead = false;
  let withoutSets = false;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const pending = pendingOf(target, snapshot);
    if (pending.deltas.length === 0) {
      return { writes, conflicts, ahead, ...(snapshot ? { final: snapshot } : {}) };
    }
    const write =
      target.kind === 'entitlement'
        ? entitlementWrite(target, pending, snapshot)
        : rollupWrite(target, pending, snapshot, withoutSets);
    writes += 1;
    let outcome: Awaited<ReturnType<UsageCounterStore['write']>>;
    try {
      outcome = await store.write(write);
    } catch (error) {
      if (error instanceof CounterItemTooLarge && write.addToSet.size > 0 && !withoutSets) {
        // Retrying it would fail forever and hold the shard: drop the sets, keep the counts.
        withoutSets = true;
        continue;
      }
      return { failedRecordIndex: lowestRecordOf(target), error, writes, conflicts, ahead };
    }
    if (outcome.ok) return { writes, conflicts, ahead, final: outcome.after };
    conflicts += 1;
    snapshot = outcome.current;
    if (options.aheadOf !== undefined && holdsLaterRecords(target, snapshot, options.aheadOf)) ahead = true;
  }
  return {
    failedRecordIndex: lowestRecordOf(target),
    error: new Error(
      `counter ${target.pk} ${target.sk}: still contended after ${MAX_WRITE_ATTEMPTS} attempts`,
    ),
    writes,
    conflicts,
    ahead,
  };
}

/** True when the item's mark of some (shard, partition key) of the target is past `mark`. */
function holdsLaterRecords(target: CounterTarget, snapshot: ItemSnapshot, mark: string): boolean {
  for (const attribute of target.deltas.keys()) {
    const held = snapshot.marks.get(attribute);
    if (held !== undefined && held > mark) return true;
  }
  return false;
}

/**
 * Where a retry must start for this item: its first record in the batch, not its first
 * pending one, so the retry also brings back the record that owns any threshold claim this
 * batch left unpublished (records the item holds already are skipped by its marks).
 */
export function lowestRecordOf(target: CounterTarget): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const deltas of target.deltas.values()) {
    const first = deltas[0];
    if (first !== undefined && first.recordIndex < lowest) lowest = first.recordIndex;
  }
  return lowest;
}

interface PendingClaim {
  readonly percent: number;
  readonly owner: string;
  readonly atMs: number;
}

function pendingClaims(state: ItemSnapshot): PendingClaim[] {
  const claims: PendingClaim[] = [];
  for (const [name, value] of state.strings) {
    if (!name.startsWith('p_')) continue;
    const at = value.lastIndexOf('@');
    claims.push({
      percent: Number(name.slice(2)),
      owner: value.slice(0, at),
      atMs: Number(value.slice(at + 1)),
    });
  }
  return claims;
}

/**
 * Threshold crossings as an outbox on the entitlement item. Reached percents are claimed by a
 * conditional write (so each is decided once per period), published, then moved to `emitted`.
 * A claim names its owner, the first stream record of the batch that wrote this item. A batch
 * that fails after claiming is retried from that record (see `lowestRecordOf`), and a batch
 * holding the owner record publishes the claim; a live claim of another writer is left to it; a
 * claim abandoned for longer than STALE_CLAIM_MS (its batch given up) is published by whoever
 * writes the item next. Delivery is therefore at least once, with the crossing's stable id for
 * subscribers to drop a repeat.
 */
export async function publishThresholds(
  store: UsageCounterStore,
  publisher: ThresholdPublisher,
  target: EntitlementTarget,
  state: ItemSnapshot,
  records: { readonly owner: string; readonly held: ReadonlySet<string> },
  nowMs: number,
): Promise<number> {
  const { limit, thresholds } = target.entitlement;
  let current = state;
  let claimed: number[] = [];
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const known = new Set([
      ...(current.numberSets.get(EMITTED) ?? []),
      ...pendingClaims(current).map((c) => c.percent),
    ]);
    const toClaim = thresholdsToClaim(totalsOf(current), limit, thresholds, known);
    if (toClaim.length === 0) break;
    const outcome = await store.claimThresholds(target.pk, target.sk, toClaim, `${records.owner}@${nowMs}`);
    current = outcome.ok ? outcome.after : outcome.current;
    if (outcome.ok) {
      claimed = toClaim;
      break;
    }
  }
  const recovered = pendingClaims(current)
    .filter((c) => !claimed.includes(c.percent))
    .filter((c) => records.held.has(c.owner) || nowMs - c.atMs > STALE_CLAIM_MS)
    .map((c) => c.percent);
  const toPublish = [...claimed, ...recovered].sort((a, b) => a - b);
  if (toPublish.length === 0) return 0;
  const totals = totalsOf(current);
  await publisher.publish(toPublish.map((percent) => crossingOf(target, totals, percent)));
  await store.completeThresholds(target.pk, target.sk, toPublish);
  return toPublish.length;
}

function totalsOf(state: ItemSnapshot) {
  return {
    used: state.numbers.get(USED) ?? 0n,
    overage: state.numbers.get(OVERAGE) ?? 0n,
    rejected: state.numbers.get(REJECTED) ?? 0n,
  };
}

function crossingOf(
  target: EntitlementTarget,
  totals: { used: Quantity; overage: Quantity; rejected: Quantity },
  percent: number,
): ThresholdCrossing {
  const { entitlement } = target;
  const scopeKey = target.sk.slice(target.sk.lastIndexOf('#') + 1);
  return {
    id: `${target.tenant}/${entitlement.key}/${target.periodStart}/${scopeKey}/${percent}`,
    tenant: target.tenant,
    entitlement: entitlement.key,
    meter: entitlement.meter,
    mode: entitlement.mode,
    percent,
    limit: formatQuantity(entitlement.limit),
    used: formatQuantity(totals.used),
    overage: formatQuantity(totals.overage),
    rejected: formatQuantity(totals.rejected),
    periodStart: target.periodStart,
    periodEnd: target.periodEnd,
    ...(target.scope === undefined ? {} : { scope: target.scope }),
    blocked: isBlocked(entitlement.mode, totals.used, entitlement.limit),
  };
}
