import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { formatQuantity } from '../../../shared/decimal/quantity.js';
import {
  emptyMeterBatchStats,
  type MeterBatchDeps,
  type MeterBatchOptions,
  type MeterBatchResult,
  type MeterBatchStats,
  meterBatch,
} from '../../../shared/metering/meter-batch.js';
import type { StreamRange, StreamRangeReader } from '../../../shared/metering/ports.js';
import type { StreamRecord } from '../../../shared/metering/prepare-batch.js';
import { ReplayError, replayFailedBatch, replayRange } from '../../../shared/metering/replay-failed-batch.js';
import {
  InMemoryCounterStore,
  InMemoryDedupStore,
  InMemoryQuarantineStore,
  InMemoryThresholdPublisher,
} from '../../support/in-memory-metering.js';

const SHARD = 'shardId-000000000000';
const ARRIVAL = Date.parse('2026-11-20T12:30:00Z');
/** 56-digit sequence numbers, as Kinesis makes them; `seq(9) < seq(10)` also as numbers. */
const seq = (n: number) =>
  (49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_800n + BigInt(n)).toString();

function record(n: number, events: readonly object[] = [], partitionKey = 't1'): StreamRecord {
  return {
    shardId: SHARD,
    sequenceNumber: seq(n),
    partitionKey,
    data: new TextEncoder().encode(JSON.stringify(events)),
    arrivalMs: ARRIVAL,
  };
}

function rangeOf(first: number, last: number): StreamRange {
  return { shardId: SHARD, startSequenceNumber: seq(first), endSequenceNumber: seq(last) };
}

/** A stream holding `records` (and possibly more around them). */
function readerOf(records: readonly StreamRecord[]): StreamRangeReader & { reads: StreamRange[] } {
  const reads: StreamRange[] = [];
  return {
    reads,
    async read(range) {
      reads.push(range);
      return records.filter((r) => BigInt(r.sequenceNumber) >= BigInt(range.startSequenceNumber));
    },
  };
}

function stats(overrides: Partial<MeterBatchStats> = {}): MeterBatchStats {
  return { ...emptyMeterBatchStats(), ...overrides };
}

/** A meter that answers each call from `script` (then succeeds), recording what it was given. */
function scriptedMeter(script: Array<(records: readonly StreamRecord[]) => MeterBatchResult>) {
  const calls: Array<{ sequenceNumbers: string[]; options: MeterBatchOptions }> = [];
  const meter = async (records: readonly StreamRecord[], options: MeterBatchOptions) => {
    calls.push({ sequenceNumbers: records.map((r) => r.sequenceNumber), options });
    const answer = script[calls.length - 1];
    if (answer !== undefined) return answer(records);
    return {
      failedSequenceNumbers: [],
      stats: stats({ records: records.length, events: records.length, counted: records.length }),
      errors: [],
    };
  };
  return { meter, calls };
}

const failFrom =
  (n: number, counted: number): ((records: readonly StreamRecord[]) => MeterBatchResult) =>
  (records) => ({
    failedSequenceNumbers: [seq(n)],
    stats: stats({ records: records.length, events: records.length, counted }),
    errors: [new Error(`record ${n} failed`)],
  });

describe('replayFailedBatch', () => {
  const stream = Array.from({ length: 12 }, (_, i) => record(i + 1));

  it('meters exactly the range, read back under the records’ own shard and sequence numbers', async () => {
    const { meter, calls } = scriptedMeter([]);
    const report = await replayFailedBatch(rangeOf(3, 10), { reader: readerOf(stream), meter });
    expect(calls.map((c) => c.sequenceNumbers)).toEqual([[3, 4, 5, 6, 7, 8, 9, 10].map(seq)]);
    expect(calls[0]?.options).toEqual({ replayedThrough: seq(10) });
    expect(report).toMatchObject({ records: 8, counted: 8, attempts: 1, completed: true, exact: true });
    expect(report.resumeFrom).toBeUndefined();
  });

  it('compares sequence numbers as numbers, not strings', async () => {
    const short = ['9', '10', '11', '100'].map((sequenceNumber) => ({ ...record(0), sequenceNumber }));
    const { meter, calls } = scriptedMeter([]);
    await replayFailedBatch(
      { shardId: SHARD, startSequenceNumber: '9', endSequenceNumber: '11' },
      { reader: { read: async () => short }, meter },
    );
    expect(calls[0]?.sequenceNumbers).toEqual(['9', '10', '11']);
  });

  it('meters a long range in chunks of at most 10,000 records', async () => {
    const long = Array.from({ length: 10_005 }, (_, i) => record(i + 1));
    const { meter, calls } = scriptedMeter([]);
    const report = await replayFailedBatch(rangeOf(1, 10_005), { reader: readerOf(long), meter });
    expect(calls.map((c) => c.sequenceNumbers.length)).toEqual([10_000, 5]);
    expect(report).toMatchObject({ records: 10_005, completed: true });
  });

  it('resumes from the lowest failed record after a partial failure, and adds up every attempt', async () => {
    const { meter, calls } = scriptedMeter([failFrom(6, 2)]);
    const pauses: number[] = [];
    const report = await replayFailedBatch(rangeOf(3, 10), {
      reader: readerOf(stream),
      meter,
      pause: async (attempt) => void pauses.push(attempt),
    });
    expect(calls.map((c) => c.sequenceNumbers)).toEqual([
      [3, 4, 5, 6, 7, 8, 9, 10].map(seq),
      [6, 7, 8, 9, 10].map(seq),
    ]);
    expect(pauses).toEqual([2]);
    expect(report).toMatchObject({ records: 8, counted: 2 + 5, attempts: 2, completed: true });
    expect(report.errors).toHaveLength(1);
  });

  it('treats a thrown meter call as a failure of its whole chunk', async () => {
    const { meter, calls } = scriptedMeter([
      () => {
        throw new Error('catalog unavailable');
      },
    ]);
    const report = await replayFailedBatch(rangeOf(1, 2), { reader: readerOf(stream), meter });
    expect(calls.map((c) => c.sequenceNumbers)).toEqual([
      [seq(1), seq(2)],
      [seq(1), seq(2)],
    ]);
    expect(report.completed).toBe(true);
  });

  it('gives up after maxAttempts failures at the same record and says where to resume', async () => {
    const { meter, calls } = scriptedMeter([failFrom(5, 2), failFrom(7, 2), failFrom(7, 0), failFrom(7, 0)]);
    const report = await replayFailedBatch(rangeOf(3, 10), {
      reader: readerOf(stream),
      meter,
      maxAttempts: 3,
    });
    // 5 failed once; progress to 7 resets the count; 7 fails three times in a row.
    expect(calls).toHaveLength(4);
    expect(report).toMatchObject({ completed: false, exact: false, resumeFrom: seq(7), attempts: 4 });
    expect(report.errors).toHaveLength(4);
  });

  it('reports counter items already past the range as not exact', async () => {
    const { meter } = scriptedMeter([
      (records) => ({
        failedSequenceNumbers: [],
        stats: stats({ records: records.length, countersAhead: 2 }),
        errors: [],
      }),
    ]);
    const report = await replayFailedBatch(rangeOf(3, 4), { reader: readerOf(stream), meter });
    expect(report).toMatchObject({ completed: true, exact: false, countersAhead: 2 });
  });

  it('refuses a range whose first record the stream no longer holds (range_expired), naming the range', async () => {
    const trimmed = stream.slice(4); // records 1–4 are past the retention
    const { meter, calls } = scriptedMeter([]);
    const error = await replayFailedBatch(rangeOf(3, 10), { reader: readerOf(trimmed), meter }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReplayError);
    expect(error).toMatchObject({ code: 'range_expired', range: rangeOf(3, 10) });
    expect((error as Error).message).toContain(`${SHARD} ${seq(3)}…${seq(10)}`);
    expect(calls).toEqual([]);
  });

  it('refuses a range of a shard the stream no longer has (range_expired)', async () => {
    const { meter } = scriptedMeter([]);
    await expect(replayFailedBatch(rangeOf(1, 2), { reader: readerOf([]), meter })).rejects.toMatchObject({
      code: 'range_expired',
    });
  });

  it('refuses a range whose last record is not in the stream (range_incomplete)', async () => {
    const { meter } = scriptedMeter([]);
    await expect(
      replayFailedBatch(rangeOf(3, 20), { reader: readerOf(stream), meter }),
    ).rejects.toMatchObject({ code: 'range_incomplete' });
  });

  it('refuses malformed ranges before reading (invalid_range)', async () => {
    const reader = readerOf(stream);
    const { meter } = scriptedMeter([]);
    for (const range of [
      rangeOf(5, 4),
      { shardId: SHARD, startSequenceNumber: '12x', endSequenceNumber: seq(3) },
      { shardId: '', startSequenceNumber: seq(1), endSequenceNumber: seq(3) },
    ]) {
      await expect(replayFailedBatch(range, { reader, meter })).rejects.toMatchObject({
        code: 'invalid_range',
      });
    }
    expect(reader.reads).toEqual([]);
  });

  it('wraps a failed read as read_failed with the cause', async () => {
    const cause = new Error('stream not found');
    const { meter } = scriptedMeter([]);
    const error = await replayFailedBatch(rangeOf(1, 2), {
      reader: {
        read: async () => {
          throw cause;
        },
      },
      meter,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'read_failed', cause });
  });

  it('turns a ReplayError into a failed outcome and a report into a JSON-safe one (replayRange)', async () => {
    const { meter } = scriptedMeter([failFrom(4, 1)]);
    expect(await replayRange(rangeOf(3, 5), { reader: readerOf(stream), meter })).toMatchObject({
      status: 'replayed',
      report: { records: 3, completed: true, lastError: 'Error: record 4 failed' },
    });
    expect(await replayRange(rangeOf(3, 5), { reader: readerOf([]), meter })).toMatchObject({
      status: 'failed',
      error: { code: 'range_expired' },
    });
  });
});

describe('replayFailedBatch over meterBatch', () => {
  const catalog = compileCatalog(
    parseCatalog({
      schemaVersion: 1,
      meters: [
        {
          key: 'tokens',
          name: 'Tokens',
          unit: 'tokens',
          eventType: 'llm',
          aggregation: 'SUM',
          valueProperty: 'tokens',
          groupBy: [],
        },
      ],
      plans: [
        {
          key: 'metered',
          name: 'Metered',
          entitlements: [{ meter: 'tokens', limit: '1000000', period: 'MONTH', mode: 'soft' }],
        },
      ],
    }),
  );
  const profiles = new Map<string, TenantProfile>([
    ['t1', { tenant: 't1', plan: 'metered', status: 'active' }],
  ]);
  let made = 0;
  const event = (tokens: number) => ({
    id: `ev-${++made}`,
    type: 'llm',
    subject: 't1',
    time: new Date(ARRIVAL - 60_000).toISOString(),
    data: { tokens },
  });

  /** In-memory stores; counter writes fail while `failing` is set (claims succeed). */
  function environment() {
    const control = { failing: false };
    const counters = new InMemoryCounterStore({
      next: (operation) => (control.failing && operation === 'counter.write' ? 'before' : undefined),
    });
    const deps: MeterBatchDeps = {
      catalog: { current: async () => catalog },
      tenants: { profiles: async () => profiles },
      dedup: new InMemoryDedupStore(),
      counters,
      quarantine: new InMemoryQuarantineStore(),
      thresholds: new InMemoryThresholdPublisher(),
      envelopeDedup: false,
      clock: () => ARRIVAL,
    };
    const tokens = () =>
      formatQuantity(
        counters
          .itemsWithPrefix('E#t1')
          .reduce((sum, { item }) => sum + ((item.get('used') as bigint | undefined) ?? 0n), 0n),
      );
    const meter = (records: readonly StreamRecord[], options: MeterBatchOptions = {}) =>
      meterBatch(records, deps, options);
    return { control, tokens, meter };
  }

  it('counts once the events a given-up attempt claimed but could not count, and a second replay changes nothing', async () => {
    const env = environment();
    const batch = [record(1, [event(10), event(20)]), record(2, [event(30)])];
    env.control.failing = true;
    const first = await env.meter(batch);
    expect(first.failedSequenceNumbers).toEqual([seq(1)]); // claimed, then given up
    env.control.failing = false;

    const replay = await replayFailedBatch(rangeOf(1, 2), { reader: readerOf(batch), meter: env.meter });
    // 10 + 20 + 30 = 60 tokens; the claims were the records' own, so the events are redelivered.
    expect(env.tokens()).toBe('60');
    expect(replay).toMatchObject({ records: 2, counted: 0, redelivered: 3, duplicates: 0, exact: true });

    const again = await replayFailedBatch(rangeOf(1, 2), { reader: readerOf(batch), meter: env.meter });
    expect(env.tokens()).toBe('60');
    expect(again).toMatchObject({ counted: 0, redelivered: 3, exact: true });
  });

  it('flags a replay as not exact once later records of the same partition key were counted', async () => {
    const env = environment();
    const givenUp = [record(1, [event(10)])];
    env.control.failing = true;
    await env.meter(givenUp);
    env.control.failing = false;
    await env.meter([record(2, [event(5)])]); // the stream moved on: the mark is now past record 1

    const replay = await replayFailedBatch(rangeOf(1, 1), { reader: readerOf(givenUp), meter: env.meter });
    // Both items record 1 would go to (the hourly rollup, the month's entitlement) hold record 2.
    expect(replay).toMatchObject({ completed: true, exact: false, countersAhead: 2 });
    // What that means: they hold record 2 (5 tokens), and record 1 can no longer pass their marks.
    expect(env.tokens()).toBe('5');
  });

  it('is exact when the later records went to other counter items', async () => {
    const env = environment();
    const givenUp = [record(1, [event(10)])];
    env.control.failing = true;
    await env.meter(givenUp);
    env.control.failing = false;
    await env.meter([record(2, [event(5)], 't1#2')]); // another partition key: its own mark

    const replay = await replayFailedBatch(rangeOf(1, 1), { reader: readerOf(givenUp), meter: env.meter });
    expect(replay).toMatchObject({ exact: true, countersAhead: 0 });
    expect(env.tokens()).toBe('15');
  });
});
