import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { type MeterBatchDeps, type MeterBatchResult, meterBatch } from '../../shared/metering/meter-batch.js';
import type { StreamRecord } from '../../shared/metering/prepare-batch.js';

/** Receives each batch's outcome: logs and metrics on AWS, the console locally. */
export interface ConsumerObserver {
  batchMetered(result: MeterBatchResult): void;
}

/** The shard id of a Kinesis event source record (`eventID` is `shardId-…:sequenceNumber`). */
export function shardIdOf(eventId: string): string {
  const colon = eventId.indexOf(':');
  return colon === -1 ? eventId : eventId.slice(0, colon);
}

export function toStreamRecords(event: KinesisStreamEvent): StreamRecord[] {
  return event.Records.map((record) => ({
    shardId: shardIdOf(record.eventID),
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  }));
}

/**
 * The consumer's whole job, for the AWS handler and the local runtime alike: meter the batch,
 * report what must be retried (`ReportBatchItemFailures`).
 */
export function createConsumer(deps: MeterBatchDeps, observer: ConsumerObserver) {
  return async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const result = await meterBatch(toStreamRecords(event), deps);
    observer.batchMetered(result);
    return { batchItemFailures: result.failedSequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
