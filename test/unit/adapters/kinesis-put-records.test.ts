import { KinesisClient, PutRecordsCommand, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KinesisStreamWriter } from '../../../functions/adapters/kinesis/kinesis-stream-writer.js';
import { putRecordsWithRetry } from '../../../functions/adapters/kinesis/put-records.js';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: `t${i}`, data: Buffer.from(`{"n":${i}}`) }));
const landed = (n: number) => ({ SequenceNumber: String(n), ShardId: 'shardId-000000000001' });
const throttled = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' };
const noSleep = async () => {};

beforeEach(() => kinesis.reset());

describe('putRecordsWithRetry', () => {
  it('gives every record its outcome in input order, a refused one after its retry', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 1, Records: [landed(1), throttled, landed(3)] })
      .resolvesOnce({ FailedRecordCount: 0, Records: [landed(4)] });
    const result = await putRecordsWithRetry(client, records(3), { stream: 's', sleep: noSleep });
    expect(result.outcomes).toEqual([
      { ok: true, shardId: 'shardId-000000000001', sequenceNumber: '1' },
      { ok: true, shardId: 'shardId-000000000001', sequenceNumber: '4' },
      { ok: true, shardId: 'shardId-000000000001', sequenceNumber: '3' },
    ]);
    expect(result).toMatchObject({ requests: 2, retried: 1 });
    expect(result.aborted).toBeUndefined();
  });

  it('keeps the outcomes of earlier requests when a later one fails as a whole', async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFakeOnce((input: { Records: unknown[] }) => ({
        FailedRecordCount: 0,
        Records: input.Records.map((_, i) => landed(i)),
      }))
      .rejects(new ResourceNotFoundException({ message: 'Stream s not found', $metadata: {} }));
    const result = await putRecordsWithRetry(client, records(1_001), { stream: 's', sleep: noSleep });
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2); // nothing after the failure
    expect(result.outcomes.slice(0, 500).every((o) => o.ok)).toBe(true);
    expect(result.outcomes.slice(500)).toHaveLength(501);
    expect(
      result.outcomes.slice(500).every((o) => !o.ok && o.errorCode === 'ResourceNotFoundException'),
    ).toBe(true);
    expect(result.aborted).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('KinesisStreamWriter', () => {
  it('reports a record still refused after its attempts, and sends nothing for no records', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 1, Records: [throttled] });
    const writer = new KinesisStreamWriter(client, { stream: 's', maxAttempts: 2, sleep: noSleep });
    expect(await writer.putRecords(records(1))).toEqual([
      { ok: false, errorCode: 'ProvisionedThroughputExceededException', message: 'slow down' },
    ]);
    expect(await writer.putRecords([])).toEqual([]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(2);
  });
});
