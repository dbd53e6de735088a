import { KinesisClient, PutRecordsCommand, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { putPackedRecords } from '../../../functions/cli/put-records.js';
import type { PackedRecord } from '../../../functions/cli/record-packing.js';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});

function records(n: number): PackedRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    partitionKey: `t${i}`,
    data: Buffer.from(`[${i}]`),
    eventCount: i + 1,
  }));
}

const ok = { SequenceNumber: '1', ShardId: 'shardId-000000000000' };
const throttled = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };

beforeEach(() => kinesis.reset());

describe('putPackedRecords', () => {
  it('retries only the records the service refused, with growing delays', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 2, Records: [ok, throttled, ok, throttled] })
      .resolvesOnce({ FailedRecordCount: 1, Records: [ok, throttled] })
      .resolvesOnce({ FailedRecordCount: 0, Records: [ok] });
    const sleeps: number[] = [];
    const report = await putPackedRecords(client, records(4), {
      stream: 'tollgate-usage-events',
      sleep: async (ms) => void sleeps.push(ms),
    });
    const sent = kinesis
      .commandCalls(PutRecordsCommand)
      .map((call) => call.args[0].input.Records?.map((r) => r.PartitionKey));
    expect(sent).toEqual([['t0', 't1', 't2', 't3'], ['t1', 't3'], ['t3']]);
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe(
      'tollgate-usage-events',
    );
    expect(sleeps).toEqual([100, 200]);
    expect(report).toEqual({
      records: 4,
      events: 10, // 1 + 2 + 3 + 4
      requests: 3,
      retried: 3, // 2 records on the second attempt, 1 on the third
      failed: 0,
      failedEvents: 0,
      failures: {},
    });
  });

  it('gives up after maxAttempts and reports what stayed refused', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 1, Records: [throttled] });
    const sleeps: number[] = [];
    const report = await putPackedRecords(client, records(1), {
      stream: 's',
      maxAttempts: 4,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(report).toMatchObject({
      failed: 1,
      failedEvents: 1,
      failures: { ProvisionedThroughputExceededException: 1 },
    });
  });

  it('addresses a stream given by ARN with StreamARN', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [ok] });
    const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/usage';
    await putPackedRecords(client, records(1), { stream: arn, sleep: async () => {} });
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input).toMatchObject({ StreamARN: arn });
  });

  it('stops with an error naming the stream when a request fails as a whole', async () => {
    kinesis
      .on(PutRecordsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream nope not found', $metadata: {} }));
    await expect(
      putPackedRecords(client, records(1), { stream: 'nope', sleep: async () => {} }),
    ).rejects.toThrow(/PutRecords to "nope" failed: ResourceNotFoundException/);
  });

  it('splits more than 500 records into several requests', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: 0,
      Records: input.Records.map(() => ok),
    }));
    const report = await putPackedRecords(client, records(1_001), { stream: 's', sleep: async () => {} });
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      500, 500, 1,
    ]);
    expect(report.requests).toBe(3);
  });
});
