import { describe, expect, it } from 'vitest';
import { readAwsConsumerConfig } from '../../../functions/composition/aws-config.js';
import { shardIdOf, toStreamRecords } from '../../../functions/ingest-consumer/consume-kinesis-event.js';
import { ARRIVAL_MS, kinesisEvent, kinesisRecord, makeEvent } from '../../factories/events.js';

describe('the consumer handler edge', () => {
  it('reads shard, sequence, partition key, bytes and arrival time from a Lambda Kinesis record', () => {
    const event = makeEvent();
    const [record] = toStreamRecords(
      kinesisEvent([
        kinesisRecord([event], {
          shardId: 'shardId-000000000007',
          sequenceNumber: '4960',
          partitionKey: 'acme#3',
        }),
      ]),
    );
    expect(record).toMatchObject({
      shardId: 'shardId-000000000007',
      sequenceNumber: '4960',
      partitionKey: 'acme#3',
      arrivalMs: ARRIVAL_MS,
    });
    expect(JSON.parse(new TextDecoder().decode(record!.data))).toEqual([event]);
  });

  it('takes the shard id from the eventID before the colon', () => {
    expect(shardIdOf('shardId-000000000001:49590338271490256608559692538361571095921575989136588801')).toBe(
      'shardId-000000000001',
    );
  });
});

describe('the consumer configuration', () => {
  const valid = {
    TOLLGATE_USAGE_TABLE: 'usage-table',
    TOLLGATE_DEDUP_TABLE: 'dedup-table',
    TOLLGATE_CONFIG_TABLE: 'config-table',
    TOLLGATE_QUARANTINE_TABLE: 'quarantine-table',
    TOLLGATE_QUARANTINE_BUCKET: 'quarantine-bucket',
    TOLLGATE_THRESHOLD_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:thresholds',
    TOLLGATE_STREAM_NAME: 'usage-events',
    AWS_REGION: 'eu-west-1',
  };

  it('applies defaults to optional settings', () => {
    expect(readAwsConsumerConfig(valid)).toMatchObject({
      TOLLGATE_ENVELOPE_DEDUP: 'on',
      TOLLGATE_CONFIG_CACHE_SECONDS: 30,
    });
  });

  it('names the variable that is missing or wrong', () => {
    const { TOLLGATE_DEDUP_TABLE: _, ...missing } = valid;
    expect(() => readAwsConsumerConfig(missing)).toThrow(/TOLLGATE_DEDUP_TABLE/);
    expect(() => readAwsConsumerConfig({ ...valid, TOLLGATE_ENVELOPE_DEDUP: 'maybe' })).toThrow(
      /TOLLGATE_ENVELOPE_DEDUP/,
    );
  });
});
