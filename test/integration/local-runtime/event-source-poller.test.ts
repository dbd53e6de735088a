import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListShardsCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore, InMemoryCheckpointStore } from '../../../functions/local/checkpoint-store.js';
import {
  type EventSourcePoller,
  type EventSourcePollerOptions,
  type FailedBatchRecord,
  startEventSourcePoller,
} from '../../../functions/local/event-source-poller.js';
import {
  createTestStack,
  makeTestRecords,
  type PutTestRecord,
  putTestRecords,
  TEST_REGION,
  type TestStack,
} from '../support/local-stack.js';

/** What the handler saw in one invocation. */
interface Invocation {
  readonly shardId: string;
  readonly sequenceNumbers: string[];
  readonly data: string[];
}

type Respond = (invocation: Invocation, index: number) => KinesisStreamBatchResponse | undefined;

/** A fake consumer that records every invocation and answers with `respond` (which may throw). */
function recordingHandler(respond: Respond = () => undefined) {
  const invocations: Invocation[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    const invocation: Invocation = {
      shardId: event.Records[0]!.eventID.split(':')[0]!,
      sequenceNumbers: event.Records.map((record) => record.kinesis.sequenceNumber),
      data: event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString()),
    };
    invocations.push(invocation);
    return respond(invocation, invocations.length - 1);
  };
  return { handler, invocations };
}

const silent = { warn: () => undefined };
const running: EventSourcePoller[] = [];
const stacks: TestStack[] = [];

async function stack(shardCount: number): Promise<TestStack> {
  const created = await createTestStack({ shardCount });
  stacks.push(created);
  return created;
}

async function startPoller(
  target: TestStack,
  options: Omit<Partial<EventSourcePollerOptions>, 'settings'> & {
    readonly handler: EventSourcePollerOptions['handler'];
    readonly settings?: EventSourcePollerOptions['settings'];
  },
): Promise<EventSourcePoller> {
  const poller = await startEventSourcePoller({
    kinesis: target.kinesis,
    streamName: target.streamName,
    retryBaseDelayMs: 5,
    pollIntervalMs: 50,
    shardDiscoveryIntervalMs: 200,
    logger: silent,
    ...options,
    settings: { maxBatchingWindowSeconds: 0, ...options.settings },
  });
  running.push(poller);
  return poller;
}

const DRAIN = { timeoutMs: 30_000 };
const delivered = (invocations: readonly Invocation[]) =>
  invocations.flatMap((invocation) => invocation.sequenceNumbers);
const sequenceNumbers = (records: readonly PutTestRecord[]) => records.map((record) => record.sequenceNumber);

afterEach(async () => {
  await Promise.all(running.splice(0).map((poller) => poller.stop()));
  await Promise.all(stacks.splice(0).map((created) => created.dispose()));
});

describe('the local event source poller', () => {
  it('delivers every record of a multi-shard stream once, in shard order, as Lambda-shaped events', async () => {
    const target = await stack(3);
    const events: KinesisStreamEvent[] = [];
    const put = await putTestRecords(
      target.kinesis,
      target.streamName,
      makeTestRecords(90, { partitionKeys: 12 }),
    );
    const poller = await startPoller(target, {
      handler: async (event) => {
        events.push(event);
      },
      settings: { batchSize: 10 },
    });
    await poller.drain(DRAIN);

    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.kinesis.sequenceNumber).sort()).toEqual(
      sequenceNumbers(put).sort(),
    );
    expect(new Set(put.map((record) => record.shardId)).size).toBe(3);
    for (const shardId of new Set(put.map((record) => record.shardId))) {
      const inShard = records.filter((record) => record.eventID.startsWith(`${shardId}:`));
      expect(inShard.map((record) => record.kinesis.sequenceNumber)).toEqual(
        sequenceNumbers(put.filter((record) => record.shardId === shardId)),
      );
    }
    for (const event of events) {
      expect(event.Records.length).toBeLessThanOrEqual(10);
      expect(new Set(event.Records.map((record) => record.eventID.split(':')[0])).size).toBe(1);
    }
    const first = put[0]!;
    const record = records.find((candidate) => candidate.kinesis.sequenceNumber === first.sequenceNumber)!;
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      eventID: `${first.shardId}:${first.sequenceNumber}`,
      eventSourceARN: target.streamArn,
      awsRegion: TEST_REGION,
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: first.partitionKey,
        sequenceNumber: first.sequenceNumber,
        data: Buffer.from(first.data).toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
    });
    // Epoch seconds with a fraction, not milliseconds.
    expect(record.kinesis.approximateArrivalTimestamp).toBeLessThan(1e11);
  });

  it('cuts a batch before the record that would push the invocation payload past the limit, losing and reordering nothing', async () => {
    const target = await stack(1);
    // Record data of 100 to 1,900 bytes: batches of very different record counts fit the limit.
    const sized = makeTestRecords(40).map((record, index) => ({
      ...record,
      data: record.data.padEnd(100 + ((index * 7) % 19) * 100, '.'),
    }));
    const put = await putTestRecords(target.kinesis, target.streamName, sized);
    const maxPayloadBytes = 8_000;
    const events: KinesisStreamEvent[] = [];

    const poller = await startPoller(target, {
      handler: async (event) => {
        events.push(event);
      },
      settings: { batchSize: 1_000, maxPayloadBytes },
    });
    await poller.drain(DRAIN);

    const payloadOf = (event: KinesisStreamEvent) => Buffer.byteLength(JSON.stringify(event));
    const records = events.flatMap((event) => event.Records);
    expect(records.map((record) => record.kinesis.sequenceNumber)).toEqual(sequenceNumbers(put));
    expect(records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString())).toEqual(
      sized.map((record) => record.data),
    );
    expect(events.length).toBeGreaterThan(5);
    expect(new Set(events.map((event) => event.Records.length)).size).toBeGreaterThan(1);
    for (const [index, event] of events.entries()) {
      expect(payloadOf(event)).toBeLessThanOrEqual(maxPayloadBytes);
      const next = events[index + 1]?.Records[0];
      if (next !== undefined) {
        // Cut by payload, not by count or window: one more record would not have fit.
        expect(payloadOf({ Records: [...event.Records, next] })).toBeGreaterThan(maxPayloadBytes);
      }
    }
  });

  it('delivers a record larger than the payload limit on its own instead of blocking the shard', async () => {
    const target = await stack(1);
    const sized = makeTestRecords(5).map((record, index) => ({
      ...record,
      data: record.data.padEnd(index === 2 ? 3_000 : 100, '.'),
    }));
    const put = await putTestRecords(target.kinesis, target.streamName, sized);
    const { handler, invocations } = recordingHandler();

    const poller = await startPoller(target, {
      handler,
      settings: { batchSize: 1_000, maxPayloadBytes: 2_000 },
    });
    await poller.drain(DRAIN);

    expect(invocations.map((invocation) => invocation.sequenceNumbers)).toEqual([
      sequenceNumbers(put.slice(0, 2)),
      sequenceNumbers(put.slice(2, 3)),
      sequenceNumbers(put.slice(3)),
    ]);
  });

  it('re-delivers from the lowest failed batch item and never again the records before it', async () => {
    const target = await stack(1);
    const put = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(10));
    const { handler, invocations } = recordingHandler((invocation, index) =>
      index === 0
        ? {
            batchItemFailures: [
              { itemIdentifier: invocation.sequenceNumbers[6]! },
              { itemIdentifier: invocation.sequenceNumbers[3]! },
            ],
          }
        : undefined,
    );

    const poller = await startPoller(target, { handler, settings: { batchSize: 10 } });
    await poller.drain(DRAIN);

    expect(invocations.map((invocation) => invocation.sequenceNumbers)).toEqual([
      sequenceNumbers(put),
      sequenceNumbers(put.slice(3)),
    ]);
  });

  it('fails the whole batch when an itemIdentifier is not in it', async () => {
    const target = await stack(1);
    const put = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(4));
    const { handler, invocations } = recordingHandler((_, index) =>
      index === 0 ? { batchItemFailures: [{ itemIdentifier: '42' }] } : undefined,
    );

    const poller = await startPoller(target, {
      handler,
      settings: { batchSize: 10, bisectBatchOnError: false },
    });
    await poller.drain(DRAIN);

    expect(invocations.map((invocation) => invocation.sequenceNumbers)).toEqual([
      sequenceNumbers(put),
      sequenceNumbers(put),
    ]);
  });

  it('bisects a batch whose handler throws until the poison record is isolated, and processes the rest', async () => {
    const target = await stack(1);
    const put = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(8));
    const poison = put[5]!;
    const { handler, invocations } = recordingHandler((invocation) => {
      if (invocation.data.includes(poison.data)) {
        throw new Error('poison record');
      }
      return undefined;
    });
    const failures: FailedBatchRecord[] = [];

    const poller = await startPoller(target, {
      handler,
      onFailure: (record) => {
        failures.push(record);
      },
      settings: { batchSize: 8, maxRetryAttempts: 1 },
    });
    await poller.drain(DRAIN);

    // 8 fails → [0-3] ok, [4-7] fails → [4,5] fails → [4] ok, [5] fails, retried once, fails → [6,7] ok.
    expect(invocations.map((invocation) => invocation.sequenceNumbers.length)).toEqual([
      8, 4, 4, 2, 1, 1, 1, 2,
    ]);
    const succeeded = invocations.filter((invocation) => !invocation.data.includes(poison.data));
    expect(delivered(succeeded)).toEqual(sequenceNumbers(put.filter((record) => record !== poison)));
    expect(failures).toEqual([
      expect.objectContaining({
        reason: 'RetryAttemptsExhausted',
        shardId: poison.shardId,
        startSequenceNumber: poison.sequenceNumber,
        endSequenceNumber: poison.sequenceNumber,
        batchSize: 1,
        streamArn: target.streamArn,
        approximateInvokeCount: 5,
      }),
    ]);
  });

  it('after the last retry, sends the batch’s sequence range to onFailure and moves on', async () => {
    const target = await stack(1);
    const failing = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(5));
    const failingData = new Set(failing.map((record) => record.data));
    const { handler, invocations } = recordingHandler((invocation) => {
      if (invocation.data.some((data) => failingData.has(data))) {
        throw new Error('downstream unavailable');
      }
      return undefined;
    });
    const failures: FailedBatchRecord[] = [];

    const poller = await startPoller(target, {
      handler,
      onFailure: (record) => {
        failures.push(record);
      },
      settings: { batchSize: 5, maxRetryAttempts: 2, bisectBatchOnError: false },
    });
    await poller.drain(DRAIN);
    const later = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(3, { offset: 5 }));
    await poller.drain(DRAIN);

    expect(invocations.map((invocation) => invocation.sequenceNumbers)).toEqual([
      sequenceNumbers(failing),
      sequenceNumbers(failing),
      sequenceNumbers(failing),
      sequenceNumbers(later),
    ]);
    expect(failures).toEqual([
      expect.objectContaining({
        reason: 'RetryAttemptsExhausted',
        shardId: failing[0]!.shardId,
        startSequenceNumber: failing[0]!.sequenceNumber,
        endSequenceNumber: failing[4]!.sequenceNumber,
        batchSize: 5,
        approximateInvokeCount: 3,
      }),
    ]);
  });

  it('sends records older than the maximum record age to onFailure without invoking the handler', async () => {
    const target = await stack(1);
    const put = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(4));
    const { handler, invocations } = recordingHandler();
    const failures: FailedBatchRecord[] = [];
    const twoHoursLater = () => Date.now() + 2 * 3600 * 1000;

    const poller = await startPoller(target, {
      handler,
      clock: twoHoursLater,
      onFailure: (record) => {
        failures.push(record);
      },
      settings: { batchSize: 10, maxRecordAgeSeconds: 3600 },
    });
    await poller.drain(DRAIN);

    expect(invocations).toEqual([]);
    expect(failures).toEqual([
      expect.objectContaining({
        reason: 'RecordAgeExceeded',
        startSequenceNumber: put[0]!.sequenceNumber,
        endSequenceNumber: put[3]!.sequenceNumber,
        batchSize: 4,
        approximateInvokeCount: 0,
      }),
    ]);
  });

  it('after resharding, processes child shards only once their parents are done, losing nothing', async () => {
    const target = await stack(1);
    const reshard = (TargetShardCount: number) =>
      target.kinesis.send(
        new UpdateShardCountCommand({
          StreamName: target.streamName,
          TargetShardCount,
          ScalingType: 'UNIFORM_SCALING',
        }),
      );
    const beforeSplit = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(30));
    await reshard(2);
    const afterSplit = await putTestRecords(
      target.kinesis,
      target.streamName,
      makeTestRecords(30, { offset: 30 }),
    );
    const { handler, invocations } = recordingHandler();

    const poller = await startPoller(target, { handler, settings: { batchSize: 7 } });
    await poller.drain(DRAIN);
    await reshard(4);
    const afterSecondSplit = await putTestRecords(
      target.kinesis,
      target.streamName,
      makeTestRecords(40, { offset: 60 }),
    );
    await poller.drain(DRAIN);

    const all = [...beforeSplit, ...afterSplit, ...afterSecondSplit];
    expect(delivered(invocations).sort()).toEqual(sequenceNumbers(all).sort());
    const { Shards = [] } = await target.kinesis.send(
      new ListShardsCommand({ StreamName: target.streamName }),
    );
    expect(Shards).toHaveLength(7);
    const order = new Map(delivered(invocations).map((sequenceNumber, index) => [sequenceNumber, index]));
    const positions = (shardId: string) =>
      all.filter((record) => record.shardId === shardId).map((record) => order.get(record.sequenceNumber)!);
    for (const shard of Shards.filter((candidate) => candidate.ParentShardId !== undefined)) {
      const parentPositions = positions(shard.ParentShardId!);
      const childPositions = positions(shard.ShardId!);
      expect(parentPositions.length).toBeGreaterThan(0);
      expect(childPositions.length).toBeGreaterThan(0);
      expect(Math.max(...parentPositions)).toBeLessThan(Math.min(...childPositions));
    }
    for (const key of new Set(all.map((record) => record.partitionKey))) {
      const ofKey = all
        .filter((record) => record.partitionKey === key)
        .map((record) => order.get(record.sequenceNumber)!);
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
    }
  });

  it('resumes after the last committed record when restarted with the same checkpoint store', async () => {
    const target = await stack(2);
    const checkpointFile = join(await mkdtemp(join(tmpdir(), 'tollgate-checkpoints-')), 'consumer.json');
    const first = recordingHandler();
    const committed = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(20));
    const firstPoller = await startPoller(target, {
      handler: first.handler,
      checkpointStore: new FileCheckpointStore(checkpointFile),
    });
    await firstPoller.drain(DRAIN);
    await firstPoller.stop();
    const whileStopped = await putTestRecords(
      target.kinesis,
      target.streamName,
      makeTestRecords(10, { offset: 20 }),
    );

    const second = recordingHandler();
    const secondPoller = await startPoller(target, {
      handler: second.handler,
      checkpointStore: new FileCheckpointStore(checkpointFile),
    });
    await secondPoller.drain(DRAIN);

    expect(delivered(first.invocations).sort()).toEqual(sequenceNumbers(committed).sort());
    expect(delivered(second.invocations).sort()).toEqual(sequenceNumbers(whileStopped).sort());
  });

  it('lets the batch in flight finish and commits it when stopped', async () => {
    const target = await stack(1);
    const store = new InMemoryCheckpointStore();
    await putTestRecords(target.kinesis, target.streamName, makeTestRecords(5));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finished = false;
    const poller = await startPoller(target, {
      checkpointStore: store,
      handler: async () => {
        entered();
        await gate;
        finished = true;
      },
    });
    await inFlight;

    const stopped = poller.stop();
    release();
    await stopped;

    expect(finished).toBe(true);
    const again = recordingHandler();
    const restarted = await startPoller(target, { handler: again.handler, checkpointStore: store });
    await restarted.drain(DRAIN);
    expect(again.invocations).toEqual([]);
  });

  it('starting at LATEST skips what is already on the stream and delivers what comes next', async () => {
    const target = await stack(2);
    await putTestRecords(target.kinesis, target.streamName, makeTestRecords(6));
    const { handler, invocations } = recordingHandler();

    const poller = await startPoller(target, { handler, startingPosition: 'LATEST' });
    await poller.drain(DRAIN);
    const next = await putTestRecords(target.kinesis, target.streamName, makeTestRecords(6, { offset: 6 }));
    await poller.drain(DRAIN);

    expect(delivered(invocations).sort()).toEqual(sequenceNumbers(next).sort());
  });
});
