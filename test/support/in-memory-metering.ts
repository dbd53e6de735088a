import type { Quantity } from '../../shared/decimal/quantity.js';
import type {
  ClaimOutcome,
  ClaimRequest,
  CounterWrite,
  DedupStore,
  ItemSnapshot,
  QuarantineEntry,
  QuarantineStore,
  ThresholdCrossing,
  ThresholdPublisher,
  UsageCounterStore,
  WriteOutcome,
} from '../../shared/metering/ports.js';

/**
 * In-memory stores with DynamoDB's conditional-write semantics, for property tests of the
 * metering domain. A `FaultPlan` can fail any call before it takes effect, or after (the
 * write happened but the caller never hears of it — a crash between two writes).
 */
export interface FaultPlan {
  /** Called once per store call; return 'before' or 'after' to fail it there. */
  next(operation: string): 'before' | 'after' | undefined;
}

export const NO_FAULTS: FaultPlan = { next: () => undefined };

export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

type Value = Quantity | string | Set<string> | Set<number> | Record<string, string>;

function snapshot(item: Map<string, Value> | undefined): ItemSnapshot {
  const marks = new Map<string, string>();
  const numbers = new Map<string, Quantity>();
  const strings = new Map<string, string>();
  const numberSets = new Map<string, ReadonlySet<number>>();
  for (const [name, value] of item ?? []) {
    if (name.startsWith('h_') && typeof value === 'string') marks.set(name, value);
    else if (typeof value === 'bigint') numbers.set(name, value);
    else if (typeof value === 'string') strings.set(name, value);
    else if (value instanceof Set && [...value].every((v) => typeof v === 'number')) {
      numberSets.set(name, new Set(value as Set<number>));
    }
  }
  return { marks, numbers, strings, numberSets };
}

async function guarded<T>(faults: FaultPlan, operation: string, apply: () => T): Promise<T> {
  await Promise.resolve();
  const fault = faults.next(operation);
  if (fault === 'before') throw new InjectedFault(`${operation} failed before taking effect`);
  const result = apply();
  if (fault === 'after') throw new InjectedFault(`${operation} took effect, then the response was lost`);
  return result;
}

export class InMemoryCounterStore implements UsageCounterStore {
  readonly items = new Map<string, Map<string, Value>>();
  writes = 0;
  /** Called after every applied write, to check invariants (e.g. a hard cap). */
  onApplied: (pk: string, sk: string, item: ReadonlyMap<string, Value>) => void = () => {};

  constructor(private readonly faults: FaultPlan = NO_FAULTS) {}

  write(write: CounterWrite): Promise<WriteOutcome> {
    return guarded(this.faults, 'counter.write', () => {
      this.writes += 1;
      const id = `${write.pk}\u0000${write.sk}`;
      const item = this.items.get(id);
      const get = (name: string) => item?.get(name);
      const ok =
        write.marks.every((m) => {
          const held = get(m.attribute);
          return held === undefined || (held as string) < m.below;
        }) &&
        (write.guards.greaterThan === undefined ||
          get(write.guards.greaterThan.attribute) === undefined ||
          (get(write.guards.greaterThan.attribute) as Quantity | string) < write.guards.greaterThan.value) &&
        (write.guards.equals ?? []).every((g) => get(g.attribute) === g.equals) &&
        (write.guards.atMost === undefined ||
          get(write.guards.atMost.attribute) === undefined ||
          (get(write.guards.atMost.attribute) as Quantity) <= write.guards.atMost.value);
      if (!ok) return { ok: false, current: snapshot(item) };
      const next = new Map(item ?? []);
      for (const [name, value] of Object.entries(write.describe)) next.set(name, value as Value);
      for (const mark of write.marks) next.set(mark.attribute, mark.set);
      for (const [name, value] of write.set) next.set(name, value);
      for (const [name, amount] of write.add)
        next.set(name, ((next.get(name) as Quantity | undefined) ?? 0n) + amount);
      for (const [name, values] of write.addToSet) {
        next.set(name, new Set([...((next.get(name) as Set<string> | undefined) ?? []), ...values]));
      }
      this.items.set(id, next);
      this.onApplied(write.pk, write.sk, next);
      return { ok: true, after: snapshot(next) };
    });
  }

  claimThresholds(pk: string, sk: string, percents: readonly number[], claim: string): Promise<WriteOutcome> {
    return guarded(this.faults, 'thresholds.claim', () => {
      const item = this.items.get(`${pk}\u0000${sk}`);
      const emitted = (item?.get('emitted') as Set<number> | undefined) ?? new Set<number>();
      if (item === undefined || percents.some((p) => emitted.has(p) || item.has(`p_${p}`))) {
        return { ok: false, current: snapshot(item) };
      }
      for (const p of percents) item.set(`p_${p}`, claim);
      return { ok: true, after: snapshot(item) };
    });
  }

  completeThresholds(pk: string, sk: string, percents: readonly number[]): Promise<void> {
    return guarded(this.faults, 'thresholds.complete', () => {
      const item = this.items.get(`${pk}\u0000${sk}`);
      if (item === undefined) return;
      for (const p of percents) item.delete(`p_${p}`);
      item.set(
        'emitted',
        new Set([...((item.get('emitted') as Set<number> | undefined) ?? []), ...percents]),
      );
    });
  }

  /** Items whose pk starts with `prefix`, as plain records. */
  itemsWithPrefix(prefix: string): Array<{ pk: string; sk: string; item: ReadonlyMap<string, Value> }> {
    return [...this.items]
      .filter(([id]) => id.startsWith(prefix))
      .map(([id, item]) => {
        const [pk, sk] = id.split('\u0000') as [string, string];
        return { pk, sk, item };
      });
  }
}

export class InMemoryDedupStore implements DedupStore {
  readonly markers = new Map<string, string>();

  constructor(private readonly faults: FaultPlan = NO_FAULTS) {}

  async claim(requests: readonly ClaimRequest[]): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = [];
    for (const request of requests) {
      try {
        outcomes.push(
          await guarded(this.faults, 'dedup.claim', (): ClaimOutcome => {
            const held = this.markers.get(request.key);
            if (held !== undefined) return { status: 'held', by: held };
            this.markers.set(request.key, request.by);
            return { status: 'claimed' };
          }),
        );
      } catch (error) {
        outcomes.push({ status: 'failed', error });
      }
    }
    return outcomes;
  }
}

export class InMemoryQuarantineStore implements QuarantineStore {
  readonly entries = new Map<string, QuarantineEntry>();

  constructor(private readonly faults: FaultPlan = NO_FAULTS) {}

  async put(entries: readonly QuarantineEntry[]) {
    const results: Array<{ ok: boolean; error?: unknown }> = [];
    for (const entry of entries) {
      try {
        await guarded(this.faults, 'quarantine.put', () => {
          const key = `${entry.tenant}#${entry.receivedAt}#${entry.shardId}#${entry.sequenceNumber}#${entry.subIndex}#${entry.eventIndex}`;
          this.entries.set(key, entry);
        });
        results.push({ ok: true });
      } catch (error) {
        results.push({ ok: false, error });
      }
    }
    return results;
  }
}

export class InMemoryThresholdPublisher implements ThresholdPublisher {
  readonly published: ThresholdCrossing[] = [];

  constructor(private readonly faults: FaultPlan = NO_FAULTS) {}

  publish(crossings: readonly ThresholdCrossing[]): Promise<void> {
    return guarded(this.faults, 'thresholds.publish', () => {
      this.published.push(...crossings);
    });
  }
}
