import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../../../shared/contract/usage-event.js';
import { decodeRecord } from '../../../shared/ingest/decode-record.js';
import {
  type PackableEvent,
  type PackOptions,
  packEvents,
  saltedPartitionKeys,
} from '../../../shared/sdk/pack-records.js';
import {
  batchRecords,
  MAX_RECORDS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  recordSize,
} from '../../../shared/sdk/put-with-retry.js';

const packRecords = (events: PackableEvent[], options?: PackOptions) => packEvents(events, options).records;
const salted = (n: number) => saltedPartitionKeys(() => n);

const MiB = 1024 * 1024;

/** An event whose JSON text is exactly `bytes` long. */
function eventOf(subject: string, bytes: number, tag = 0) {
  const head = `{"subject":"${subject}","tag":${tag},"pad":"`;
  const json = `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
  expect(json.length).toBe(bytes);
  return { subject, json };
}

describe('packRecords', () => {
  it("puts one tenant's small events into one JSON array record keyed by the tenant", () => {
    const events = [eventOf('acme', 100, 1), eventOf('acme', 100, 2)];
    const [record, ...rest] = packRecords(events);
    expect(rest).toEqual([]);
    expect(record?.partitionKey).toBe('acme');
    expect(record?.eventCount).toBe(2);
    expect(JSON.parse(Buffer.from(record?.data ?? []).toString()).map((e: { tag: number }) => e.tag)).toEqual(
      [1, 2],
    );
    expect(record?.data.byteLength).toBe(203); // "[" + 100 + "," + 100 + "]"
  });

  it('never mixes tenants in a record and keeps each tenant in input order', () => {
    const records = packRecords([eventOf('acme', 50, 1), eventOf('globex', 50, 2), eventOf('acme', 50, 3)]);
    expect(
      records.map((r) => [
        r.partitionKey,
        JSON.parse(Buffer.from(r.data).toString()).map((e: { tag: number }) => e.tag),
      ]),
    ).toEqual([
      ['acme', [1, 3]],
      ['globex', [2]],
    ]);
  });

  const fills: Array<[name: string, eventBytes: number, count: number, expectedCounts: number[]]> = [
    // budget = 1 MiB − 4 (key "acme") = 1048572 bytes; a record of n events of b bytes is 2 + n·b + (n − 1)
    ['two halves that together exceed the budget', 524_286, 2, [1, 1]], // 2 + 2·524286 + 1 = 1048575 > 1048572
    ['two halves that fit exactly', 524_284, 2, [2]], // 2 + 2·524284 + 1 = 1048571 ≤ 1048572
    ['a single event of exactly the budget', 1_048_570, 1, [1]], // 2 + 1048570 = 1048572
    ['1000-byte events', 1_000, 2_500, [1_047, 1_047, 406]], // ⌊(1048572 − 2 + 1) / 1001⌋ = 1047 per record
  ];

  it.each(fills)('fills records up to 1 MiB with the partition key: %s', (_name, bytes, count, expected) => {
    const records = packRecords(Array.from({ length: count }, (_, i) => eventOf('acme', bytes, i)));
    expect(records.map((r) => r.eventCount)).toEqual(expected);
    for (const record of records) expect(recordSize(record)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
  });

  it('spreads a salted tenant over tenant#0..N-1 in turn, reserving room for the suffix', () => {
    const records = packRecords(
      Array.from({ length: 5 }, (_, i) => eventOf('acme', 600_000, i)),
      salted(3),
    );
    expect(records.map((r) => r.partitionKey)).toEqual(['acme#0', 'acme#1', 'acme#2', 'acme#0', 'acme#1']);
    for (const record of records) expect(recordSize(record)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
  });

  it('reports events too large for any record', () => {
    const big = eventOf('acme', MAX_RECORD_BYTES - 5); // + "[]" + "acme" = 1 MiB + 1
    const fits = eventOf('acme', MAX_RECORD_BYTES - 6); // exactly 1 MiB
    const { records, oversized } = packEvents([big, fits]);
    expect(oversized).toEqual([big]);
    expect(records.map((r) => r.eventCount)).toEqual([1]);
  });

  it('gzips records from the threshold up when that is smaller, and the consumer reads them back', () => {
    const events = Array.from({ length: 40 }, (_, i) => eventOf('acme', 100, i));
    const [small] = packRecords(events.slice(0, 2), { gzipMinBytes: 1_024 }); // 203 bytes: under the threshold
    const [large] = packRecords(events, { gzipMinBytes: 1_024 }); // 2 + 40·100 + 39 = 4041 bytes
    expect(small?.compressed).toBe(false);
    expect(large?.compressed).toBe(true);
    expect(large?.uncompressedBytes).toBe(4_041);
    expect(large?.data.byteLength).toBeLessThan(4_041);
    expect([large?.data[0], large?.data[1]]).toEqual([0x1f, 0x8b]);
    const [decoded] = decodeRecord(large?.data ?? new Uint8Array(), 'acme');
    expect(
      decoded?.outcome.kind === 'events' && decoded.outcome.items.map((i) => (i.raw as { tag: number }).tag),
    ).toEqual(events.map((_, i) => i));
  });

  it('wraps each record in an envelope with its own id when asked, within the same limit', () => {
    let n = 0;
    const events = Array.from({ length: 3 }, (_, i) => eventOf('acme', 600_000, i));
    const records = packRecords(events, {
      envelopeId: () => {
        n += 1;
        return `env-${n}`;
      },
    });
    expect(records.map((r) => [r.envelopeId, r.eventCount])).toEqual([
      ['env-1', 1],
      ['env-2', 1],
      ['env-3', 1],
    ]);
    for (const record of records) expect(recordSize(record)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const [decoded] = decodeRecord(records[1]?.data ?? new Uint8Array(), 'acme');
    expect(decoded?.outcome).toMatchObject({ kind: 'events', envelopeId: 'env-2' });
  });
});

describe('batchRecords', () => {
  const record = (bytes: number) => ({ partitionKey: 'k', data: new Uint8Array(bytes - 1), eventCount: 1 });

  it('puts at most 500 records in a request', () => {
    const batches = batchRecords(Array.from({ length: 1_201 }, () => record(100)));
    expect(batches.map((b) => b.length)).toEqual([500, 500, 201]);
  });

  it('puts at most 5 MiB in a request, counting partition keys', () => {
    // five records of exactly 1 MiB (data + key) fill a request; the sixth starts a new one
    const batches = batchRecords(Array.from({ length: 11 }, () => record(MiB)));
    expect(batches.map((b) => b.length)).toEqual([5, 5, 1]);
    for (const batch of batches) {
      expect(batch.reduce((s, r) => s + recordSize(r), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
  });

  it('keeps records in order', () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ ...record(MiB), eventCount: i }));
    expect(
      batchRecords(records)
        .flat()
        .map((r) => r.eventCount),
    ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('is empty for no records', () => {
    expect(batchRecords([])).toEqual([]);
    expect(MAX_RECORDS_PER_REQUEST).toBe(500);
  });
});
