import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KinesisStreamRangeReader } from '../../../functions/adapters/kinesis/kinesis-stream-range-reader.js';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const SHARD = 'shardId-000000000003';
const ARRIVAL = new Date('2026-11-29T21:05:05.123Z');

const kinesisRecord = (sequenceNumber: string): _Record => ({
  SequenceNumber: sequenceNumber,
  PartitionKey: 'acme#1',
  Data: new TextEncoder().encode(`record ${sequenceNumber}`),
  ApproximateArrivalTimestamp: ARRIVAL,
});

function reader(sleeps: number[] = []) {
  return new KinesisStreamRangeReader(client, {
    stream: 'usage',
    sleep: async (ms) => void sleeps.push(ms),
  });
}

const range = (start: string, end: string) => ({
  shardId: SHARD,
  startSequenceNumber: start,
  endSequenceNumber: end,
});

beforeEach(() => {
  kinesis.reset();
  kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
});

describe('KinesisStreamRangeReader', () => {
  it('starts at the first sequence number and pages until a record past the last one', async () => {
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolves({
        Records: [kinesisRecord('8'), kinesisRecord('9')],
        NextShardIterator: 'it-1',
        MillisBehindLatest: 5,
      })
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [], NextShardIterator: 'it-2', MillisBehindLatest: 5 })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [kinesisRecord('10'), kinesisRecord('12')], NextShardIterator: 'it-3' });
    const records = await reader().read(range('8', '11'));
    expect(records.map((r) => r.sequenceNumber)).toEqual(['8', '9', '10']);
    expect(records[0]).toEqual({
      shardId: SHARD,
      sequenceNumber: '8',
      partitionKey: 'acme#1',
      data: new TextEncoder().encode('record 8'),
      arrivalMs: ARRIVAL.getTime(),
    });
    expect(kinesis.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({
      StreamName: 'usage',
      ShardId: SHARD,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: '8',
    });
    expect(kinesis.commandCalls(GetRecordsCommand)).toHaveLength(3);
  });

  it('stops at the end of a closed shard and at the tip of an open one', async () => {
    kinesis.on(GetRecordsCommand).resolvesOnce({ Records: [kinesisRecord('8')] }); // no NextShardIterator
    expect((await reader().read(range('8', '20'))).map((r) => r.sequenceNumber)).toEqual(['8']);
    kinesis.reset();
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesis
      .on(GetRecordsCommand)
      .resolvesOnce({ Records: [kinesisRecord('8')], NextShardIterator: 'it-1', MillisBehindLatest: 0 })
      .resolvesOnce({ Records: [], NextShardIterator: 'it-2', MillisBehindLatest: 0 });
    expect((await reader().read(range('8', '20'))).map((r) => r.sequenceNumber)).toEqual(['8']);
    expect(kinesis.commandCalls(GetRecordsCommand)).toHaveLength(2);
  });

  it('backs off and retries when reads exceed the shard throughput', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    kinesis
      .on(GetRecordsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolvesOnce({ Records: [kinesisRecord('8')], NextShardIterator: 'it-1' });
    const sleeps: number[] = [];
    expect(await reader(sleeps).read(range('8', '8'))).toHaveLength(1);
    expect(sleeps).toEqual([200, 400]);
  });

  it('continues after the last record read when its iterator expires', async () => {
    kinesis
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolvesOnce({ Records: [kinesisRecord('8')], NextShardIterator: 'it-1', MillisBehindLatest: 9 })
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .rejects(new ExpiredIteratorException({ message: 'expired', $metadata: {} }))
      .on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' })
      .resolves({ ShardIterator: 'it-9' })
      .on(GetRecordsCommand, { ShardIterator: 'it-9' })
      .resolves({ Records: [kinesisRecord('9')] });
    expect((await reader().read(range('8', '9'))).map((r) => r.sequenceNumber)).toEqual(['8', '9']);
    expect(kinesis.commandCalls(GetShardIteratorCommand).at(-1)?.args[0].input).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: '8',
    });
  });

  it('reads a shard the stream no longer lists as empty, and a missing stream as an error', async () => {
    const notFound = new ResourceNotFoundException({ message: `Shard ${SHARD} not found`, $metadata: {} });
    kinesis.on(GetShardIteratorCommand).rejects(notFound);
    kinesis.on(ListShardsCommand).resolves({ Shards: [{ ShardId: 'shardId-000000000004' } as never] });
    expect(await reader().read(range('8', '9'))).toEqual([]);

    kinesis
      .on(ListShardsCommand)
      .rejects(new ResourceNotFoundException({ message: 'Stream usage not found', $metadata: {} }));
    await expect(reader().read(range('8', '9'))).rejects.toThrow(/Stream usage not found/);
  });
});
