import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { describe, expect, inject, it } from 'vitest';
import { createDynamoDbClient, createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import { startDynamoDbLocal } from '../../../functions/local/emulators/dynamodb-local.js';
import type { LocalEmulator } from '../../../functions/local/emulators/emulator-process.js';
import { startKinesisLocal } from '../../../functions/local/emulators/kinesis-local.js';
import { TEST_REGION } from '../support/local-stack.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function processGroupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startBoth(dataDir?: string): Promise<[LocalEmulator, LocalEmulator]> {
  const options = dataDir === undefined ? {} : { dataDir };
  const [dynamodb, kinesis] = await Promise.all([startDynamoDbLocal(options), startKinesisLocal(options)]);
  return [dynamodb, kinesis];
}

describe('local emulators', () => {
  it('start a second pair on free ports of their own, and stopping them ends their process groups', async () => {
    const [dynamodb, kinesis] = await startBoth();
    const dynamodbClient = createDynamoDbClient({
      endpoint: dynamodb.endpoint,
      region: TEST_REGION,
      maxAttempts: 1,
    });
    const kinesisClient = createKinesisClient({
      endpoint: kinesis.endpoint,
      region: TEST_REGION,
      maxAttempts: 1,
    });
    try {
      expect(dynamodb.endpoint).not.toBe(inject('dynamodbEndpoint'));
      expect(kinesis.endpoint).not.toBe(inject('kinesisEndpoint'));
      await expect(dynamodbClient.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      // A keep-alive connection is open now: the emulator must still stop.
      await expect(kinesisClient.send(new ListStreamsCommand({}))).resolves.toMatchObject({
        StreamNames: [],
      });
    } finally {
      await Promise.all([dynamodb.stop(), kinesis.stop()]);
    }

    for (const emulator of [dynamodb, kinesis]) {
      expect(isRunning(emulator.pid)).toBe(false);
      expect(processGroupExists(emulator.pid)).toBe(false);
    }
    const afterStop = createDynamoDbClient({
      endpoint: dynamodb.endpoint,
      region: TEST_REGION,
      maxAttempts: 1,
    });
    await expect(afterStop.send(new ListTablesCommand({}))).rejects.toThrow();
    await expect(dynamodb.stop()).resolves.toBeUndefined();
  });

  it('keep tables, streams and records in a data directory across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-emulators-'));
    const [dynamodb, kinesis] = await startBoth(dataDir);
    try {
      const dynamodbClient = createDynamoDbClient({ endpoint: dynamodb.endpoint, region: TEST_REGION });
      const kinesisClient = createKinesisClient({ endpoint: kinesis.endpoint, region: TEST_REGION });
      await dynamodbClient.send(
        new CreateTableCommand({
          TableName: 'kept-table',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      await kinesisClient.send(new CreateStreamCommand({ StreamName: 'kept-stream', ShardCount: 1 }));
      await kinesisClient.send(
        new PutRecordCommand({ StreamName: 'kept-stream', PartitionKey: 'a', Data: Buffer.from('kept') }),
      );
    } finally {
      await Promise.all([dynamodb.stop(), kinesis.stop()]);
    }

    const [dynamodbAgain, kinesisAgain] = await startBoth(dataDir);
    try {
      const dynamodbClient = createDynamoDbClient({ endpoint: dynamodbAgain.endpoint, region: TEST_REGION });
      const kinesisClient = createKinesisClient({ endpoint: kinesisAgain.endpoint, region: TEST_REGION });
      await expect(dynamodbClient.send(new ListTablesCommand({}))).resolves.toMatchObject({
        TableNames: ['kept-table'],
      });
      const { ShardIterator } = await kinesisClient.send(
        new GetShardIteratorCommand({
          StreamName: 'kept-stream',
          ShardId: 'shardId-000000000000',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records } = await kinesisClient.send(new GetRecordsCommand({ ShardIterator }));
      expect(Records?.map((record) => Buffer.from(record.Data!).toString())).toEqual(['kept']);
    } finally {
      await Promise.all([dynamodbAgain.stop(), kinesisAgain.stop()]);
    }
  });

  it('refuses to start DynamoDB Local without Java 17+, naming the package to install', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tollgate-java-'));
    const oldJava = join(directory, 'java');
    await writeFile(oldJava, '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n');
    await chmod(oldJava, 0o755);

    await expect(startDynamoDbLocal({ javaPath: join(directory, 'missing-java') })).rejects.toMatchObject({
      code: 'java_missing',
      message: expect.stringContaining('install openjdk-17-jre-headless'),
    });
    await expect(startDynamoDbLocal({ javaPath: oldJava })).rejects.toMatchObject({
      code: 'java_too_old',
      message: expect.stringMatching(/Java 17\+.*is Java 8/),
    });
  });
});
