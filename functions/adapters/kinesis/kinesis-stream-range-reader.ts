/**
 * Reads a range of one shard back from Kinesis (or the emulator): an iterator AT_SEQUENCE_NUMBER
 * of the range's start, then GetRecords pages until a record past its end, the end of a closed
 * shard, or the tip of an open one. Records become `StreamRecord`s exactly as the Lambda edge
 * (`toStreamRecords`) makes them from the event source's event: the same shard id, sequence
 * number, partition key and bytes (a KPL aggregate stays one record), and the arrival time in
 * epoch milliseconds.
 *
 * Throughput errors (GetRecords allows 5 calls per second per shard, shared with the event
 * source mapping) are retried with exponential backoff; an expired iterator is replaced after
 * the last record read. A shard the stream no longer lists (trimmed after a reshard) reads as
 * empty; a stream that does not exist is an error.
 */
import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import type { StreamRange, StreamRangeReader } from '../../../shared/metering/ports.js';
import type { StreamRecord } from '../../../shared/metering/prepare-batch.js';

export interface KinesisStreamRangeReaderOptions {
  /** Stream name, or ARN. */
  readonly stream: string;
  /** Attempts per call on throughput errors, including the first (default 10). */
  readonly maxAttempts?: number;
  /** First backoff delay (default 200 ms); doubles per attempt up to 5 s. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const THROUGHPUT_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
]);
const MAX_DELAY_MS = 5_000;
const PAGE_LIMIT = 10_000;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A record as the consumer receives it through the event source (see `toStreamRecords`). */
export function toStreamRecord(shardId: string, record: _Record): StreamRecord {
  return {
    shardId,
    sequenceNumber: record.SequenceNumber!,
    partitionKey: record.PartitionKey!,
    data: record.Data ?? new Uint8Array(),
    // Lambda sends the arrival in epoch seconds with milliseconds; the edge rounds it back.
    arrivalMs: Math.round(((record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000) * 1000),
  };
}

export class KinesisStreamRangeReader implements StreamRangeReader {
  private readonly target: { StreamARN: string } | { StreamName: string };

  constructor(
    private readonly client: KinesisClient,
    private readonly options: KinesisStreamRangeReaderOptions,
  ) {
    this.target = options.stream.startsWith('arn:')
      ? { StreamARN: options.stream }
      : { StreamName: options.stream };
  }

  async read(range: StreamRange): Promise<StreamRecord[]> {
    const end = BigInt(range.endSequenceNumber);
    let iterator = await this.iterator(range.shardId, {
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      StartingSequenceNumber: range.startSequenceNumber,
    });
    const records: StreamRecord[] = [];
    while (iterator !== undefined) {
      let page: GetRecordsCommandOutput;
      try {
        page = await this.withBackoff(() =>
          this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT })),
        );
      } catch (error) {
        if (!(error instanceof ExpiredIteratorException)) throw error;
        const last = records.at(-1)?.sequenceNumber;
        iterator = await this.iterator(
          range.shardId,
          last === undefined
            ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: range.startSequenceNumber }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last },
        );
        continue;
      }
      const found = page.Records ?? [];
      for (const record of found) {
        const sequence = BigInt(record.SequenceNumber!);
        if (sequence > end) return records;
        records.push(toStreamRecord(range.shardId, record));
        if (sequence === end) return records;
      }
      iterator = page.NextShardIterator ?? undefined;
      // An empty page behind the tip is a gap in the shard's time line; at the tip, nothing more.
      if (found.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
    }
    return records;
  }

  /** An iterator, or undefined when the stream no longer has the shard. */
  private async iterator(
    shardId: string,
    position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber'>,
  ): Promise<string | undefined> {
    try {
      const { ShardIterator } = await this.withBackoff(() =>
        this.client.send(new GetShardIteratorCommand({ ...this.target, ShardId: shardId, ...position })),
      );
      return ShardIterator ?? undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException && !(await this.listsShard(shardId))) return undefined;
      throw error;
    }
  }

  /** Whether the stream lists the shard; throws if the stream itself is not found. */
  private async listsShard(shardId: string): Promise<boolean> {
    let input: ListShardsCommandInput = this.target;
    for (;;) {
      const page = await this.withBackoff(() => this.client.send(new ListShardsCommand(input)));
      if ((page.Shards ?? []).some((shard) => shard.ShardId === shardId)) return true;
      if (page.NextToken === undefined) return false;
      input = { NextToken: page.NextToken };
    }
  }

  private async withBackoff<T>(call: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 10;
    const baseDelay = this.options.baseDelayMs ?? 200;
    const sleep = this.options.sleep ?? sleepMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= maxAttempts || !THROUGHPUT_ERRORS.has((error as Error).name)) throw error;
        await sleep(Math.min(MAX_DELAY_MS, baseDelay * 2 ** (attempt - 1)));
      }
    }
  }
}
