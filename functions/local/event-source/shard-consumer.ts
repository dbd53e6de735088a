/**
 * Reads one shard in order and delivers it to the handler in batches, one batch at a time, with
 * the retry rules of the Lambda Kinesis event source mapping:
 *
 * - A batch is cut when it holds `batchSize` records, when the next record would push the
 *   invocation payload (the event's JSON) past `maxPayloadBytes` (Lambda's 6 MB), when the
 *   batching window (counted from the first buffered record) has elapsed, or when the shard has
 *   ended (see record-buffer.ts).
 * - Success: checkpoint after the batch's last record.
 * - Partial failure (batchItemFailures): checkpoint just before the lowest failed record and retry
 *   from it; records before it are never delivered again. The retry consumes one retry attempt.
 * - Whole-batch failure (a throw, or an unusable response): with bisect on and more than one
 *   record, split the batch in two and retry each half in order (splitting consumes no retry
 *   attempt, as on AWS); otherwise retry it, consuming one attempt.
 * - When a batch has used `maxRetryAttempts` retries (-1 = unlimited) and fails again, or when
 *   records are older than `maxRecordAgeSeconds` (-1 = unlimited) before an invocation, their
 *   metadata goes to `onFailure` and the shard moves past them.
 *
 * A retry re-sends exactly the failed part of the batch it came from, where AWS would re-read from
 * the checkpoint and possibly fill the retry with newer records too; which records are delivered
 * in which order is the same, only the batch boundaries can differ.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { ShardCheckpoint } from '../checkpoint-store.js';
import {
  type EventSourceIdentity,
  eventRecordBytes,
  type InvocationOutcome,
  invokeBatch,
  type KinesisBatchHandler,
} from './batch-invocation.js';
import { RecordBuffer } from './record-buffer.js';
import type { EventSourceSettings, FailedBatchRecord, FailureCondition, PollerLogger } from './types.js';

export interface ShardConsumerContext {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly handler: KinesisBatchHandler;
  readonly onFailure: ((record: FailedBatchRecord) => Promise<void> | void) | undefined;
  readonly settings: EventSourceSettings;
  readonly identity: EventSourceIdentity;
  readonly saveCheckpoint: (shardId: string, checkpoint: ShardCheckpoint) => Promise<void>;
  readonly pollIntervalMs: number;
  readonly retryBaseDelayMs: number;
  readonly clock: () => number;
  readonly logger: PollerLogger;
  /** Aborted by stop(): ends sleeps and reads at once; invocations in flight still finish. */
  readonly stopSignal: AbortSignal;
  /** Called whenever this consumer's progress changes (drain() re-checks). */
  readonly onProgress: () => void;
}

interface Segment {
  records: readonly _Record[];
  retries: number;
  invocations: number;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
]);
const MAX_BACKOFF_MS = 2_000;

export class ShardConsumer {
  /** performance.now() at the start of the latest read that found the shard caught up. */
  caughtUpAt: number | undefined;
  inFlight = false;
  finished = false;
  private committed: ShardCheckpoint | undefined;

  constructor(
    private readonly context: ShardConsumerContext,
    readonly shardId: string,
    /** Where to start when nothing has been committed: a stored checkpoint or the starting position. */
    private readonly start: ShardCheckpoint | 'TRIM_HORIZON',
  ) {}

  /**
   * Consumes the shard until it has ended (resolves after the end is checkpointed) or the poller
   * stops. Restartable after an unexpected error: it resumes from the last commit.
   */
  async run(): Promise<void> {
    const { settings } = this.context;
    const windowMs = settings.maxBatchingWindowSeconds * 1000;
    const buffer = new RecordBuffer(settings, (record) =>
      eventRecordBytes(this.shardId, record, this.context.identity),
    );
    let lastFetched: string | undefined;
    let windowStartedAt: number | undefined;
    let iterator: string | undefined = await this.acquireIterator(undefined);
    let ended = false;
    let failedReads = 0;
    while (!this.stopped) {
      let fetched = 0;
      if (!ended && !buffer.full) {
        const readStartedAt = performance.now();
        try {
          const result = await this.context.kinesis.send(
            new GetRecordsCommand({
              ShardIterator: iterator,
              Limit: Math.min(10_000, settings.batchSize - buffer.length),
            }),
            { abortSignal: this.context.stopSignal },
          );
          failedReads = 0;
          const records = result.Records ?? [];
          fetched = records.length;
          buffer.push(records);
          lastFetched = records.at(-1)?.SequenceNumber ?? lastFetched;
          iterator = result.NextShardIterator ?? undefined;
          ended = iterator === undefined;
          const caughtUp = fetched === 0 && buffer.length === 0 && (result.MillisBehindLatest ?? 0) === 0;
          this.caughtUpAt = caughtUp ? readStartedAt : undefined;
        } catch (error) {
          if (this.stopped) {
            break;
          }
          failedReads += 1;
          if (error instanceof ExpiredIteratorException) {
            iterator = await this.acquireIterator(lastFetched);
          } else {
            if (!THROTTLING.has((error as Error).name)) {
              this.context.logger.warn('GetRecords failed; retrying', {
                shardId: this.shardId,
                error: String(error),
              });
            }
            await this.sleep(this.backoff(failedReads));
          }
          continue;
        }
      }
      if (buffer.length > 0 && windowStartedAt === undefined) {
        windowStartedAt = performance.now();
      }
      const windowElapsed = windowStartedAt !== undefined && performance.now() - windowStartedAt >= windowMs;
      if (buffer.full || (buffer.length > 0 && (windowElapsed || ended))) {
        const batch = buffer.takeBatch();
        windowStartedAt = buffer.length > 0 ? performance.now() : undefined;
        if (!(await this.deliver(batch))) {
          break;
        }
        continue;
      }
      if (ended) {
        await this.commit({ kind: 'shard-end' });
        this.finished = true;
        this.context.onProgress();
        return;
      }
      this.context.onProgress();
      if (fetched === 0) {
        const windowLeft =
          windowStartedAt === undefined ? Infinity : windowMs - (performance.now() - windowStartedAt);
        await this.sleep(Math.max(0, Math.min(this.context.pollIntervalMs, windowLeft)));
      }
    }
  }

  /** Delivers one batch until all of it is committed or discarded; false if stopped before that. */
  private async deliver(batch: readonly _Record[]): Promise<boolean> {
    const { settings } = this.context;
    const queue: Segment[] = [{ records: batch, retries: 0, invocations: 0 }];
    while (queue.length > 0) {
      if (this.stopped) {
        return false;
      }
      const segment = queue[0]!;
      const expired = this.expiredPrefix(segment.records);
      if (expired > 0) {
        if (
          !(await this.discard(segment.records.slice(0, expired), 'RecordAgeExceeded', segment.invocations))
        ) {
          return false;
        }
        segment.records = segment.records.slice(expired);
        if (segment.records.length === 0) {
          queue.shift();
        }
        continue;
      }
      this.inFlight = true;
      let outcome: InvocationOutcome;
      try {
        outcome = await invokeBatch(
          this.context.handler,
          this.shardId,
          segment.records,
          this.context.identity,
          settings.reportBatchItemFailures,
        );
      } finally {
        this.inFlight = false;
      }
      segment.invocations += 1;
      const exhausted = settings.maxRetryAttempts !== -1 && segment.retries >= settings.maxRetryAttempts;
      if (outcome.kind === 'success') {
        await this.commitAfter(segment.records);
        queue.shift();
      } else if (outcome.kind === 'partial') {
        await this.commitAfter(segment.records.slice(0, outcome.firstFailedIndex));
        segment.records = segment.records.slice(outcome.firstFailedIndex);
        if (exhausted) {
          if (!(await this.discard(segment.records, 'RetryAttemptsExhausted', segment.invocations))) {
            return false;
          }
          queue.shift();
        } else {
          segment.retries += 1;
          await this.sleep(this.backoff(segment.retries));
        }
      } else if (settings.bisectBatchOnError && segment.records.length > 1) {
        const middle = Math.ceil(segment.records.length / 2);
        queue.splice(
          0,
          1,
          {
            records: segment.records.slice(0, middle),
            retries: segment.retries,
            invocations: segment.invocations,
          },
          {
            records: segment.records.slice(middle),
            retries: segment.retries,
            invocations: segment.invocations,
          },
        );
      } else if (exhausted) {
        this.context.logger.warn('batch failed after its last retry', {
          shardId: this.shardId,
          records: segment.records.length,
          reason: outcome.reason,
        });
        if (!(await this.discard(segment.records, 'RetryAttemptsExhausted', segment.invocations))) {
          return false;
        }
        queue.shift();
      } else {
        segment.retries += 1;
        await this.sleep(this.backoff(segment.retries));
      }
      this.context.onProgress();
    }
    return true;
  }

  /** Sends the records' metadata to onFailure (retrying until it accepts), then moves past them. */
  private async discard(
    records: readonly _Record[],
    condition: FailureCondition,
    invocations: number,
  ): Promise<boolean> {
    const first = records[0]!;
    const last = records.at(-1)!;
    const failed: FailedBatchRecord = {
      reason: condition,
      shardId: this.shardId,
      startSequenceNumber: first.SequenceNumber!,
      endSequenceNumber: last.SequenceNumber!,
      batchSize: records.length,
      streamArn: this.context.identity.eventSourceArn,
      approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString() ?? '',
      approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString() ?? '',
      approximateInvokeCount: invocations,
      timestamp: new Date(this.context.clock()).toISOString(),
    };
    if (this.context.onFailure === undefined) {
      this.context.logger.warn('records discarded (no onFailure destination)', { ...failed });
    } else {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.context.onFailure(failed);
          break;
        } catch (error) {
          this.context.logger.warn('onFailure destination failed; retrying', {
            ...failed,
            error: String(error),
          });
          if (this.stopped) {
            return false;
          }
          await this.sleep(this.backoff(attempt));
        }
      }
    }
    await this.commitAfter(records);
    return true;
  }

  private expiredPrefix(records: readonly _Record[]): number {
    const maxAgeSeconds = this.context.settings.maxRecordAgeSeconds;
    if (maxAgeSeconds === -1) {
      return 0;
    }
    const now = this.context.clock();
    const index = records.findIndex(
      (record) => now - (record.ApproximateArrivalTimestamp?.getTime() ?? now) <= maxAgeSeconds * 1000,
    );
    return index === -1 ? records.length : index;
  }

  private async commitAfter(records: readonly _Record[]): Promise<void> {
    const last = records.at(-1);
    if (last !== undefined) {
      await this.commit({ kind: 'after-sequence', sequenceNumber: last.SequenceNumber! });
    }
  }

  private async commit(checkpoint: ShardCheckpoint): Promise<void> {
    this.committed = checkpoint;
    await this.context.saveCheckpoint(this.shardId, checkpoint);
  }

  /** An iterator after `lastFetched`, else after the last commit, else at the start position. */
  private async acquireIterator(lastFetched: string | undefined): Promise<string | undefined> {
    const position: ShardCheckpoint | 'TRIM_HORIZON' =
      lastFetched === undefined
        ? (this.committed ?? this.start)
        : { kind: 'after-sequence', sequenceNumber: lastFetched };
    const input: GetShardIteratorCommandInput = {
      StreamName: this.context.streamName,
      ShardId: this.shardId,
      ...iteratorPosition(position),
    };
    for (let attempt = 1; !this.stopped; attempt += 1) {
      try {
        const { ShardIterator } = await this.context.kinesis.send(new GetShardIteratorCommand(input), {
          abortSignal: this.context.stopSignal,
        });
        return ShardIterator;
      } catch (error) {
        if (this.stopped) {
          break;
        }
        this.context.logger.warn('GetShardIterator failed; retrying', {
          shardId: this.shardId,
          error: String(error),
        });
        await this.sleep(this.backoff(attempt));
      }
    }
    return undefined;
  }

  private backoff(attempt: number): number {
    return Math.min(MAX_BACKOFF_MS, this.context.retryBaseDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  private get stopped(): boolean {
    return this.context.stopSignal.aborted;
  }

  private async sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) {
      return;
    }
    await sleep(ms, undefined, { signal: this.context.stopSignal }).catch(() => undefined);
  }
}

function iteratorPosition(
  position: ShardCheckpoint | 'TRIM_HORIZON',
): Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> {
  if (position === 'TRIM_HORIZON') {
    return { ShardIteratorType: 'TRIM_HORIZON' };
  }
  switch (position.kind) {
    case 'after-sequence':
      return { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position.sequenceNumber };
    case 'at-timestamp':
      return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(position.timestampMs) };
    case 'shard-end':
      throw new Error('a finished shard has no iterator');
  }
}
