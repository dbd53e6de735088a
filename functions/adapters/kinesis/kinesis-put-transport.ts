/**
 * One PutRecords request to Kinesis (or the local emulator): the `PutRecordsTransport` the
 * SDK's `UsageClient` and `putWithRetry` retry over. A per-record refusal comes back as that
 * record's outcome; a request that fails as a whole throws the SDK's error.
 */
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { RecordToWrite, RecordWriteOutcome } from '../../../shared/ingest/stream-writer.js';
import type { PutRecordsTransport } from '../../../shared/sdk/put-with-retry.js';

export class KinesisPutTransport implements PutRecordsTransport {
  private readonly target: { StreamARN: string } | { StreamName: string };

  /** `stream`: a stream name or ARN. */
  constructor(
    private readonly client: KinesisClient,
    stream: string,
  ) {
    this.target = stream.startsWith('arn:') ? { StreamARN: stream } : { StreamName: stream };
  }

  async putRecords(records: readonly RecordToWrite[]): Promise<RecordWriteOutcome[]> {
    const result = await this.client.send(
      new PutRecordsCommand({
        ...this.target,
        Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    const entries = result.Records ?? [];
    const allTaken = (result.FailedRecordCount ?? 0) === 0 && entries.length === records.length;
    return records.map((_, i): RecordWriteOutcome => {
      const entry = entries[i];
      if (
        entry !== undefined &&
        entry.ErrorCode === undefined &&
        (entry.SequenceNumber !== undefined || allTaken)
      ) {
        return { ok: true, shardId: entry.ShardId ?? '', sequenceNumber: entry.SequenceNumber ?? '' };
      }
      return {
        ok: false,
        errorCode: entry?.ErrorCode ?? 'MissingResult',
        message: entry?.ErrorMessage ?? 'the service returned no result for this record',
      };
    });
  }
}
