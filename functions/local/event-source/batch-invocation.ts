/**
 * One invocation of the consumer, as the Lambda Kinesis event source mapping makes it: the
 * records become a Lambda-shaped `KinesisStreamEvent`, and the handler's result is read with the
 * partial-batch-response rules:
 *
 * - a thrown error or a rejected promise: the whole batch failed;
 * - with `reportBatchItemFailures` off, anything returned: success;
 * - with it on: `undefined`/`null`, `{}` or an empty or null `batchItemFailures`: success; every
 *   `itemIdentifier` a sequence number of the batch: partial failure, retried from the lowest
 *   one; an empty, null or unknown `itemIdentifier`, or a response that is not an object: the
 *   whole batch failed.
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

// biome-ignore lint/suspicious/noConfusingVoidType: the Lambda handler contract allows returning nothing.
export type KinesisBatchHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;

export interface EventSourceIdentity {
  readonly eventSourceArn: string;
  readonly awsRegion: string;
  readonly invokeIdentityArn: string;
}

export type InvocationOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly firstFailedIndex: number }
  | { readonly kind: 'failure'; readonly reason: string };

/**
 * Lambda's limit on a synchronous invocation's payload (6 MB = 6,291,456 bytes): the event source
 * mapping cuts a batch before the next record would push the event JSON past it.
 */
export const INVOCATION_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Bytes of `{"Records":[]}`: an event's JSON is this, its records' JSON, and a comma between two. */
export const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

export function toKinesisStreamEvent(
  shardId: string,
  records: readonly _Record[],
  identity: EventSourceIdentity,
): KinesisStreamEvent {
  return { Records: records.map((record) => toKinesisStreamRecord(shardId, record, identity)) };
}

/** Bytes of one record's JSON in the event (base64 data and its metadata). */
export function eventRecordBytes(shardId: string, record: _Record, identity: EventSourceIdentity): number {
  return Buffer.byteLength(JSON.stringify(toKinesisStreamRecord(shardId, record, identity)));
}

function toKinesisStreamRecord(
  shardId: string,
  record: _Record,
  identity: EventSourceIdentity,
): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey!,
      sequenceNumber: record.SequenceNumber!,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: identity.invokeIdentityArn,
    awsRegion: identity.awsRegion,
    eventSourceARN: identity.eventSourceArn,
  };
}

export async function invokeBatch(
  handler: KinesisBatchHandler,
  shardId: string,
  records: readonly _Record[],
  identity: EventSourceIdentity,
  reportBatchItemFailures: boolean,
): Promise<InvocationOutcome> {
  let response: unknown;
  try {
    response = await handler(toKinesisStreamEvent(shardId, records, identity));
  } catch (error) {
    return {
      kind: 'failure',
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
  return reportBatchItemFailures ? readBatchResponse(response, records) : { kind: 'success' };
}

function readBatchResponse(response: unknown, records: readonly _Record[]): InvocationOutcome {
  if (response === undefined || response === null) {
    return { kind: 'success' };
  }
  if (typeof response !== 'object') {
    return { kind: 'failure', reason: `the handler returned a ${typeof response}, not a batch response` };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) {
    return { kind: 'success' };
  }
  if (!Array.isArray(failures)) {
    return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  }
  let firstFailedIndex = records.length;
  for (const failure of failures as unknown[]) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index =
      typeof identifier === 'string' && identifier !== ''
        ? records.findIndex((record) => record.SequenceNumber === identifier)
        : -1;
    if (index === -1) {
      return { kind: 'failure', reason: `itemIdentifier ${JSON.stringify(identifier)} is not in the batch` };
    }
    firstFailedIndex = Math.min(firstFailedIndex, index);
  }
  return { kind: 'partial', firstFailedIndex };
}
