/**
 * Puts records on a Kinesis stream with PutRecords, retrying only the records the service
 * refused (`FailedRecordCount`, per-record `ErrorCode`, e.g. throughput exceeded) with
 * exponential backoff. A request that fails as a whole (after the SDK's own retries) stops the run.
 */
import { type KinesisClient, PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { CliError } from './cli-error.js';
import { batchRecords, type PackedRecord } from './record-packing.js';

export interface PutOptions {
  /** Stream name, or ARN. */
  readonly stream: string;
  /** Attempts per record, including the first (default 8). */
  readonly maxAttempts?: number;
  /** First backoff delay (default 100 ms); doubles per attempt up to `maxDelayMs` (default 5 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface PutReport {
  readonly records: number;
  readonly events: number;
  readonly requests: number;
  /** Record puts retried after the service refused them. */
  readonly retried: number;
  /** Records still refused after every attempt, and the events in them. */
  readonly failed: number;
  readonly failedEvents: number;
  /** Error code → how many records ended with it. */
  readonly failures: Readonly<Record<string, number>>;
}

export async function putRecordsWithRetry(
  client: KinesisClient,
  records: readonly PackedRecord[],
  options: PutOptions,
): Promise<PutReport> {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelay = options.baseDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 5_000;
  const target = options.stream.startsWith('arn:')
    ? { StreamARN: options.stream }
    : { StreamName: options.stream };
  let requests = 0;
  let retried = 0;
  let failed = 0;
  let failedEvents = 0;
  const failures: Record<string, number> = {};
  for (const batch of batchRecords(records)) {
    let pending: PackedRecord[] = batch;
    let lastCodes: string[] = [];
    for (let attempt = 0; pending.length > 0 && attempt < maxAttempts; attempt += 1) {
      if (attempt > 0) {
        retried += pending.length;
        await options.sleep(Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)));
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
        throw new CliError(
          'unreachable',
          `PutRecords to "${options.stream}" failed: ${name}: ${message}`,
          undefined,
          {
            cause: error,
          },
        );
      }
      if ((result.FailedRecordCount ?? 0) === 0) {
        pending = [];
        break;
      }
      const entries = result.Records ?? [];
      const next: PackedRecord[] = [];
      lastCodes = [];
      pending.forEach((record, index) => {
        const code = entries[index]?.ErrorCode;
        if (code !== undefined) {
          next.push(record);
          lastCodes.push(code);
        }
      });
      pending = next;
    }
    failed += pending.length;
    failedEvents += pending.reduce((sum, r) => sum + r.eventCount, 0);
    for (const code of lastCodes.slice(0, pending.length)) failures[code] = (failures[code] ?? 0) + 1;
  }
  return {
    records: records.length,
    events: records.reduce((sum, r) => sum + r.eventCount, 0),
    requests,
    retried,
    failed,
    failedEvents,
    failures,
  };
}
