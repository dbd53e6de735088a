/**
 * Per-test-file resources on the emulators the integration globalSetup started: tables and a
 * stream under a random prefix (so test files never collide), the shared SDK clients, and a
 * factory that puts records on the stream and reports where each one landed.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { inject } from 'vitest';
import { createDynamoDbClient, createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import { type LocalResources, provisionLocal } from '../../../functions/local/provision.js';
import { TABLE_IDS } from '../../../shared/tables/table-definitions.js';

export const TEST_REGION = 'us-east-1';

export interface TestClients {
  readonly dynamodb: DynamoDBClient;
  readonly kinesis: KinesisClient;
}

export interface TestStack extends TestClients, LocalResources {
  readonly tablePrefix: string;
  /** Deletes the stack's tables and stream. */
  dispose(): Promise<void>;
}

/** Clients for the emulators of this test run. */
export function testClients(): TestClients {
  return {
    dynamodb: createDynamoDbClient({ endpoint: inject('dynamodbEndpoint'), region: TEST_REGION }),
    kinesis: createKinesisClient({ endpoint: inject('kinesisEndpoint'), region: TEST_REGION }),
  };
}

/** A prefix no other test shares, e.g. `t3f9a01c2`. */
export function uniquePrefix(): string {
  return `t${randomUUID().replaceAll('-', '').slice(0, 8)}`;
}

/** Provisions every table and a stream of `shardCount` shards under a fresh prefix. */
export async function createTestStack(options: { readonly shardCount?: number } = {}): Promise<TestStack> {
  const clients = testClients();
  const tablePrefix = uniquePrefix();
  const resources = await provisionLocal({
    ...clients,
    tablePrefix,
    streamName: `${tablePrefix}-events`,
    shardCount: options.shardCount ?? 2,
  });
  return {
    ...clients,
    ...resources,
    tablePrefix,
    dispose: async () => {
      await Promise.all([
        clients.kinesis.send(new DeleteStreamCommand({ StreamName: resources.streamName })),
        ...TABLE_IDS.map((id) =>
          clients.dynamodb.send(new DeleteTableCommand({ TableName: resources.tables[id] })),
        ),
      ]);
    },
  };
}

export interface TestRecord {
  readonly partitionKey: string;
  readonly data: string;
}

/** Where a record landed on the stream. */
export interface RecordPosition {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

export interface PutTestRecord extends TestRecord, RecordPosition {}

/** `count` records spread over `partitionKeys` keys; data is `record-<i>`. */
export function makeTestRecords(
  count: number,
  options: { readonly partitionKeys?: number; readonly offset?: number } = {},
): TestRecord[] {
  const keys = options.partitionKeys ?? 8;
  const offset = options.offset ?? 0;
  return Array.from({ length: count }, (_, index) => ({
    partitionKey: `tenant-${(offset + index) % keys}`,
    data: `record-${offset + index}`,
  }));
}

/** Puts the records (in order, 500 per call) and returns where each landed. */
export async function putTestRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly TestRecord[],
): Promise<PutTestRecord[]> {
  const positions = await putRecords(
    kinesis,
    streamName,
    records.map((record) => ({ partitionKey: record.partitionKey, data: Buffer.from(record.data) })),
  );
  return records.map((record, index) => ({ ...record, ...positions[index]! }));
}

/** Puts records of any bytes (in order, 500 per call) and returns where each landed. */
export async function putRecords(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly { readonly partitionKey: string; readonly data: Uint8Array }[],
): Promise<RecordPosition[]> {
  const positions: RecordPosition[] = [];
  for (let start = 0; start < records.length; start += 500) {
    const chunk = records.slice(start, start + 500);
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map((record) => ({ PartitionKey: record.partitionKey, Data: record.data })),
      }),
    );
    if ((result.FailedRecordCount ?? 0) > 0) {
      throw new Error(`PutRecords failed for ${result.FailedRecordCount} records`);
    }
    for (const entry of result.Records!) {
      positions.push({ shardId: entry.ShardId!, sequenceNumber: entry.SequenceNumber! });
    }
  }
  return positions;
}
