import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbClient, createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import type { CliIo } from '../../../functions/cli/cli-io.js';
import { runCli } from '../../../functions/cli/program.js';
import { makeEvent } from '../../factories/events.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';

describe('tollgate send on the Kinesis emulator', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await createTestStack({ shardCount: 2 });
  });

  afterAll(async () => {
    await stack.dispose();
  });

  function io(stdin: string, out: string[], err: string[]): CliIo {
    return {
      stdout: (text) => void out.push(text),
      stderr: (text) => void err.push(text),
      readStdin: async () => stdin,
      readFile: async () => {
        throw Object.assign(new Error('no files'), { code: 'ENOENT' });
      },
      appendFile: async () => {
        throw new Error('no files');
      },
      env: {},
      cwd: '/',
      // The default event time plus a minute, so the events are in the accepted window.
      now: () => Date.parse('2026-11-29T21:05:05.123Z'),
      sleep: async () => {},
      fetch,
      kinesis: ({ endpoint, region }) =>
        createKinesisClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
      dynamodb: ({ endpoint, region }) =>
        createDynamoDbClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
      close: () => {},
    };
  }

  async function readAll(): Promise<Array<{ partitionKey: string; ids: string[] }>> {
    const { Shards } = await stack.kinesis.send(new ListShardsCommand({ StreamName: stack.streamName }));
    const found: Array<{ partitionKey: string; ids: string[] }> = [];
    for (const shard of Shards ?? []) {
      const { ShardIterator } = await stack.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stack.streamName,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records } = await stack.kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const record of Records ?? []) {
        const events = JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')) as Array<{ id: string }>;
        found.push({ partitionKey: record.PartitionKey ?? '', ids: events.map((e) => e.id) });
      }
    }
    return found;
  }

  it("puts each tenant's events as JSON array records keyed by the tenant", async () => {
    const events = [
      makeEvent({ subject: 'acme' }),
      makeEvent({ subject: 'globex' }),
      makeEvent({ subject: 'acme' }),
    ];
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      [
        'send',
        '--kinesis-endpoint',
        inject('kinesisEndpoint'),
        '--stream',
        stack.streamName,
        '--region',
        'us-east-1',
        '--json',
      ],
      io(events.map((e) => JSON.stringify(e)).join('\n'), out, err),
    );
    expect({ code, err: err.join('') }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out.join(''))).toMatchObject({ sent: true, events: 3, records: 2, failed: 0 });
    const records = await readAll();
    expect(records.sort((a, b) => a.partitionKey.localeCompare(b.partitionKey))).toEqual([
      { partitionKey: 'acme', ids: [events[0]?.id, events[2]?.id] },
      { partitionKey: 'globex', ids: [events[1]?.id] },
    ]);
  });
});
