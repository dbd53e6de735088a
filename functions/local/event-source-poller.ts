/**
 * A local stand-in for the Lambda Kinesis event source mapping: it polls a stream on the Kinesis
 * emulator and invokes the same consumer handler that runs on AWS, with the same batching (by
 * record count and by Lambda's 6 MB invocation payload), retry, bisect, partial-batch-response
 * and on-failure rules (see event-source/shard-consumer.ts).
 *
 * - One consumer per shard; shards are re-discovered every `shardDiscoveryIntervalMs`. After a
 *   reshard a child shard starts only once all its parents (ParentShardId, AdjacentParentShardId)
 *   are fully processed; a closed shard ends when GetRecords returns no NextShardIterator.
 * - Parallelization factor 1: each shard has one batch in flight at a time. On AWS a factor N
 *   spreads a shard over N concurrent batches but keeps records of one partition key in order
 *   and on one batch stream; factor 1 is the special case with the same per-partition-key
 *   ordering (and a stronger per-shard one), so a handler correct here is not relying on anything
 *   AWS would break, while local runs stay deterministic. CONSUMER_SOURCE.parallelizationFactor
 *   is therefore ignored here.
 * - `startingPosition` applies to the shards present when a mapping first starts (no checkpoint
 *   saved yet); shards that appear later are read from TRIM_HORIZON, as on AWS. LATEST is pinned
 *   as a timestamp checkpoint, so a restart does not skip what arrived in between.
 * - Checkpoints go to `checkpointStore` (in memory by default; file-based via
 *   createCheckpointStore({ dataDir })), so a restarted poller resumes after the last committed
 *   record. One poller per stream and store: there are no leases.
 * - stop() lets the invocation in flight finish and commit its outcome, then returns; anything
 *   not committed is delivered again on the next start. drain() resolves once every shard has
 *   been read up to the tip it had when drain() was called and nothing is in flight.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandInput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CONSUMER_SOURCE } from '../../shared/tables/table-definitions.js';
import { type CheckpointStore, InMemoryCheckpointStore, type ShardCheckpoint } from './checkpoint-store.js';
import {
  type EventSourceIdentity,
  INVOCATION_PAYLOAD_LIMIT_BYTES,
  type KinesisBatchHandler,
} from './event-source/batch-invocation.js';
import { ShardConsumer, type ShardConsumerContext } from './event-source/shard-consumer.js';
import type {
  EventSourceSettings,
  FailedBatchRecord,
  PollerLogger,
  StartingPosition,
} from './event-source/types.js';
import { LocalRuntimeError } from './local-runtime-error.js';

export {
  INVOCATION_PAYLOAD_LIMIT_BYTES,
  type KinesisBatchHandler,
} from './event-source/batch-invocation.js';
export type {
  EventSourceSettings,
  FailedBatchRecord,
  FailureCondition,
  PollerLogger,
  StartingPosition,
} from './event-source/types.js';

export const DEFAULT_EVENT_SOURCE_SETTINGS: EventSourceSettings = {
  batchSize: CONSUMER_SOURCE.batchSize,
  maxPayloadBytes: INVOCATION_PAYLOAD_LIMIT_BYTES,
  maxBatchingWindowSeconds: CONSUMER_SOURCE.maxBatchingWindowSeconds,
  bisectBatchOnError: CONSUMER_SOURCE.bisectBatchOnError,
  maxRetryAttempts: CONSUMER_SOURCE.maxRetryAttempts,
  maxRecordAgeSeconds: CONSUMER_SOURCE.maxRecordAgeSeconds,
  reportBatchItemFailures: CONSUMER_SOURCE.reportBatchItemFailures,
};

export interface EventSourcePollerOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly handler: KinesisBatchHandler;
  /** Where a new mapping starts reading (default TRIM_HORIZON). */
  readonly startingPosition?: StartingPosition;
  /** Overrides of DEFAULT_EVENT_SOURCE_SETTINGS (from CONSUMER_SOURCE). */
  readonly settings?: Partial<EventSourceSettings>;
  /** The on-failure destination; without one, given-up records are logged and skipped. */
  readonly onFailure?: (record: FailedBatchRecord) => Promise<void> | void;
  /** Default: in memory (a restart starts over from startingPosition). */
  readonly checkpointStore?: CheckpointStore;
  /** `invokeIdentityArn` of the events (default a local role ARN in the stream's account). */
  readonly invokeIdentityArn?: string;
  /** `awsRegion` of the events (default the Kinesis client's region). */
  readonly region?: string;
  /** Wait between reads of a caught-up shard (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Wait between shard listings (default 1 s). */
  readonly shardDiscoveryIntervalMs?: number;
  /** First retry delay; doubles per retry up to 2 s (default 100 ms). */
  readonly retryBaseDelayMs?: number;
  /** Wall clock in epoch ms, for record age and failure timestamps (default Date.now). */
  readonly clock?: () => number;
  readonly logger?: PollerLogger;
}

export interface EventSourcePoller {
  readonly streamArn: string;
  /**
   * Resolves when every shard has been read up to the tip it had when this was called, nothing is
   * buffered or in flight, and shards created before the call have been discovered. Rejects with
   * `drain_timeout` after `timeoutMs` (no limit by default) or `poller_stopped` on stop().
   */
  drain(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** The same as drain(). */
  idle(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Lets the invocation in flight finish and commit, then stops every reader. Idempotent. */
  stop(): Promise<void>;
}

interface ShardEntry {
  readonly shardId: string;
  readonly parents: readonly string[];
  readonly start: ShardCheckpoint | 'TRIM_HORIZON';
  finished: boolean;
  consumer?: ShardConsumer;
  running?: Promise<void>;
}

interface DrainWaiter {
  readonly since: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** Starts polling; rejects if the stream cannot be described or its shards cannot be listed. */
export async function startEventSourcePoller(options: EventSourcePollerOptions): Promise<EventSourcePoller> {
  const { StreamDescriptionSummary: stream } = await options.kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: options.streamName }),
  );
  const streamArn = stream!.StreamARN!;
  const account = streamArn.split(':')[4] ?? '000000000000';
  const identity: EventSourceIdentity = {
    eventSourceArn: streamArn,
    awsRegion: options.region ?? (await options.kinesis.config.region()),
    invokeIdentityArn: options.invokeIdentityArn ?? `arn:aws:iam::${account}:role/tollgate-local-consumer`,
  };
  const scope = `${streamArn}@${stream!.StreamCreationTimestamp?.toISOString() ?? ''}`;
  const store = options.checkpointStore ?? new InMemoryCheckpointStore();
  const poller = new LocalEventSourcePoller(options, identity, scope, store, await store.load(scope));
  await poller.start();
  return poller;
}

class LocalEventSourcePoller implements EventSourcePoller {
  readonly streamArn: string;
  private readonly shards = new Map<string, ShardEntry>();
  private readonly abort = new AbortController();
  private readonly context: ShardConsumerContext;
  private readonly logger: PollerLogger;
  private readonly freshMapping: boolean;
  private waiters: DrainWaiter[] = [];
  private lastDiscoveryStartedAt = Number.NEGATIVE_INFINITY;
  private discoveryLoop: Promise<void> = Promise.resolve();
  private wakeDiscovery: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: EventSourcePollerOptions,
    identity: EventSourceIdentity,
    private readonly scope: string,
    private readonly store: CheckpointStore,
    private readonly checkpoints: ReadonlyMap<string, ShardCheckpoint>,
  ) {
    this.streamArn = identity.eventSourceArn;
    this.freshMapping = checkpoints.size === 0;
    this.logger = options.logger ?? {
      warn: (message, details) => console.warn(`[event-source-poller] ${message}`, details ?? ''),
    };
    this.context = {
      kinesis: options.kinesis,
      streamName: options.streamName,
      handler: options.handler,
      onFailure: options.onFailure,
      settings: { ...DEFAULT_EVENT_SOURCE_SETTINGS, ...options.settings },
      identity,
      saveCheckpoint: (shardId, checkpoint) => this.store.save(this.scope, shardId, checkpoint),
      pollIntervalMs: options.pollIntervalMs ?? 200,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
      clock: options.clock ?? Date.now,
      logger: this.logger,
      stopSignal: this.abort.signal,
      onProgress: () => this.checkWaiters(),
    };
  }

  async start(): Promise<void> {
    await this.discover(true);
    this.discoveryLoop = this.discoverPeriodically();
  }

  drain(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.abort.signal.aborted) {
      return Promise.reject(new LocalRuntimeError('poller_stopped', 'the event source poller is stopped'));
    }
    return new Promise<void>((resolve, reject) => {
      const since = performance.now();
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiters = this.waiters.filter((waiter) => waiter.resolve !== resolve);
              reject(
                new LocalRuntimeError(
                  'drain_timeout',
                  `stream ${this.options.streamName} did not drain within ${options.timeoutMs} ms; behind: ${this.lagging(since).join(', ') || '(shard discovery)'}`,
                ),
              );
            }, options.timeoutMs);
      this.waiters.push({ since, resolve, reject, timer });
      this.wakeDiscovery?.();
    });
  }

  idle(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    return this.drain(options);
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    this.abort.abort();
    this.wakeDiscovery?.();
    await this.discoveryLoop;
    await Promise.all([...this.shards.values()].map((entry) => entry.running));
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new LocalRuntimeError('poller_stopped', 'the event source poller stopped before it drained'),
      );
    }
    this.waiters = [];
  }

  private async discoverPeriodically(): Promise<void> {
    const interval = this.options.shardDiscoveryIntervalMs ?? 1_000;
    while (!this.abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, interval);
        this.wakeDiscovery = wake;
        function wake() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.wakeDiscovery = undefined;
      if (this.abort.signal.aborted) {
        return;
      }
      try {
        await this.discover(false);
      } catch (error) {
        if (!this.abort.signal.aborted) {
          this.logger.warn('listing shards failed; retrying', { error: String(error) });
        }
      }
    }
  }

  private async discover(first: boolean): Promise<void> {
    const startedAt = performance.now();
    for (const shard of await this.listShards()) {
      if (!this.shards.has(shard.ShardId!)) {
        await this.addShard(shard, first);
      }
    }
    this.lastDiscoveryStartedAt = startedAt;
    this.startEligibleShards();
    this.checkWaiters();
  }

  private async addShard(shard: Shard, first: boolean): Promise<void> {
    const shardId = shard.ShardId!;
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
      (id): id is string => id != null,
    );
    let start: ShardCheckpoint | 'TRIM_HORIZON' = this.checkpoints.get(shardId) ?? 'TRIM_HORIZON';
    if (first && this.freshMapping && this.options.startingPosition === 'LATEST') {
      // A new mapping at LATEST: closed shards hold nothing new; open ones start now.
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber != null;
      start = closed ? { kind: 'shard-end' } : { kind: 'at-timestamp', timestampMs: Date.now() };
      await this.store.save(this.scope, shardId, start);
    }
    this.shards.set(shardId, {
      shardId,
      parents,
      start,
      finished: start !== 'TRIM_HORIZON' && start.kind === 'shard-end',
    });
  }

  private startEligibleShards(): void {
    for (const entry of this.shards.values()) {
      const parentsDone = entry.parents.every((parent) => this.shards.get(parent)?.finished ?? true);
      if (!entry.finished && entry.running === undefined && parentsDone && !this.abort.signal.aborted) {
        entry.running = this.consume(entry);
      }
    }
  }

  private async consume(entry: ShardEntry): Promise<void> {
    const consumer = new ShardConsumer(this.context, entry.shardId, entry.start);
    entry.consumer = consumer;
    while (!this.abort.signal.aborted) {
      try {
        await consumer.run();
        break;
      } catch (error) {
        if (this.abort.signal.aborted) {
          break;
        }
        this.logger.warn('shard reader failed; restarting from its last checkpoint', {
          shardId: entry.shardId,
          error: String(error),
        });
        await sleep(1_000, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
    if (consumer.finished) {
      entry.finished = true;
      this.startEligibleShards();
    }
    this.checkWaiters();
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) {
      return;
    }
    this.waiters = this.waiters.filter((waiter) => {
      if (this.lastDiscoveryStartedAt < waiter.since || this.lagging(waiter.since).length > 0) {
        return true;
      }
      clearTimeout(waiter.timer);
      waiter.resolve();
      return false;
    });
  }

  /** Shards not yet caught up to their tip as of `since`. */
  private lagging(since: number): string[] {
    return [...this.shards.values()]
      .filter((entry) => {
        const consumer = entry.consumer;
        if (entry.finished || consumer?.finished) {
          return false;
        }
        return (
          consumer === undefined ||
          consumer.inFlight ||
          (consumer.caughtUpAt ?? Number.NEGATIVE_INFINITY) < since
        );
      })
      .map((entry) => entry.shardId);
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let input: ListShardsCommandInput = { StreamName: this.options.streamName };
    for (;;) {
      const page = await this.options.kinesis.send(new ListShardsCommand(input), {
        abortSignal: this.abort.signal,
      });
      shards.push(...(page.Shards ?? []));
      if (page.NextToken === undefined) {
        return shards;
      }
      input = { NextToken: page.NextToken };
    }
  }
}
