import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type {
  RecordToWrite,
  RecordWriteOutcome,
  StreamWriter,
} from '../../../shared/ingest/stream-writer.js';
import { type PutRecordsOptions, putRecordsWithRetry } from './put-records.js';

/** The usage-event stream on Kinesis (or the local emulator), through `putRecordsWithRetry`. */
export class KinesisStreamWriter implements StreamWriter {
  constructor(
    private readonly client: KinesisClient,
    private readonly options: PutRecordsOptions,
  ) {}

  async putRecords(records: readonly RecordToWrite[]): Promise<RecordWriteOutcome[]> {
    if (records.length === 0) return [];
    return (await putRecordsWithRetry(this.client, records, this.options)).outcomes;
  }
}
