import { describe, expect, it } from 'vitest';
import {
  createReplayHandler,
  isReplayEvent,
  parseReplayEvent,
  ReplayRequestError,
  routeConsumerEvent,
} from '../../../functions/ingest-consumer/replay.js';
import type { MeterBatchOptions } from '../../../shared/metering/meter-batch.js';
import type { StreamRange } from '../../../shared/metering/ports.js';
import type { StreamRecord } from '../../../shared/metering/prepare-batch.js';
import {
  kinesisEvent,
  kinesisRecord,
  makeEvent,
  nextSequenceNumber,
  onFailureRecord,
  SHARD_ID,
} from '../../factories/events.js';

const STREAM = 'tollgate-usage'; // the stream of the factories' STREAM_ARN

function streamOf(count: number): StreamRecord[] {
  return Array.from({ length: count }, () => ({
    shardId: SHARD_ID,
    sequenceNumber: nextSequenceNumber(),
    partitionKey: 'acme',
    data: new Uint8Array(),
    arrivalMs: 0,
  }));
}

function handlerOver(records: readonly StreamRecord[]) {
  const metered: Array<{ sequenceNumbers: string[]; options: MeterBatchOptions }> = [];
  const logged: Array<Record<string, unknown>> = [];
  const handler = createReplayHandler({
    streamName: STREAM,
    reader: {
      read: async (range: StreamRange) =>
        records.filter((r) => BigInt(r.sequenceNumber) >= BigInt(range.startSequenceNumber)),
    },
    meter: async (batch, options) => {
      metered.push({ sequenceNumbers: batch.map((r) => r.sequenceNumber), options });
      return {
        failedSequenceNumbers: [],
        stats: {
          records: batch.length,
          events: batch.length,
          counted: batch.length,
          redelivered: 0,
          duplicates: 0,
          quarantined: {},
          claims: batch.length,
          counterWrites: 1,
          conflicts: 0,
          thresholdsPublished: 0,
          countersAhead: 0,
        },
        errors: [],
      };
    },
    logger: { info: (_message, details) => void logged.push(details) },
  });
  return { handler, metered, logged };
}

describe('the consumer replay edge', () => {
  const records = streamOf(4);
  const range = {
    shardId: SHARD_ID,
    startSequenceNumber: records[1]!.sequenceNumber,
    endSequenceNumber: records[2]!.sequenceNumber,
  };

  it('replays the ranges of a manual { replay: [...] } event', async () => {
    const { handler, metered, logged } = handlerOver(records);
    const response = await handler({ replay: [range] });
    expect(metered.map((m) => m.sequenceNumbers)).toEqual([
      [records[1]!.sequenceNumber, records[2]!.sequenceNumber],
    ]);
    expect(response).toMatchObject({
      completed: true,
      exact: true,
      ranges: [{ status: 'replayed', range, report: { records: 2, counted: 2 } }],
    });
    expect(logged).toHaveLength(1);
  });

  it('replays the range of an on-failure record taken from the dead-letter queue', async () => {
    const { handler, metered } = handlerOver(records);
    const response = await handler(onFailureRecord(range));
    expect(metered).toHaveLength(1);
    expect(response.ranges[0]).toMatchObject({ status: 'replayed', range });
  });

  it('answers a range the stream no longer holds as failed with range_expired, and the rest still runs', async () => {
    const { handler } = handlerOver(records.slice(2));
    const later = {
      shardId: SHARD_ID,
      startSequenceNumber: records[2]!.sequenceNumber,
      endSequenceNumber: records[3]!.sequenceNumber,
    };
    const response = await handler({ replay: [range, later] });
    expect(response.completed).toBe(false);
    expect(response.ranges.map((r) => r.status)).toEqual(['failed', 'replayed']);
    expect(response.ranges[0]).toMatchObject({ error: { code: 'range_expired' } });
  });

  it('refuses an on-failure record of another stream', async () => {
    const { handler, metered } = handlerOver(records);
    await expect(
      handler(
        onFailureRecord({ ...range, streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/other' }),
      ),
    ).rejects.toThrow(/not this consumer's stream/);
    expect(metered).toEqual([]);
  });

  it('names the field of a malformed replay event', () => {
    expect(() => parseReplayEvent({ replay: [{ ...range, endSequenceNumber: 'latest' }] })).toThrow(
      /replay\.0\.endSequenceNumber/,
    );
    expect(() => parseReplayEvent({ replay: [] })).toThrow(ReplayRequestError);
    expect(() => parseReplayEvent({ KinesisBatchInfo: { shardId: SHARD_ID } })).toThrow(
      /KinesisBatchInfo\.startSequenceNumber/,
    );
  });

  it('routes Kinesis events to the consumer and replay events to the replay handler', async () => {
    const seen: string[] = [];
    const route = routeConsumerEvent(
      async () => {
        seen.push('consume');
        return { batchItemFailures: [] };
      },
      async () => {
        seen.push('replay');
        return { completed: true, exact: true, ranges: [] };
      },
    );
    await route(kinesisEvent([kinesisRecord([makeEvent()])]));
    await route({ replay: [range] });
    await route(onFailureRecord(range));
    expect(seen).toEqual(['consume', 'replay', 'replay']);
    expect(isReplayEvent(kinesisEvent([]))).toBe(false);
  });
});
