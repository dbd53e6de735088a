import {
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KinesisPutTransport } from '../../../functions/adapters/kinesis/kinesis-put-transport.js';
import { decodeRecord } from '../../../shared/ingest/decode-record.js';
import type { RecordToWrite, RecordWriteOutcome } from '../../../shared/ingest/stream-writer.js';
import type { PutRecordsTransport } from '../../../shared/sdk/put-with-retry.js';
import {
  UsageClient,
  UsageClientClosedError,
  type UsageClientOptions,
} from '../../../shared/sdk/usage-client.js';
import { InvalidUsageEventError, type PreparedEvent } from '../../../shared/sdk/usage-event-input.js';

const NOW = Date.parse('2026-12-02T10:00:00.000Z');
const noSleep = async () => {};

/** Every event the records carry, decoded by the consumer's own decoder. */
function eventsIn(records: readonly RecordToWrite[]): Array<Record<string, unknown>> {
  return records.flatMap((record) =>
    decodeRecord(record.data, record.partitionKey).flatMap((user) =>
      user.outcome.kind === 'events' ? user.outcome.items.map((i) => i.raw as Record<string, unknown>) : [],
    ),
  );
}

/** A stream in memory; `respond` decides each request's fate. */
class FakeTransport implements PutRecordsTransport {
  readonly requests: RecordToWrite[][] = [];
  readonly stored: RecordToWrite[] = [];
  inFlight = 0;
  maxInFlight = 0;
  respond: (
    records: readonly RecordToWrite[],
    call: number,
  ) => Promise<RecordWriteOutcome[]> | RecordWriteOutcome[] = (records) =>
    records.map((_, i) => ({ ok: true, shardId: 'shardId-0', sequenceNumber: String(i) }));

  async putRecords(records: readonly RecordToWrite[]): Promise<RecordWriteOutcome[]> {
    this.requests.push([...records]);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const outcomes = await this.respond(records, this.requests.length);
      records.forEach((record, i) => {
        if (outcomes[i]?.ok === true) this.stored.push(record);
      });
      return outcomes;
    } finally {
      this.inFlight -= 1;
    }
  }
}

const clients: UsageClient[] = [];
function client(transport: PutRecordsTransport, options: Partial<UsageClientOptions> = {}): UsageClient {
  const created = new UsageClient({
    transport,
    now: () => NOW,
    drainOnExit: false,
    retry: { sleep: noSleep },
    context: { subject: 'acme', source: 'chat-api', workspace: 'support' },
    ...options,
  });
  clients.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const completion = (data: Record<string, number | string> = {}) => ({
  type: 'llm.completion',
  data: { model: 'gpt-4o', input_tokens: 1200, output_tokens: 350, ...data },
});

describe('UsageClient: recording', () => {
  it('fills id, time, specversion and the context, and the consumer decodes exactly what was recorded', async () => {
    const transport = new FakeTransport();
    const usage = client(transport);
    const first = await usage.record(completion());
    const second = await usage.record({
      ...completion({ workspace: 'override' }),
      id: 'call-2',
      subject: 'globex',
    });
    await usage.flush();
    expect(first.status).toBe('buffered');
    expect(first.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID
    expect(second.id).toBe('call-2');
    const events = eventsIn(transport.stored);
    expect(events).toEqual([
      {
        specversion: '1.0',
        id: first.id,
        source: 'chat-api',
        type: 'llm.completion',
        subject: 'acme',
        time: '2026-12-02T10:00:00.000Z',
        data: { workspace: 'support', model: 'gpt-4o', input_tokens: 1200, output_tokens: 350 },
      },
      {
        specversion: '1.0',
        id: 'call-2',
        source: 'chat-api',
        type: 'llm.completion',
        subject: 'globex',
        time: '2026-12-02T10:00:00.000Z',
        data: { workspace: 'override', model: 'gpt-4o', input_tokens: 1200, output_tokens: 350 },
      },
    ]);
    // One request, one record per tenant, keyed by the tenant.
    expect(transport.requests.map((r) => r.map((x) => x.partitionKey))).toEqual([['acme', 'globex']]);
  });

  it('gives sortable ids in recording order', async () => {
    const usage = client(new FakeTransport());
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1) ids.push((await usage.record(completion())).id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });

  const invalid: Array<[string, Record<string, unknown>, string, string]> = [
    ['no type', { data: {} }, 'type', 'missing_field'],
    [
      'a number below zero',
      { type: 'llm.completion', data: { input_tokens: -1 } },
      'data.input_tokens',
      'invalid_number',
    ],
    [
      'a non-finite number',
      { type: 'llm.completion', data: { input_tokens: Number.NaN } },
      'data.input_tokens',
      'invalid_number',
    ],
    [
      'a nested object in data',
      { type: 'llm.completion', data: { model: { name: 'x' } } },
      'data.model',
      'invalid_field',
    ],
    ['data that is not an object', { type: 'llm.completion', data: [1] }, 'data', 'invalid_field'],
    ['an id too long', { ...completion(), id: 'x'.repeat(129) }, 'id', 'invalid_field'],
    ['an empty id', { ...completion(), id: '' }, 'id', 'invalid_field'],
    ['a subject with a #', { ...completion(), subject: 'acme#1' }, 'subject', 'invalid_field'],
    ['a time without offset', { ...completion(), time: '2026-12-02T10:00:00' }, 'time', 'invalid_field'],
    ['a time 36 days ago', { ...completion(), time: NOW - 36 * 86_400_000 }, 'time', 'time_out_of_range'],
    [
      'a time 6 minutes ahead',
      { ...completion(), time: new Date(NOW + 6 * 60_000) },
      'time',
      'time_out_of_range',
    ],
    ['an invalid Date', { ...completion(), time: new Date(Number.NaN) }, 'time', 'invalid_field'],
    ['a source too long', { ...completion(), source: 's'.repeat(257) }, 'source', 'invalid_field'],
    ['a wrong specversion', { ...completion(), specversion: '0.3' }, 'specversion', 'invalid_field'],
  ];

  it.each(invalid)('refuses %s before buffering, naming the field', (_name, event, field, reason) => {
    const transport = new FakeTransport();
    const usage = client(transport);
    let error: unknown;
    try {
      void usage.record(event as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidUsageEventError);
    expect(error).toMatchObject({ field, reason });
    expect((error as Error).message.startsWith(field)).toBe(true);
    expect(usage.stats().recorded).toBe(0);
  });

  it('needs a subject from the event or the context, and says so', () => {
    const usage = client(new FakeTransport(), { context: {} });
    expect(() => usage.record(completion())).toThrow(/subject: is required \(or set it in the context\)/);
  });

  it('refuses an event larger than a record holds', () => {
    const usage = client(new FakeTransport());
    expect(() => usage.record(completion({ pad: 'x'.repeat(200) }))).not.toThrow();
    const huge = {
      type: 'llm.completion',
      data: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'.repeat(250)])),
    };
    expect(() => usage.record(huge)).toThrow(
      expect.objectContaining({ reason: 'payload_too_large', field: '' }),
    );
  });

  it('refuses events after close, and close drains first', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { lingerMs: 60_000 });
    await usage.record(completion());
    const stats = await usage.close();
    expect(stats).toMatchObject({ recorded: 1, sentEvents: 1, buffered: 0 });
    expect(() => usage.record(completion())).toThrow(UsageClientClosedError);
  });

  it('records one model call per trackUsage with the context, returning the event id', async () => {
    const transport = new FakeTransport();
    const usage = client(transport);
    const agent = usage.withContext({ agent: 'agent-7', project: 'triage' });
    const id = agent.trackUsage({
      provider: 'openai',
      model: 'gpt-4o',
      inputTokens: 1000,
      outputTokens: 50,
      cachedTokens: 200,
      latencyMs: 812.4,
    });
    await usage.flush();
    expect(eventsIn(transport.stored)).toEqual([
      expect.objectContaining({
        id,
        type: 'llm.completion',
        subject: 'acme',
        data: {
          workspace: 'support',
          project: 'triage',
          agent: 'agent-7',
          provider: 'openai',
          model: 'gpt-4o',
          input_tokens: 1000,
          output_tokens: 50,
          cached_tokens: 200,
          latency_ms: 812,
        },
      }),
    ]);
  });
});

describe('UsageClient: flushing', () => {
  it('flushes by count without being asked', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { maxBatchEvents: 3, lingerMs: 60_000 });
    for (let i = 0; i < 7; i += 1) await usage.record(completion());
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.requests.map((r) => eventsIn(r).length)).toEqual([3, 3]);
    await usage.flush();
    expect(transport.requests.map((r) => eventsIn(r).length)).toEqual([3, 3, 1]);
  });

  it('flushes by buffered bytes', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { maxBatchBytes: 1_500, lingerMs: 60_000 });
    const padded = completion({ a: 'x'.repeat(250), b: 'x'.repeat(250), c: 'x'.repeat(250) }); // ~1,000 bytes of JSON
    await usage.record(padded);
    expect(transport.requests).toHaveLength(0);
    await usage.record(padded); // ~2,000 bytes buffered
    await new Promise((resolve) => setImmediate(resolve));
    expect(transport.requests).toHaveLength(1);
  });

  it('flushes by time: an event waits at most lingerMs', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { lingerMs: 20 });
    await usage.record(completion());
    expect(transport.requests).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(eventsIn(transport.stored)).toHaveLength(1);
  });

  it('packs many events per record and gzips large records; bytes are counted', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { lingerMs: 60_000 });
    for (let i = 0; i < 200; i += 1) await usage.record(completion({ agent: `agent-${i % 5}` }));
    await usage.flush();
    expect(transport.stored).toHaveLength(1);
    const [record] = transport.stored;
    expect([record?.data[0], record?.data[1]]).toEqual([0x1f, 0x8b]);
    expect(eventsIn(transport.stored)).toHaveLength(200);
    const stats = usage.stats();
    expect(stats).toMatchObject({
      sentEvents: 200,
      sentRecords: 1,
      requests: 1,
      sentBytes: record?.data.byteLength,
    });
    expect(stats.sentUncompressedBytes).toBeGreaterThan(5 * stats.sentBytes);
  });

  it('can turn gzip off', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { gzipMinBytes: false });
    for (let i = 0; i < 50; i += 1) await usage.record(completion());
    await usage.flush();
    expect(
      Buffer.from(transport.stored[0]?.data ?? [])
        .toString('utf8')
        .startsWith('[{'),
    ).toBe(true);
  });

  it('wraps records in envelopes when asked', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { envelopes: true });
    await usage.record(completion());
    await usage.flush();
    const [decoded] = decodeRecord(transport.stored[0]?.data ?? new Uint8Array(), 'acme');
    expect(decoded?.outcome).toMatchObject({
      kind: 'events',
      envelopeId: expect.stringMatching(/^[0-9A-Z]{26}$/),
    });
  });

  it('spreads a hot tenant over tenant#N partition keys, others keep their own key', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { partitionKeySalt: { acme: 3 } });
    for (let round = 0; round < 4; round += 1) {
      await usage.record(completion());
      await usage.record({ ...completion(), subject: 'globex' });
      await usage.flush();
    }
    expect(transport.stored.map((r) => r.partitionKey)).toEqual([
      'acme#0',
      'globex',
      'acme#1',
      'globex',
      'acme#2',
      'globex',
      'acme#0',
      'globex',
    ]);
  });

  it('keeps at most maxConcurrentRequests PutRecords in flight', async () => {
    const transport = new FakeTransport();
    transport.respond = async (records) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return records.map(() => ({ ok: true, shardId: 's', sequenceNumber: '1' }));
    };
    const usage = client(transport, { maxBatchEvents: 1, maxConcurrentRequests: 2 });
    for (let i = 0; i < 10; i += 1) await usage.record(completion());
    await usage.flush();
    expect(transport.requests).toHaveLength(10);
    expect(transport.maxInFlight).toBe(2);
  });
});

describe('UsageClient: retries and failures', () => {
  it('resends only refused records, the same bytes, until taken; nothing counts as sent before', async () => {
    const transport = new FakeTransport();
    transport.respond = (records, call) =>
      records.map((record, i) =>
        call === 1 && record.partitionKey === 'globex'
          ? { ok: false, errorCode: 'ProvisionedThroughputExceededException', message: 'slow down' }
          : { ok: true, shardId: 's', sequenceNumber: String(i) },
      );
    const retries: number[] = [];
    const sent: number[] = [];
    const usage = client(transport, {
      hooks: { onRetry: (info) => retries.push(info.records), onSent: (info) => sent.push(info.events) },
    });
    await usage.record(completion());
    await usage.record({ ...completion(), subject: 'globex' });
    await usage.flush();
    expect(transport.requests.map((r) => r.map((x) => x.partitionKey))).toEqual([
      ['acme', 'globex'],
      ['globex'],
    ]);
    expect(transport.requests[1]?.[0]?.data).toBe(transport.requests[0]?.[1]?.data);
    expect(retries).toEqual([1]);
    expect(sent).toEqual([2]); // reported once both were taken
    expect(usage.stats()).toMatchObject({ sentEvents: 2, retriedRecords: 1, failedEvents: 0 });
  });

  it('gives events still refused after the last attempt to onFailed, with the code', async () => {
    const transport = new FakeTransport();
    transport.respond = (records) =>
      records.map(() => ({ ok: false, errorCode: 'InternalFailure', message: 'boom' }));
    const failed: Array<[number, string]> = [];
    const usage = client(transport, {
      retry: { maxAttempts: 3, sleep: noSleep },
      hooks: { onFailed: (events, error) => failed.push([events.length, error.code]) },
    });
    await usage.record(completion());
    await usage.record(completion());
    await usage.flush();
    expect(transport.requests).toHaveLength(3);
    expect(failed).toEqual([[2, 'InternalFailure']]);
    expect(usage.stats()).toMatchObject({ sentEvents: 0, failedEvents: 2, buffered: 0 });
  });

  it('retries a request that failed as a whole (a lost response), so the stream may hold it twice', async () => {
    const transport = new FakeTransport();
    let lost = false;
    const inner = transport.respond;
    transport.respond = async (records, call) => {
      const outcomes = await inner(records, call);
      if (call === 1) {
        // Kinesis stored the record, but the answer never arrived.
        for (const record of records) transport.stored.push(record);
        lost = true;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      return outcomes;
    };
    const usage = client(transport);
    const { id } = await usage.record(completion());
    await usage.flush();
    expect(lost).toBe(true);
    // The same event twice on the stream: the consumer's (subject, id) dedup counts it once.
    expect(eventsIn(transport.stored).map((e) => e.id)).toEqual([id, id]);
    expect(usage.stats()).toMatchObject({ sentEvents: 1, retriedRecords: 1, failedEvents: 0 });
  });

  it('backs off exponentially with full jitter', async () => {
    const transport = new FakeTransport();
    transport.respond = (records, call) =>
      records.map(() =>
        call < 4
          ? { ok: false, errorCode: 'ProvisionedThroughputExceededException', message: '' }
          : { ok: true, shardId: 's', sequenceNumber: '1' },
      );
    const delays: number[] = [];
    const usage = client(transport, {
      retry: {
        sleep: async (ms) => void delays.push(ms),
        random: () => 0.5,
        baseDelayMs: 100,
        maxDelayMs: 300,
      },
    });
    await usage.record(completion());
    await usage.flush();
    expect(delays).toEqual([50, 100, 150]); // half of the ceilings 100, 200, min(400, 300)
  });
});

describe('UsageClient: a full buffer', () => {
  /** A transport whose requests wait until released. */
  function stalled() {
    const transport = new FakeTransport();
    const gates: Array<() => void> = [];
    transport.respond = async (records) => {
      await new Promise<void>((resolve) => gates.push(resolve));
      return records.map(() => ({ ok: true, shardId: 's', sequenceNumber: '1' }));
    };
    return {
      transport,
      release: () => {
        for (const open of gates.splice(0)) open();
      },
    };
  }

  it('drops with a counter and a callback under policy drop, never silently', async () => {
    const { transport, release } = stalled();
    const dropped: PreparedEvent[] = [];
    const usage = client(transport, {
      maxBufferedEvents: 2,
      whenFull: 'drop',
      hooks: { onDropped: (event) => dropped.push(event) },
    });
    expect((await usage.record(completion())).status).toBe('buffered');
    expect((await usage.record(completion())).status).toBe('buffered');
    const third = await usage.record(completion());
    expect(third.status).toBe('dropped');
    expect(dropped.map((e) => e.id)).toEqual([third.id]);
    expect(usage.stats()).toMatchObject({ recorded: 2, droppedEvents: 1, buffered: 2 });
    const flushed = usage.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await flushed;
    expect(eventsIn(transport.stored)).toHaveLength(2);
  });

  it('makes the caller wait for room under policy block, then sends everything', async () => {
    const { transport, release } = stalled();
    const usage = client(transport, { maxBufferedEvents: 2, whenFull: 'block' });
    await usage.record(completion());
    await usage.record(completion());
    let admitted = false;
    const third = usage.record(completion()).then((receipt) => {
      admitted = true;
      return receipt;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(admitted).toBe(false);
    expect(usage.stats()).toMatchObject({ blocked: 1, buffered: 2, inFlight: 2 });
    release();
    expect((await third).status).toBe('buffered');
    const flushed = usage.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await flushed;
    expect(eventsIn(transport.stored)).toHaveLength(3);
    expect(usage.stats()).toMatchObject({ sentEvents: 3, droppedEvents: 0, buffered: 0, blocked: 0 });
  });

  it('close drains a full buffer and the callers waiting for room', async () => {
    const transport = new FakeTransport();
    const usage = client(transport, { maxBufferedEvents: 10, lingerMs: 60_000 });
    // 10 fill the buffer, 10 wait for room (the waiting line is bounded by the same 10).
    const receipts = Array.from({ length: 20 }, () => usage.record(completion()));
    const stats = await usage.close();
    expect((await Promise.all(receipts)).map((r) => r.status)).toEqual(Array(20).fill('buffered'));
    expect(eventsIn(transport.stored)).toHaveLength(20);
    expect(stats).toMatchObject({ recorded: 20, sentEvents: 20, buffered: 0, blocked: 0 });
  });
});

describe('UsageClient over Kinesis PutRecords (aws-sdk-client-mock)', () => {
  const kinesis = mockClient(KinesisClient);
  const sdk = new KinesisClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const landed = (n: number) => ({ SequenceNumber: String(n), ShardId: 'shardId-000000000001' });
  const throttled = {
    ErrorCode: 'ProvisionedThroughputExceededException',
    ErrorMessage: 'Rate exceeded for shard',
  };
  beforeEach(() => kinesis.reset());

  it('handles a partial failure: FailedRecordCount 1 of 3, only that record resent', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 1, Records: [landed(1), throttled, landed(3)] })
      .resolvesOnce({ FailedRecordCount: 0, Records: [landed(4)] });
    const usage = client(new KinesisPutTransport(sdk, 'tollgate-usage'));
    for (const subject of ['acme', 'globex', 'initech']) await usage.record({ ...completion(), subject });
    await usage.flush();
    const calls = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    expect(calls.map((input) => input.Records?.map((r) => r.PartitionKey))).toEqual([
      ['acme', 'globex', 'initech'],
      ['globex'],
    ]);
    expect(calls[0]?.StreamName).toBe('tollgate-usage');
    expect(usage.stats()).toMatchObject({ sentEvents: 3, sentRecords: 3, requests: 2, retriedRecords: 1 });
  });

  it('rides out throttling of whole requests', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolvesOnce({ FailedRecordCount: 0, Records: [landed(1)] });
    const usage = client(new KinesisPutTransport(sdk, 'arn:aws:kinesis:us-east-1:123456789012:stream/u'));
    await usage.record(completion());
    await usage.flush();
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamARN).toContain(':stream/u');
    expect(usage.stats()).toMatchObject({ sentEvents: 1, failedEvents: 0, retriedRecords: 2 });
  });

  it('stops at once on a permanent error and reports the events failed', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream u not found', $metadata: {} }));
    const failures: string[] = [];
    const usage = client(new KinesisPutTransport(sdk, 'u'), {
      hooks: { onFailed: (events, error) => failures.push(`${events.length} ${error.code}`) },
    });
    await usage.record(completion());
    await usage.flush();
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
    expect(failures).toEqual(['1 ResourceNotFoundException']);
  });
});

describe('UsageClient options', () => {
  it.each([
    [{ maxBatchEvents: 0 }, /maxBatchEvents must be a positive integer/],
    [{ maxBufferedEvents: 1.5 }, /maxBufferedEvents must be a positive integer/],
    [{ lingerMs: -1 }, /lingerMs must be ≥ 0/],
    [{ whenFull: 'wait' }, /whenFull must be "block" or "drop"/],
    [{ maxConcurrentRequests: 0 }, /maxConcurrentRequests must be a positive integer/],
  ])('refuses %o naming the option', (options, message) => {
    expect(
      () => new UsageClient({ transport: new FakeTransport(), drainOnExit: false, ...(options as object) }),
    ).toThrow(message);
  });
});
