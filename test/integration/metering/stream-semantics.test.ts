/**
 * The real consumer behind the real local event source poller on the Kinesis emulator and
 * DynamoDB Local: what the stream does to a batch (resharding, replays, KPL aggregation, poison
 * records, failed invocations) must never change what is counted. Every test compares the
 * counters with a ground truth kept while producing the events.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryCheckpointStore } from '../../../functions/local/checkpoint-store.js';
import {
  type EventSourcePoller,
  type EventSourcePollerOptions,
  type FailedBatchRecord,
  type KinesisBatchHandler,
  startEventSourcePoller,
} from '../../../functions/local/event-source-poller.js';
import { aggregateRecords, encodeRecord, makeEvent, type WireEvent } from '../../factories/events.js';
import { putRecords, type RecordPosition } from '../support/local-stack.js';
import { createMeteringEnv, type MeteringEnv } from '../support/metering-env.js';

const TOKENS = 'llm.completion|model,workspace';
const DRAIN = { timeoutMs: 20_000 };
const silent = { warn: () => undefined };

/** Events a minute old when the file starts: inside the consumer's accepted time range. */
const EVENT_TIME = new Date(Date.now() - 60_000).toISOString();

/** Usage events with varied token counts, and what they must add up to per tenant. */
class GroundTruth {
  private readonly inputs = new Map<string, bigint>();
  private readonly outputs = new Map<string, bigint>();
  private made = 0;

  event(tenant: string): WireEvent {
    this.made += 1;
    const input = 1 + ((this.made * 7_919) % 997);
    const output = 1 + ((this.made * 104_729) % 89);
    this.inputs.set(tenant, (this.inputs.get(tenant) ?? 0n) + BigInt(input));
    this.outputs.set(tenant, (this.outputs.get(tenant) ?? 0n) + BigInt(output));
    return makeEvent({
      subject: tenant,
      time: EVENT_TIME,
      data: { model: 'stream', workspace: 'w', input_tokens: input, output_tokens: output },
    });
  }

  events(tenant: string, count: number): WireEvent[] {
    return Array.from({ length: count }, () => this.event(tenant));
  }

  input(tenant: string): string {
    return String(this.inputs.get(tenant) ?? 0n);
  }

  output(tenant: string): string {
    return String(this.outputs.get(tenant) ?? 0n);
  }
}

interface StreamRecordInput {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

const eventsRecord = (partitionKey: string, events: readonly WireEvent[]): StreamRecordInput => ({
  partitionKey,
  data: encodeRecord(events),
});

/** What the poller handed the consumer in one invocation, and what it answered. */
interface Invocation {
  readonly shardId: string;
  readonly sequenceNumbers: readonly string[];
  response?: KinesisStreamBatchResponse | undefined;
}

/** The consumer, recording every invocation; `after` may throw to fail the invocation after its work. */
function observedConsumer(
  env: MeteringEnv,
  hooks: { readonly after?: (index: number) => void } = {},
): { readonly handler: KinesisBatchHandler; readonly invocations: Invocation[] } {
  const invocations: Invocation[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    const invocation: Invocation = {
      shardId: event.Records[0]!.eventID.split(':')[0]!,
      sequenceNumbers: event.Records.map((record) => record.kinesis.sequenceNumber),
    };
    invocations.push(invocation);
    invocation.response = await env.consume(event);
    hooks.after?.(invocations.length - 1);
    return invocation.response;
  };
  return { handler, invocations };
}

const pollers: EventSourcePoller[] = [];

async function startPoller(
  env: MeteringEnv,
  handler: KinesisBatchHandler,
  options: Pick<EventSourcePollerOptions, 'settings' | 'checkpointStore' | 'onFailure'> = {},
): Promise<EventSourcePoller> {
  const poller = await startEventSourcePoller({
    kinesis: env.stack.kinesis,
    streamName: env.stack.streamName,
    handler,
    logger: silent,
    pollIntervalMs: 25,
    shardDiscoveryIntervalMs: 100,
    retryBaseDelayMs: 5,
    ...options,
    settings: { maxBatchingWindowSeconds: 0, ...options.settings },
  });
  pollers.push(poller);
  return poller;
}

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

/** Every event counted once: rollups and the monthly entitlement match the ground truth. */
async function expectCountedOnce(env: MeteringEnv, truth: GroundTruth, tenants: readonly string[]) {
  for (const tenant of tenants) {
    expect(await env.rollupTotal(tenant, TOKENS, 'm_input_tokens')).toBe(truth.input(tenant));
    expect(await env.rollupTotal(tenant, TOKENS, 'm_output_tokens')).toBe(truth.output(tenant));
    // Entitlement counters: what was asked for ends up used, as overage or rejected, once.
    const { used, overage, rejected } = await env.entitlement(tenant, 'monthly-input');
    expect(String(BigInt(used) + BigInt(overage) + BigInt(rejected))).toBe(truth.input(tenant));
  }
}

async function scanUsage(env: MeteringEnv): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await env.stack.dynamodb.send(
      new ScanCommand({ TableName: env.stack.tables.usage, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const key = (item: Record<string, AttributeValue>) => `${item.pk?.S}\u0000${item.sk?.S}`;
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

describe('a stream resharded while the consumer reads it', () => {
  const TENANTS = ['acme', 'globex'];
  const truth = new GroundTruth();
  let env: MeteringEnv;
  const put: RecordPosition[] = [];
  let first: ReturnType<typeof observedConsumer>;
  const failures: FailedBatchRecord[] = [];

  beforeAll(async () => {
    env = await createMeteringEnv({ shardCount: 2 });
    first = observedConsumer(env);
    const poller = await startPoller(env, first.handler, {
      settings: { batchSize: 20 },
      onFailure: (record) => void failures.push(record),
    });
    const reshard = (TargetShardCount: number) =>
      env.stack.kinesis.send(
        new UpdateShardCountCommand({
          StreamName: env.stack.streamName,
          TargetShardCount,
          ScalingType: 'UNIFORM_SCALING',
        }),
      );
    // 6 rounds of 25 records of 2 events; 2 → 4 shards after round 2, 4 → 3 after round 4.
    for (let round = 0; round < 6; round += 1) {
      const records = Array.from({ length: 25 }, (_, index) => {
        const tenant = TENANTS[index % 2]!;
        return eventsRecord(`${tenant}#${(round * 25 + index) % 8}`, truth.events(tenant, 2));
      });
      put.push(...(await putRecords(env.stack.kinesis, env.stack.streamName, records)));
      if (round === 1) await reshard(4);
      if (round === 3) await reshard(3);
      await sleep(40);
    }
    await poller.drain(DRAIN);
    await poller.stop();
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('counts every event exactly once, reading child shards only after their parents', async () => {
    await expectCountedOnce(env, truth, TENANTS);
    expect(failures).toEqual([]);
    const delivered = first.invocations.flatMap((invocation) => invocation.sequenceNumbers);
    expect(new Set(delivered)).toEqual(new Set(put.map((record) => record.sequenceNumber)));

    const { Shards = [] } = await env.stack.kinesis.send(
      new ListShardsCommand({ StreamName: env.stack.streamName }),
    );
    const children = Shards.filter((shard) => shard.ParentShardId !== undefined);
    const invoked = (shardId: string) =>
      first.invocations.flatMap((invocation, index) => (invocation.shardId === shardId ? [index] : []));
    const withRecords = children.filter((child) => invoked(child.ShardId!).length > 0);
    expect(withRecords.length).toBeGreaterThanOrEqual(3);
    for (const child of withRecords) {
      const parents = [child.ParentShardId, child.AdjacentParentShardId].filter(
        (id): id is string => id !== undefined,
      );
      for (const parent of parents) {
        expect(Math.max(-1, ...invoked(parent))).toBeLessThan(Math.min(...invoked(child.ShardId!)));
      }
    }
  });

  it('changes no counter when a second mapping replays the whole stream from TRIM_HORIZON', async () => {
    const before = await scanUsage(env);
    const published = env.published.length;
    const replay = observedConsumer(env);

    const poller = await startPoller(env, replay.handler, {
      settings: { batchSize: 50 },
      checkpointStore: new InMemoryCheckpointStore(),
    });
    await poller.drain(DRAIN);

    const replayed = replay.invocations.flatMap((invocation) => invocation.sequenceNumbers);
    expect(replayed.sort()).toEqual(put.map((record) => record.sequenceNumber).sort());
    expect(await scanUsage(env)).toEqual(before);
    expect(env.published).toHaveLength(published);
    await expectCountedOnce(env, truth, TENANTS);
  });
});

describe('the consumer behind the local event source poller', () => {
  let env: MeteringEnv | undefined;
  afterEach(async () => {
    await env?.dispose();
    env = undefined;
  });

  it('counts the events of every sub-record of a KPL-aggregated record, for each tenant it holds', async () => {
    env = await createMeteringEnv({ shardCount: 1 });
    const truth = new GroundTruth();
    const aggregated = aggregateRecords([
      { partitionKey: 'acme#kpl', data: encodeRecord(truth.events('acme', 3), { gzip: true }) },
      { partitionKey: 'globex#kpl', data: encodeRecord(truth.event('globex')) },
      { partitionKey: 'acme#kpl', data: encodeRecord(truth.event('acme')) },
    ]);
    await putRecords(env.stack.kinesis, env.stack.streamName, [
      eventsRecord('globex#1', truth.events('globex', 2)),
      { partitionKey: 'acme#kpl', data: aggregated },
      eventsRecord('acme#1', truth.events('acme', 1)),
    ]);
    const consumer = observedConsumer(env);

    const poller = await startPoller(env, consumer.handler);
    await poller.drain(DRAIN);

    await expectCountedOnce(env, truth, ['acme', 'globex']);
    expect(await env.quarantined('acme')).toEqual([]);
    expect(await env.quarantined('globex')).toEqual([]);
    expect(env.results.reduce((sum, result) => sum + result.stats.events, 0)).toBe(8);
  });

  it('quarantines a record of invalid JSON and counts the records after it without retrying the batch', async () => {
    env = await createMeteringEnv({ shardCount: 1 });
    const truth = new GroundTruth();
    const records = Array.from({ length: 12 }, (_, index) =>
      index === 7
        ? { partitionKey: 'acme#poison', data: new TextEncoder().encode('{"id": "x", ') }
        : eventsRecord(`acme#${index % 3}`, [truth.event('acme')]),
    );
    const put = await putRecords(env.stack.kinesis, env.stack.streamName, records);
    const consumer = observedConsumer(env);
    const failures: FailedBatchRecord[] = [];

    // Batches of 5: the poison record is in the middle of the second.
    const poller = await startPoller(env, consumer.handler, {
      settings: { batchSize: 5 },
      onFailure: (record) => void failures.push(record),
    });
    await poller.drain(DRAIN);

    await expectCountedOnce(env, truth, ['acme']);
    expect(failures).toEqual([]);
    expect(consumer.invocations.map((invocation) => invocation.response)).toEqual(
      consumer.invocations.map(() => ({ batchItemFailures: [] })),
    );
    expect(consumer.invocations.flatMap((invocation) => invocation.sequenceNumbers)).toEqual(
      put.map((record) => record.sequenceNumber),
    );
    const quarantined = await env.quarantined('acme');
    expect(quarantined.map((item) => [item.reason?.S, item.sequenceNumber?.S])).toEqual([
      ['invalid_json', put[7]!.sequenceNumber],
    ]);
  });

  it('counts exactly once a batch whose invocation failed after its writes, bisected and retried by the poller', async () => {
    env = await createMeteringEnv({ shardCount: 1 });
    const truth = new GroundTruth();
    await putRecords(
      env.stack.kinesis,
      env.stack.streamName,
      Array.from({ length: 10 }, (_, index) => eventsRecord(`acme#${index % 4}`, truth.events('acme', 2))),
    );
    // The first invocation does all its work, then fails (as a timeout after the last write would).
    const consumer = observedConsumer(env, {
      after: (index) => {
        if (index === 0) throw new Error('invocation timed out');
      },
    });
    const failures: FailedBatchRecord[] = [];

    const poller = await startPoller(env, consumer.handler, {
      settings: { batchSize: 100 },
      onFailure: (record) => void failures.push(record),
    });
    await poller.drain(DRAIN);

    expect(consumer.invocations.map((invocation) => invocation.sequenceNumbers.length)).toEqual([10, 5, 5]);
    expect(failures).toEqual([]);
    await expectCountedOnce(env, truth, ['acme']);
  });
});
