import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from '../../../shared/contract/usage-event.js';
import { parseRedriveInput, type RedriveDeps } from '../../../shared/quarantine/redrive.js';
import { redriveQuarantined } from '../../../shared/quarantine/redrive-quarantined.js';
import {
  FakeStreamWriter,
  InMemoryBlobs,
  InMemoryQuarantine,
  quarantinedItem,
} from '../../support/in-memory-quarantine.js';

const NOW = Date.parse('2026-12-01T09:00:00.000Z');

let quarantine: InMemoryQuarantine;
let stream: FakeStreamWriter;
let blobs: InMemoryBlobs;
let deps: RedriveDeps;

beforeEach(() => {
  quarantine = new InMemoryQuarantine();
  stream = new FakeStreamWriter();
  blobs = new InMemoryBlobs();
  deps = { quarantine, blobs, stream, marker: quarantine, clock: () => NOW };
});

describe('redriveQuarantined', () => {
  it("puts each entry's bytes back as one record with its original partition key, and marks it", async () => {
    const a = quarantinedItem({ tenant: 'newco', partitionKey: 'newco#3' });
    const b = quarantinedItem({ tenant: 'newco', reason: 'unmetered_type' });
    quarantine.items = [a, b];

    const report = await redriveQuarantined(deps, { limit: 100 });

    expect(stream.records).toEqual([
      { partitionKey: 'newco#3', data: a.bytes },
      { partitionKey: 'newco', data: b.bytes },
    ]);
    expect(report).toMatchObject({ dryRun: false, matched: 2, redriven: 2, failed: 0 });
    expect(report.entries.map((e) => [e.status, e.redrivenAt, e.record?.sequenceNumber])).toEqual([
      ['redriven', '2026-12-01T09:00:00.000Z', '50000001'],
      ['redriven', '2026-12-01T09:00:00.000Z', '50000002'],
    ]);
    expect(report.entries[0]?.entry).not.toHaveProperty('bytes');
    expect(quarantine.items.map((item) => item.redrivenAt)).toEqual([
      '2026-12-01T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
  });

  it('leaves out entries already re-driven, so a second run puts nothing again', async () => {
    quarantine.items = [quarantinedItem(), quarantinedItem()];
    await redriveQuarantined(deps, { limit: 100 });
    const again = await redriveQuarantined(deps, { limit: 100 });
    expect(again).toMatchObject({ matched: 0, redriven: 0, entries: [] });
    expect(stream.records).toHaveLength(2);
    expect(quarantine.queries.at(-1)).toMatchObject({ excludeRedriven: true });
  });

  it('re-drives entries re-driven before when includeRedriven is set', async () => {
    quarantine.items = [quarantinedItem({ redrivenAt: '2026-11-30T00:00:00.000Z' }), quarantinedItem()];
    const report = await redriveQuarantined(deps, { limit: 100, includeRedriven: true });
    expect(report.redriven).toBe(2);
    expect(quarantine.queries[0]).not.toHaveProperty('excludeRedriven');
  });

  it('filters by tenant and reason and pages the listing up to the limit', async () => {
    quarantine.pageSize = 2;
    quarantine.items = [
      ...Array.from({ length: 3 }, () => quarantinedItem({ tenant: 'globex' })),
      ...Array.from({ length: 5 }, () => quarantinedItem({ tenant: 'newco' })),
      quarantinedItem({ tenant: 'newco', reason: 'invalid_json' }),
    ];
    const report = await redriveQuarantined(deps, { tenant: 'newco', reason: 'unknown_tenant', limit: 4 });
    expect(report.matched).toBe(4);
    expect(
      report.entries.every((e) => e.entry.tenant === 'newco' && e.entry.reason === 'unknown_tenant'),
    ).toBe(true);
    // pages of 2 from a cursor: the listing is asked for what is still missing
    expect(quarantine.queries.map((q) => [q.tenant, q.reason, q.limit, q.cursor])).toEqual([
      ['newco', 'unknown_tenant', 4, undefined],
      ['newco', 'unknown_tenant', 2, expect.any(String)],
    ]);
  });

  it('puts nothing and marks nothing in a dry run', async () => {
    quarantine.items = [quarantinedItem(), quarantinedItem()];
    const report = await redriveQuarantined(deps, { limit: 100, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, matched: 2, redriven: 0, failed: 0 });
    expect(report.entries.map((e) => e.status)).toEqual(['would_redrive', 'would_redrive']);
    expect(stream.calls).toEqual([]);
    expect(quarantine.items.every((item) => item.redrivenAt === undefined)).toBe(true);
  });

  it('reads large entries from the blob store, and fails only the entries whose bytes are gone', async () => {
    const large = quarantinedItem({ blobKey: 'quarantine/newco/large' });
    const { bytes: inline, ...largeWithoutBytes } = large;
    blobs.blobs.set('quarantine/newco/large', inline!);
    const gone = quarantinedItem({ blobKey: 'quarantine/newco/gone' });
    const { bytes: _gone, ...goneWithoutBytes } = gone;
    const ok = quarantinedItem();
    quarantine.items = [largeWithoutBytes, goneWithoutBytes, ok];

    const report = await redriveQuarantined(deps, { limit: 100 });

    expect(report.entries.map((e) => [e.status, e.error?.code])).toEqual([
      ['redriven', undefined],
      ['failed', 'bytes_missing'],
      ['redriven', undefined],
    ]);
    expect(stream.records.map((r) => r.data)).toEqual([inline, ok.bytes]);
    expect(quarantine.items[1]?.redrivenAt).toBeUndefined();
  });

  it('reports a failing blob store per entry', async () => {
    const { bytes: _b, ...entry } = quarantinedItem({ blobKey: 'quarantine/acme/x' });
    quarantine.items = [entry];
    blobs.failure = new Error('AccessDenied');
    const report = await redriveQuarantined(deps, { limit: 10 });
    expect(report.entries[0]).toMatchObject({ status: 'failed', error: { code: 'bytes_unreadable' } });
    expect(report.entries[0]?.error?.message).toContain('AccessDenied');
  });

  it('does not put bytes larger than a Kinesis record holds', async () => {
    quarantine.items = [quarantinedItem({ bytes: new Uint8Array(MAX_RECORD_BYTES) })];
    const report = await redriveQuarantined(deps, { limit: 10 });
    expect(report.entries[0]).toMatchObject({ status: 'failed', error: { code: 'too_large' } });
    expect(stream.calls).toEqual([]);
  });

  it('leaves an entry the stream refused unmarked, so a later re-drive picks it up', async () => {
    quarantine.items = [quarantinedItem({ partitionKey: 'hot' }), quarantinedItem()];
    stream.refuse = (record) =>
      record.partitionKey === 'hot' ? 'ProvisionedThroughputExceededException' : undefined;
    const report = await redriveQuarantined(deps, { limit: 10 });
    expect(report).toMatchObject({ redriven: 1, failed: 1 });
    expect(report.entries[0]).toMatchObject({
      status: 'failed',
      error: {
        code: 'put_failed',
        message: expect.stringContaining('ProvisionedThroughputExceededException'),
      },
    });
    expect(quarantine.items.map((item) => item.redrivenAt === undefined)).toEqual([true, false]);
  });

  it('counts an entry whose mark failed as re-driven but unmarked', async () => {
    quarantine.items = [quarantinedItem()];
    quarantine.markFailure = new Error('throttled');
    const report = await redriveQuarantined(deps, { limit: 10 });
    expect(report).toMatchObject({ redriven: 1, failed: 0 });
    expect(report.entries[0]).toMatchObject({
      status: 'redriven_unmarked',
      record: { shardId: 'shardId-000000000001' },
      error: { code: 'mark_failed' },
    });
    expect(report.entries[0]).not.toHaveProperty('redrivenAt');
  });

  it('puts many entries in chunks, in listing order', async () => {
    quarantine.items = Array.from({ length: 120 }, () => quarantinedItem());
    const report = await redriveQuarantined(deps, { limit: 500 });
    expect(report.redriven).toBe(120);
    expect(stream.calls).toEqual([50, 50, 20]);
    expect(stream.records.map((r) => r.data)).toEqual(quarantine.items.map((item) => item.bytes));
  });
});

describe('parseRedriveInput', () => {
  it('defaults to 100 entries of every tenant and reason', () => {
    expect(parseRedriveInput(undefined)).toEqual({ ok: true, value: { limit: 100 } });
    expect(
      parseRedriveInput({ tenant: 'newco', reason: 'unknown_tenant', limit: 500, dryRun: true }),
    ).toEqual({ ok: true, value: { tenant: 'newco', reason: 'unknown_tenant', limit: 500, dryRun: true } });
  });

  it('names every bad property', () => {
    const result = parseRedriveInput({
      tenant: 'no spaces',
      reason: 'unknown',
      limit: 501,
      dryRun: 'yes',
      includeRedriven: 1,
      tennant: 'x',
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual([
      'tennant',
      'tenant',
      'reason',
      'limit',
      'dryRun',
      'includeRedriven',
    ]);
  });

  it.each([0, 1.5, '10', null])('refuses limit %j', (limit) => {
    expect(parseRedriveInput({ limit })).toMatchObject({ ok: false, issues: [{ path: 'limit' }] });
  });

  it('refuses a body that is not an object', () => {
    expect(parseRedriveInput([])).toMatchObject({ ok: false, issues: [{ path: 'body' }] });
  });
});
