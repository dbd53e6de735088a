import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { formatQuantity, quantityOf } from '../../../shared/decimal/quantity.js';
import { type MeterBatchDeps, meterBatch } from '../../../shared/metering/meter-batch.js';
import type { StreamRecord } from '../../../shared/metering/prepare-batch.js';
import {
  type FaultPlan,
  InMemoryCounterStore,
  InMemoryDedupStore,
  InMemoryQuarantineStore,
  InMemoryThresholdPublisher,
} from '../../support/in-memory-metering.js';

const CAP = 500n;
const SOFT = 300n;
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
        groupBy: ['model'],
      },
      { key: 'calls', name: 'Calls', unit: 'calls', eventType: 'llm', aggregation: 'COUNT', groupBy: [] },
    ],
    plans: [
      {
        key: 'capped',
        name: 'Capped',
        entitlements: [{ meter: 'tokens', limit: String(CAP), period: 'MONTH', mode: 'hard' }],
      },
      {
        key: 'metered',
        name: 'Metered',
        entitlements: [{ meter: 'tokens', limit: String(SOFT), period: 'MONTH', mode: 'soft' }],
      },
    ],
  }),
);
const profiles = new Map<string, TenantProfile>([
  ['t1', { tenant: 't1', plan: 'capped', status: 'active' }],
  ['t2', { tenant: 't2', plan: 'metered', status: 'active' }],
]);
const ARRIVAL = Date.parse('2026-11-20T12:30:00Z');

interface GenEvent {
  readonly tenant: 't1' | 't2';
  readonly n: number;
  readonly model: 'a' | 'b';
  readonly tokens: number;
  readonly hour: number;
}

const eventArb = fc.record({
  tenant: fc.constantFrom('t1' as const, 't2' as const),
  n: fc.nat(1_000_000),
  model: fc.constantFrom('a' as const, 'b' as const),
  tokens: fc.integer({ min: 0, max: 120 }),
  hour: fc.integer({ min: 0, max: 2 }),
});

function toJson(e: GenEvent) {
  return {
    id: `ev-${e.n}`,
    type: 'llm',
    subject: e.tenant,
    time: new Date(ARRIVAL - e.hour * 3_600_000).toISOString(),
    data: { model: e.model, tokens: e.tokens },
  };
}

/** A stream: records of 1–3 events; some records resend earlier events (producer retries). */
const streamArb = fc
  .record({
    events: fc.uniqueArray(eventArb, { minLength: 1, maxLength: 40, selector: (e) => `${e.tenant}/${e.n}` }),
    resends: fc.array(fc.nat(), { maxLength: 10 }),
    shards: fc.integer({ min: 1, max: 2 }),
    batchSizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }),
    faultSeed: fc.integer(),
    faultRate: fc.constantFrom(0, 0.05, 0.2),
    replay: fc.boolean(),
  })
  .map((spec) => {
    const records: GenEvent[][] = [];
    for (let i = 0; i < spec.events.length; ) {
      const size = 1 + ((spec.events[i]!.n % 3) as number);
      records.push(spec.events.slice(i, i + size));
      i += size;
    }
    for (const r of spec.resends) records.splice(r % (records.length + 1), 0, records[r % records.length]!);
    return { ...spec, records };
  });

/** Seeded faults; a "crash" fails every later call of the same invocation. */
function faultPlan(seed: number, rate: number): FaultPlan & { reset(): void; total: number } {
  let state = seed >>> 0 || 1;
  let crashed = false;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const plan = {
    total: 0,
    reset() {
      crashed = false;
    },
    next(): 'before' | 'after' | undefined {
      if (plan.total > 60) return undefined; // bounded, so every stream completes
      if (crashed) return 'before';
      if (random() >= rate) return undefined;
      plan.total += 1;
      const r = random();
      if (r < 0.2) crashed = true;
      return r < 0.6 ? 'before' : 'after';
    },
  };
  return plan;
}

/**
 * Drives records through `meterBatch` the way the Lambda event source mapping does: per shard,
 * in order, in batches; retrying from the lowest failed sequence number until all succeed.
 */
async function runEventSource(
  records: StreamRecord[][],
  batchSizes: number[],
  deps: MeterBatchDeps,
  onInvoke: () => void,
) {
  let invocations = 0;
  for (const shard of records) {
    let position = 0;
    while (position < shard.length) {
      const size = batchSizes[invocations % batchSizes.length]!;
      const batch = shard.slice(position, position + size);
      invocations += 1;
      if (invocations > 5_000) throw new Error('event source did not converge');
      onInvoke(); // each invocation, a retry too, comes 20 s after the one before
      const result = await meterBatch(batch, deps);
      const failed = result.failedSequenceNumbers[0];
      position =
        failed === undefined ? position + batch.length : shard.findIndex((r) => r.sequenceNumber === failed);
    }
  }
}

describe('meterBatch under at-least-once delivery', () => {
  it('counts every event exactly once and never lets a hard cap be exceeded, whatever the duplicates, batch splits and faults', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, async (spec) => {
        const faults = faultPlan(spec.faultSeed, spec.faultRate);
        let now = ARRIVAL;
        const counters = new InMemoryCounterStore(faults);
        const dedup = new InMemoryDedupStore(faults);
        const quarantine = new InMemoryQuarantineStore(faults);
        const publisher = new InMemoryThresholdPublisher(faults);
        counters.onApplied = (pk, _sk, item) => {
          if (pk === 'E#t1') expect(item.get('used') as bigint).toBeLessThanOrEqual(quantityOf(CAP));
        };
        const deps: MeterBatchDeps = {
          catalog: { current: async () => catalog },
          tenants: { profiles: async () => profiles },
          dedup,
          counters,
          quarantine,
          thresholds: publisher,
          envelopeDedup: false,
          clock: () => now,
        };
        // Records go to shards by partition key (the tenant); sequence numbers grow per shard.
        const shards: StreamRecord[][] = Array.from({ length: spec.shards }, () => []);
        spec.records.forEach((events, i) => {
          const tenant = events[0]!.tenant;
          const shard = spec.shards === 1 ? 0 : tenant === 't1' ? 0 : 1;
          shards[shard]!.push({
            shardId: `shardId-00000000000${shard}`,
            sequenceNumber: String(49_000_000_000n + BigInt(i) * 7n),
            partitionKey: tenant,
            data: new TextEncoder().encode(JSON.stringify(events.map(toJson))),
            arrivalMs: ARRIVAL,
          });
        });
        const invoke = () => {
          faults.reset();
          now += 20_000;
        };
        await runEventSource(shards, spec.batchSizes, deps, invoke);
        if (spec.replay) await runEventSource(shards, [1000], deps, invoke);

        // Ground truth from the distinct events.
        const unique = new Map<string, GenEvent>();
        for (const events of spec.records) for (const e of events) unique.set(`${e.tenant}/${e.n}`, e);
        const expected = new Map<string, bigint>();
        const totals = new Map<string, bigint>();
        for (const e of unique.values()) {
          const hour = new Date(ARRIVAL - e.hour * 3_600_000);
          hour.setUTCMinutes(0, 0, 0);
          const rollup = `${e.tenant}|${hour.toISOString()}|model=${e.model}`;
          if (e.tokens > 0)
            expected.set(`tokens|${rollup}`, (expected.get(`tokens|${rollup}`) ?? 0n) + BigInt(e.tokens));
          const calls = `calls|${e.tenant}|${hour.toISOString()}`;
          expected.set(calls, (expected.get(calls) ?? 0n) + 1n);
          totals.set(e.tenant, (totals.get(e.tenant) ?? 0n) + BigInt(e.tokens));
        }
        const actual = new Map<string, bigint>();
        for (const { pk, sk, item } of counters.itemsWithPrefix('R#')) {
          const tenant = pk.split('#')[1]!;
          const [hour, group] = sk.split('#') as [string, string];
          const tokens = item.get('m_tokens') as bigint | undefined;
          const calls = item.get('m_calls') as bigint | undefined;
          if (tokens !== undefined) actual.set(`tokens|${tenant}|${hour}|${group}`, tokens / quantityOf(1));
          if (calls !== undefined) actual.set(`calls|${tenant}|${hour}`, calls / quantityOf(1));
        }
        expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));

        for (const [tenant, limit, mode] of [
          ['t1', CAP, 'hard'],
          ['t2', SOFT, 'soft'],
        ] as const) {
          const total = totals.get(tenant) ?? 0n;
          const items = counters.itemsWithPrefix(`E#${tenant}`);
          const used = items.reduce(
            (s, { item }) => s + ((item.get('used') as bigint | undefined) ?? 0n),
            0n,
          );
          const over = items.reduce(
            (s, { item }) =>
              s + ((item.get(mode === 'hard' ? 'rejected' : 'overage') as bigint | undefined) ?? 0n),
            0n,
          );
          expect(formatQuantity(used)).toBe(String(total < limit ? total : limit));
          expect(formatQuantity(over)).toBe(String(total > limit ? total - limit : 0n));
          // Each reached threshold is published; each one is decided once per period.
          const reached = [50, 80, 100].filter((p) => total > 0n && total * 100n >= BigInt(p) * limit);
          const published = new Set(
            publisher.published.filter((c) => c.tenant === tenant).map((c) => c.percent),
          );
          expect([...published].sort((a, b) => a - b)).toEqual(reached);
        }
        expect(quarantine.entries.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
