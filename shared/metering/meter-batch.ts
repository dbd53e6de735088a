import type { QuarantineReason } from '../contract/reasons.js';
import { aggregateBatch } from './aggregate-batch.js';
import { markOf } from './marks.js';
import type {
  CatalogSource,
  ClaimRequest,
  DedupStore,
  QuarantineStore,
  TenantDirectory,
  ThresholdPublisher,
  UsageCounterStore,
} from './ports.js';
import type { CountableEvent, StreamRecord } from './prepare-batch.js';
import { classifyEvents, decodeBatch } from './prepare-batch.js';
import { lowestRecordOf, publishThresholds, writeCounter } from './write-counters.js';

/** Claim markers outlive the 35-day dedup horizon by a margin. */
export const CLAIM_TTL_DAYS = 40;
const DAY_SECONDS = 86_400;

export interface MeterBatchDeps {
  readonly catalog: CatalogSource;
  readonly tenants: TenantDirectory;
  readonly dedup: DedupStore;
  readonly counters: UsageCounterStore;
  readonly quarantine: QuarantineStore;
  readonly thresholds: ThresholdPublisher;
  readonly envelopeDedup: boolean;
  /** Wall clock in epoch ms: only to tell an abandoned threshold claim from a live one. */
  readonly clock?: () => number;
  /** How many counter items are written at once. */
  readonly writeConcurrency?: number;
}

export interface MeterBatchStats {
  records: number;
  events: number;
  /** Events counted for the first time. */
  counted: number;
  /** Events of records delivered again (retries, replays) whose claim they already held. */
  redelivered: number;
  duplicates: number;
  quarantined: Partial<Record<QuarantineReason, number>>;
  claims: number;
  counterWrites: number;
  conflicts: number;
  thresholdsPublished: number;
  /**
   * Counter items found already holding a record past `MeterBatchOptions.replayedThrough` of the
   * same (shard, partition key); always 0 without that option. See `replayFailedBatch`.
   */
  countersAhead: number;
}

/** Stats of a batch before anything happened to it. */
export function emptyMeterBatchStats(records = 0): MeterBatchStats {
  return {
    records,
    events: 0,
    counted: 0,
    redelivered: 0,
    duplicates: 0,
    quarantined: {},
    claims: 0,
    counterWrites: 0,
    conflicts: 0,
    thresholdsPublished: 0,
    countersAhead: 0,
  };
}

export interface MeterBatchOptions {
  /**
   * Set when re-metering records the event source gave up on: the last sequence number of their
   * range. Counter items holding later records of the same (shard, partition key) are reported
   * in `stats.countersAhead` (the stream moved on past the range, see ADR 0001).
   */
  readonly replayedThrough?: string;
}

export interface MeterBatchResult {
  /** Sequence numbers of records to retry (Lambda resumes from the lowest). */
  readonly failedSequenceNumbers: readonly string[];
  readonly stats: MeterBatchStats;
  readonly errors: readonly unknown[];
}

interface ClaimUnit {
  readonly request: ClaimRequest;
  readonly recordIndex: number;
  readonly members: CountableEvent[];
}

/**
 * Meters one batch of stream records. Every event ends in exactly one of: counted once in every
 * meter that selects it; quarantined with a reason; acknowledged as a duplicate. Records whose
 * effects could not all be stored are returned for retry, and a retry is always safe: claims,
 * counter marks and quarantine keys make every step idempotent.
 */
export async function meterBatch(
  records: readonly StreamRecord[],
  deps: MeterBatchDeps,
  options: MeterBatchOptions = {},
): Promise<MeterBatchResult> {
  const stats = emptyMeterBatchStats(records.length);
  const failed = new Set<number>();
  const errors: unknown[] = [];
  const fail = (recordIndex: number, error: unknown) => {
    failed.add(recordIndex);
    errors.push(error);
  };

  const decoded = decodeBatch(records);
  stats.events = decoded.eventCount;
  const [catalog, profiles] = await Promise.all([
    deps.catalog.current(),
    deps.tenants.profiles([...new Set(decoded.events.map((e) => e.event.subject))]),
  ]);
  const classified = classifyEvents(records, decoded.events, catalog, profiles, {
    envelopeDedup: deps.envelopeDedup,
  });
  const quarantine = [...decoded.quarantine, ...classified.quarantine];

  // 1. Claims: one per event (or per trusted envelope); the first record to claim it counts it.
  const units = new Map<string, ClaimUnit>();
  for (const countable of classified.countable) {
    const unit = units.get(countable.claimKey);
    if (unit === undefined) {
      units.set(countable.claimKey, {
        request: {
          key: countable.claimKey,
          by: countable.recordId,
          expiresAtEpochSeconds: expiryOf(countable),
        },
        recordIndex: countable.recordIndex,
        members: [countable],
      });
    } else if (countable.envelope && unit.recordIndex === countable.recordIndex) {
      unit.members.push(countable);
    } else {
      stats.duplicates += 1;
    }
  }
  const unitList = [...units.values()];
  const outcomes = unitList.length === 0 ? [] : await deps.dedup.claim(unitList.map((u) => u.request));
  stats.claims = unitList.length;
  const winners: CountableEvent[] = [];
  // Events whose claim this record already held: a retry or replay of it. They are written
  // again (the counters' marks skip what they hold) but not reported as newly counted.
  const reclaimed = new Set<CountableEvent>();
  unitList.forEach((unit, i) => {
    const outcome = outcomes[i]!;
    if (outcome.status === 'failed') fail(unit.recordIndex, outcome.error);
    else if (outcome.status === 'claimed') winners.push(...unit.members);
    else if (outcome.by === unit.request.by) {
      winners.push(...unit.members);
      for (const member of unit.members) reclaimed.add(member);
    } else stats.duplicates += unit.members.length;
  });
  // A record whose claims failed, and every record after it, is counted on the retry only:
  // counting a later record now would move the counters' marks past the failed one.
  const firstClaimFailure = failed.size === 0 ? Number.POSITIVE_INFINITY : lowestOf(failed);
  const toCount = winners
    .filter((w) => w.recordIndex < firstClaimFailure)
    .sort((a, b) => a.recordIndex - b.recordIndex);

  // 2. Quarantine (idempotent puts) and counters (conditional writes) in parallel.
  const quarantineDone = quarantine.length === 0 ? Promise.resolve([]) : deps.quarantine.put(quarantine);
  const targets = aggregateBatch(toCount);
  const writeOptions =
    options.replayedThrough === undefined ? {} : { aheadOf: markOf(options.replayedThrough) };
  await runPool(targets, deps.writeConcurrency ?? 48, async (target) => {
    const result = await writeCounter(deps.counters, target, writeOptions);
    stats.counterWrites += result.writes;
    stats.conflicts += result.conflicts;
    if (result.ahead) stats.countersAhead += 1;
    if (result.failedRecordIndex !== undefined) {
      fail(result.failedRecordIndex, result.error);
      return;
    }
    if (target.kind === 'entitlement' && result.final !== undefined) {
      const first = lowestRecordOf(target);
      const idOf = (index: number) => `${records[index]!.shardId}/${records[index]!.sequenceNumber}`;
      const held = new Set(
        [...target.deltas.values()].flatMap((deltas) => deltas.map((d) => idOf(d.recordIndex))),
      );
      try {
        const now = (deps.clock ?? Date.now)();
        stats.thresholdsPublished += await publishThresholds(
          deps.counters,
          deps.thresholds,
          target,
          result.final,
          { owner: idOf(first), held },
          now,
        );
      } catch (error) {
        fail(first, error);
      }
    }
  });
  const quarantineOutcomes = await quarantineDone.catch((error: unknown) =>
    quarantine.map(() => ({ ok: false, error })),
  );
  let indexOf: Map<string, number> | undefined;
  quarantineOutcomes.forEach((outcome, i) => {
    const entry = quarantine[i]!;
    if (outcome.ok) {
      stats.quarantined[entry.reason] = (stats.quarantined[entry.reason] ?? 0) + 1;
    } else {
      indexOf ??= new Map(records.map((r, index) => [`${r.shardId}/${r.sequenceNumber}`, index]));
      fail(indexOf.get(`${entry.shardId}/${entry.sequenceNumber}`) ?? 0, outcome.error);
    }
  });
  for (const w of toCount) {
    if (failed.has(w.recordIndex)) continue;
    if (reclaimed.has(w)) stats.redelivered += 1;
    else stats.counted += 1;
  }

  const lowest = failed.size === 0 ? undefined : lowestOf(failed);
  return {
    failedSequenceNumbers: lowest === undefined ? [] : [records[lowest]!.sequenceNumber],
    stats,
    errors,
  };
}

function expiryOf(countable: CountableEvent): number {
  return Math.floor(countable.event.timeMs / 1000) + CLAIM_TTL_DAYS * DAY_SECONDS;
}

/** The smallest of many record indexes (no argument spreading: batches hold up to 10,000). */
function lowestOf(indexes: Iterable<number>): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const index of indexes) if (index < lowest) lowest = index;
  return lowest;
}

async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}
