/**
 * PutRecords within the service limits, retrying only the records the service refused. One
 * request carries at most 500 records and 5 MiB (data plus partition keys); a refused record
 * (`FailedRecordCount`, a per-record `ErrorCode` such as throughput exceeded) is sent again,
 * alone with the others refused, after an exponential backoff. A request that fails as a whole
 * (after the SDK's own retries) stops the run: its records and every later one are reported
 * failed with the error's name, and `aborted` says why.
 */
import { type KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { RecordToWrite, RecordWriteOutcome } from '../../../shared/ingest/stream-writer.js';

export const MAX_RECORDS_PER_REQUEST = 500;
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

/** Bytes a record counts against the limits: its data and its partition key. */
export function recordSize(record: RecordToWrite): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/** Splits records into PutRecords requests of at most 500 records and 5 MiB, in order. */
export function batchRecords<T extends RecordToWrite>(records: readonly T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = recordSize(record);
    if (batch.length === MAX_RECORDS_PER_REQUEST || (batch.length > 0 && size + bytes > MAX_REQUEST_BYTES)) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(record);
    size += bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export interface PutRecordsOptions {
  /** Stream name, or ARN. */
  readonly stream: string;
  /** Attempts per record, including the first (default 8). */
  readonly maxAttempts?: number;
  /** First backoff delay (default 100 ms); doubles per attempt up to `maxDelayMs` (default 5 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PutRecordsResult {
  /** One per input record, in order. */
  readonly outcomes: RecordWriteOutcome[];
  readonly requests: number;
  /** Record puts retried after the service refused them. */
  readonly retried: number;
  /** The error of a request that failed as a whole; no request was sent after it. */
  readonly aborted?: { readonly name: string; readonly message: string; readonly cause: unknown };
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function putRecordsWithRetry(
  client: KinesisClient,
  records: readonly RecordToWrite[],
  options: PutRecordsOptions,
): Promise<PutRecordsResult> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const sleep = options.sleep ?? sleepMs;
  const target = options.stream.startsWith('arn:')
    ? { StreamARN: options.stream }
    : { StreamName: options.stream };
  const outcomes: Array<RecordWriteOutcome | undefined> = records.map(() => undefined);
  let requests = 0;
  let retried = 0;
  let aborted: PutRecordsResult['aborted'];
  const indexed = records.map((record, index) => ({ ...record, index }));
  for (const batch of batchRecords(indexed)) {
    let pending = batch;
    for (let attempt = 0; pending.length > 0 && attempt < maxAttempts; attempt += 1) {
      if (attempt > 0) {
        retried += pending.length;
        await sleep(Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)));
      }
      requests += 1;
      let result: PutRecordsCommandOutput;
      try {
        result = await client.send(
          new PutRecordsCommand({
            ...target,
            Records: pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
          }),
        );
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        aborted = { name, message, cause: error };
        for (const record of pending) outcomes[record.index] = { ok: false, errorCode: name, message };
        break;
      }
      const entries = result.Records ?? [];
      const allTaken = (result.FailedRecordCount ?? 0) === 0;
      const next: typeof pending = [];
      pending.forEach((record, i) => {
        const entry = entries[i];
        if (entry?.ErrorCode === undefined && (entry !== undefined || allTaken)) {
          outcomes[record.index] = {
            ok: true,
            shardId: entry?.ShardId ?? '',
            sequenceNumber: entry?.SequenceNumber ?? '',
          };
        } else {
          next.push(record);
          outcomes[record.index] = {
            ok: false,
            errorCode: entry?.ErrorCode ?? 'MissingResult',
            message: entry?.ErrorMessage ?? 'the service returned no result for this record',
          };
        }
      });
      pending = next;
    }
    if (aborted !== undefined) break;
  }
  return {
    outcomes: outcomes.map(
      (outcome) =>
        outcome ??
        (aborted === undefined
          ? { ok: false, errorCode: 'NotSent', message: 'not sent' }
          : { ok: false, errorCode: aborted.name, message: aborted.message }),
    ),
    requests,
    retried,
    ...(aborted === undefined ? {} : { aborted }),
  };
}
