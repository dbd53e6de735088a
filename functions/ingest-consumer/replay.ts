/**
 * The consumer's second kind of invocation: replaying records the event source mapping gave up
 * on, from their shard and sequence range (docs/operations.md). Two event shapes are accepted:
 *
 * - `{ "replay": [ { "shardId", "startSequenceNumber", "endSequenceNumber" }, … ] }`, by hand;
 * - the on-failure record the mapping sent to the dead-letter queue (an SQS message body), whose
 *   `KinesisBatchInfo` holds the range.
 *
 * Every other event goes to the Kinesis consumer.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import type { StreamRange } from '../../shared/metering/ports.js';
import {
  type ReplayDeps,
  type ReplayOutcome,
  replayRange,
} from '../../shared/metering/replay-failed-batch.js';

const sequenceNumber = z.string().regex(/^\d{1,129}$/, 'must be a sequence number (digits)');
const rangeSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: sequenceNumber,
  endSequenceNumber: sequenceNumber,
  streamArn: z.string().optional(),
});
const manualSchema = z.object({ replay: z.array(rangeSchema).min(1).max(100) });
const onFailureSchema = z.object({ KinesisBatchInfo: rangeSchema });

export interface ReplayRequest {
  readonly ranges: ReadonlyArray<StreamRange & { readonly streamArn?: string }>;
}

export interface ReplayResponse {
  /** Every range was replayed completely. */
  readonly completed: boolean;
  /** Completed, and no counter item was already past a range (see docs/operations.md). */
  readonly exact: boolean;
  readonly ranges: readonly ReplayOutcome[];
}

/** A replay event is not well formed; the message names the field. */
export class ReplayRequestError extends Error {
  override readonly name = 'ReplayRequestError';
  readonly code = 'invalid_replay_request';
}

/** True for the two replay shapes; a Kinesis event has neither key. */
export function isReplayEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && ('replay' in event || 'KinesisBatchInfo' in event);
}

export function parseReplayEvent(event: unknown): ReplayRequest {
  const isManual = typeof event === 'object' && event !== null && 'replay' in event;
  const parsed = isManual ? manualSchema.safeParse(event) : onFailureSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReplayRequestError(`invalid replay event: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const ranges = 'replay' in parsed.data ? parsed.data.replay : [parsed.data.KinesisBatchInfo];
  return {
    ranges: ranges.map(({ streamArn, ...range }) => ({
      ...range,
      ...(streamArn === undefined ? {} : { streamArn }),
    })),
  };
}

export interface ReplayLogger {
  info(message: string, details: Record<string, unknown>): void;
}

/** Replays each range in turn on the consumer's own stream; a range of another stream is refused. */
export function createReplayHandler(
  deps: ReplayDeps & { readonly streamName: string; readonly logger: ReplayLogger },
) {
  return async (event: unknown): Promise<ReplayResponse> => {
    const request = parseReplayEvent(event);
    const foreign = request.ranges.find(
      (range) => range.streamArn !== undefined && !range.streamArn.endsWith(`:stream/${deps.streamName}`),
    );
    if (foreign !== undefined) {
      throw new ReplayRequestError(
        `invalid replay event: ${foreign.streamArn} is not this consumer's stream (${deps.streamName})`,
      );
    }
    const outcomes: ReplayOutcome[] = [];
    for (const { streamArn: _streamArn, ...range } of request.ranges) {
      const outcome = await replayRange(range, deps);
      deps.logger.info('replayed a given-up range', { ...outcome });
      outcomes.push(outcome);
    }
    const completed = outcomes.every((outcome) => outcome.status === 'replayed');
    return {
      completed,
      exact: completed && outcomes.every((o) => o.status === 'replayed' && o.report.exact),
      ranges: outcomes,
    };
  };
}

/** The consumer's entry: replay events to the replay handler, everything else to the consumer. */
export function routeConsumerEvent(
  consume: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>,
  replay: (event: unknown) => Promise<ReplayResponse>,
) {
  return (
    event: KinesisStreamEvent | Record<string, unknown>,
  ): Promise<KinesisStreamBatchResponse | ReplayResponse> =>
    isReplayEvent(event) ? replay(event) : consume(event as KinesisStreamEvent);
}
