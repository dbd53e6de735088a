/**
 * PutRecords to a Kinesis stream with the SDK's retry rules (shared/sdk/put-with-retry.ts):
 * within the service limits, retrying only the records the service refused, with exponential
 * backoff and jitter; a permanent failure of a whole request stops the run.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { RecordToWrite } from '../../../shared/ingest/stream-writer.js';
import { type PutResult, putWithRetry, type RetryOptions } from '../../../shared/sdk/put-with-retry.js';
import { KinesisPutTransport } from './kinesis-put-transport.js';

export interface PutRecordsOptions extends RetryOptions {
  /** Stream name, or ARN. */
  readonly stream: string;
}

export type PutRecordsResult = PutResult;

export function putRecordsWithRetry(
  client: KinesisClient,
  records: readonly RecordToWrite[],
  options: PutRecordsOptions,
): Promise<PutRecordsResult> {
  return putWithRetry(new KinesisPutTransport(client, options.stream), records, options);
}
