/**
 * `tollgate send`'s report over the shared Kinesis put (functions/adapters/kinesis): records
 * and events sent, retried and refused. A request that fails as a whole stops the run with an
 * error naming the stream.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type PutRecordsOptions, putRecordsWithRetry } from '../adapters/kinesis/put-records.js';
import { CliError } from './cli-error.js';
import type { PackedRecord } from './record-packing.js';

export interface PutOptions extends PutRecordsOptions {
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

export async function putPackedRecords(
  client: KinesisClient,
  records: readonly PackedRecord[],
  options: PutOptions,
): Promise<PutReport> {
  const result = await putRecordsWithRetry(client, records, options);
  if (result.aborted !== undefined) {
    const { name, message, cause } = result.aborted;
    throw new CliError(
      'unreachable',
      `PutRecords to "${options.stream}" failed: ${name}: ${message}`,
      undefined,
      {
        cause,
      },
    );
  }
  let failed = 0;
  let failedEvents = 0;
  const failures: Record<string, number> = {};
  result.outcomes.forEach((outcome, index) => {
    if (outcome.ok) return;
    failed += 1;
    failedEvents += records[index]?.eventCount ?? 0;
    failures[outcome.errorCode] = (failures[outcome.errorCode] ?? 0) + 1;
  });
  return {
    records: records.length,
    events: records.reduce((sum, r) => sum + r.eventCount, 0),
    requests: result.requests,
    retried: result.retried,
    failed,
    failedEvents,
    failures,
  };
}
