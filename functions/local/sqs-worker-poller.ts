/**
 * A local stand-in for the Lambda SQS event source mapping: it receives from a `LocalQueue` and
 * invokes the same worker handler that runs on AWS, with the mapping's rules (ReportBatchItemFailures
 * on):
 *
 * - a batch is up to `batchSize` messages, received with the visibility timeout;
 * - the handler throws or rejects: nothing is deleted, the whole batch comes back after its
 *   visibility timeout;
 * - it returns `undefined`/`null`, `{}` or an empty `batchItemFailures`: every message is deleted;
 * - it lists messages in `batchItemFailures`: those stay (and come back), the others are deleted;
 * - an empty, null or unknown `itemIdentifier`, or a response that is not an object: the whole
 *   batch failed, as Lambda treats it.
 *
 * The queue's redrive policy does the rest: a message received `maxReceiveCount` times goes to
 * its dead-letter sink. One batch is in flight at a time (a concurrency of one), so local runs
 * stay deterministic. Not modelled: the batching window and the 6 MB invocation payload limit
 * (invoice jobs are a few hundred bytes).
 */
import { createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalQueue, LocalQueueMessage } from './local-queue.js';
import { LocalRuntimeError } from './local-runtime-error.js';

// biome-ignore lint/suspicious/noConfusingVoidType: the Lambda handler contract allows returning nothing.
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface SqsWorkerPollerOptions {
  readonly queue: LocalQueue<string>;
  readonly handler: SqsBatchHandler;
  /** Messages per invocation (default 10, the mapping's default). */
  readonly batchSize?: number;
  /** Wait after a receive that found nothing (default 200 ms). */
  readonly pollIntervalMs?: number;
  /** Visibility timeout of each receive (default: the queue's). */
  readonly visibilityTimeoutMs?: number;
  /** A failed invocation (thrown, or a response Lambda would reject). Default: console.warn. */
  readonly onError?: (error: Error, event: SQSEvent) => void;
  /** Epoch ms against which drain/idle timeouts are measured (default Date.now; pass the queue's clock). */
  readonly now?: () => number;
  /** `eventSourceARN` of the records (default a local queue ARN). */
  readonly eventSourceArn?: string;
  /** `awsRegion` of the records (default us-east-1). */
  readonly awsRegion?: string;
}

export interface WaitOptions {
  /**
   * Rejects with `drain_timeout` once this much time has passed on the poller's clock (checked
   * after every receive, so a handler that never returns also holds up the rejection).
   */
  readonly timeoutMs?: number;
}

export interface SqsWorkerPoller {
  /**
   * Resolves once the queue has no visible and no in-flight message and no batch is being
   * handled (everything deleted or dead-lettered). Rejects with `drain_timeout` after
   * `timeoutMs`, or `poller_stopped` on stop().
   */
  drain(options?: WaitOptions): Promise<void>;
  /**
   * Resolves the next time the poller finds nothing to receive with no batch in flight: messages
   * may still be hidden by their visibility timeout. Same rejections as drain().
   */
  idle(options?: WaitOptions): Promise<void>;
  /** Lets the batch in flight finish (and its deletes happen), then stops. Idempotent. */
  stop(): Promise<void>;
}

export const LOCAL_QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:tollgate-local-queue';

interface Waiter {
  readonly kind: 'drain' | 'idle';
  readonly deadline: number;
  readonly timeoutMs: number | undefined;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Starts the receive loop at once; stop() ends it. */
export function startSqsWorkerPoller(options: SqsWorkerPollerOptions): SqsWorkerPoller {
  const { queue, handler } = options;
  const batchSize = options.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer ≥ 1, not ${batchSize}`);
  }
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const now = options.now ?? Date.now;
  const onError =
    options.onError ?? ((error: Error) => console.warn(`[sqs-worker-poller] batch failed: ${error.message}`));
  const identity = {
    eventSourceARN: options.eventSourceArn ?? LOCAL_QUEUE_ARN,
    awsRegion: options.awsRegion ?? 'us-east-1',
  };

  let stopped = false;
  let waiters: Waiter[] = [];
  let wake: (() => void) | undefined;

  const settleWaiters = (foundNothing: boolean) => {
    if (waiters.length === 0) return;
    const stats = queue.stats();
    const drained = stats.visible === 0 && stats.inFlight === 0;
    const at = now();
    waiters = waiters.filter((waiter) => {
      if (waiter.kind === 'drain' ? drained : foundNothing) {
        waiter.resolve();
        return false;
      }
      if (at >= waiter.deadline) {
        waiter.reject(
          new LocalRuntimeError(
            'drain_timeout',
            `the queue did not ${waiter.kind === 'drain' ? 'drain' : 'go idle'} within ${waiter.timeoutMs} ms (${stats.visible} visible, ${stats.inFlight} in flight)`,
          ),
        );
        return false;
      }
      return true;
    });
  };

  const invoke = async (messages: readonly LocalQueueMessage<string>[]) => {
    const event: SQSEvent = { Records: messages.map((message) => toSqsRecord(message, identity)) };
    let response: unknown;
    try {
      response = await handler(event);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)), event);
      return;
    }
    const outcome = readBatchResponse(response, messages);
    if (!outcome.ok) {
      onError(new Error(outcome.reason), event);
      return;
    }
    for (const message of messages) {
      if (!outcome.failed.has(message.messageId)) queue.delete(message.receiptHandle);
    }
  };

  const loop = async () => {
    while (!stopped) {
      let messages: LocalQueueMessage<string>[] = [];
      try {
        messages = queue.receive(batchSize, options.visibilityTimeoutMs);
        if (messages.length > 0) await invoke(messages);
      } catch (error) {
        // The queue itself failed (e.g. writing a dead letter): report it and poll again.
        onError(error instanceof Error ? error : new Error(String(error)), { Records: [] });
      }
      settleWaiters(messages.length === 0);
      if (messages.length === 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollIntervalMs);
          wake = done;
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
        });
      }
    }
  };
  const running = loop();

  const wait = (kind: Waiter['kind'], waitOptions: WaitOptions = {}) => {
    if (stopped) {
      return Promise.reject(new LocalRuntimeError('poller_stopped', 'the SQS worker poller is stopped'));
    }
    return new Promise<void>((resolve, reject) => {
      const { timeoutMs } = waitOptions;
      const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + timeoutMs;
      waiters.push({ kind, deadline, timeoutMs, resolve, reject });
      wake?.();
    });
  };

  let stopping: Promise<void> | undefined;
  return {
    drain: (waitOptions) => wait('drain', waitOptions),
    idle: (waitOptions) => wait('idle', waitOptions),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wake?.();
        await running;
        for (const waiter of waiters) {
          waiter.reject(new LocalRuntimeError('poller_stopped', 'the SQS worker poller stopped first'));
        }
        waiters = [];
      })();
      return stopping;
    },
  };
}

function toSqsRecord(
  message: LocalQueueMessage<string>,
  identity: { readonly eventSourceARN: string; readonly awsRegion: string },
): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'AIDALOCALSENDER',
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
      ]),
    ),
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    ...identity,
  };
}

type BatchOutcome =
  | { readonly ok: true; readonly failed: ReadonlySet<string> }
  | { readonly ok: false; readonly reason: string };

function readBatchResponse(response: unknown, messages: readonly LocalQueueMessage<string>[]): BatchOutcome {
  if (response === undefined || response === null) return { ok: true, failed: new Set() };
  if (typeof response !== 'object') {
    return { ok: false, reason: `the handler returned a ${typeof response}, not a batch response` };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { ok: true, failed: new Set() };
  if (!Array.isArray(failures)) return { ok: false, reason: 'batchItemFailures is not a list' };
  const ids = new Set(messages.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof identifier !== 'string' || !ids.has(identifier)) {
      return {
        ok: false,
        reason: `itemIdentifier ${JSON.stringify(identifier)} is not a message of the batch`,
      };
    }
    failed.add(identifier);
  }
  return { ok: true, failed };
}
