/**
 * Creates the local tables and stream from the one definition in shared/tables, idempotently:
 * what exists is checked (a table with other keys is an error, not silently reused) and left as
 * it is, what is missing is created, and everything is waited on until ACTIVE.
 *
 * Tables are PAY_PER_REQUEST with their GSIs (projection ALL) and TTL. The stream is PROVISIONED
 * with `shardCount` shards when created; an existing stream keeps its shard count (it may have
 * been resharded on purpose). Its retention is raised to STREAM.retentionHours, as on AWS.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
  type StreamDescriptionSummary,
  ResourceInUseException as StreamInUseException,
} from '@aws-sdk/client-kinesis';
import {
  type KeyAttribute,
  localTableName,
  STREAM,
  TABLE_IDS,
  TABLES,
  type TableDefinition,
  type TableId,
} from '../../shared/tables/table-definitions.js';
import { LocalRuntimeError } from './local-runtime-error.js';

export interface ProvisionLocalOptions {
  readonly dynamodb: DynamoDBClient;
  readonly kinesis: KinesisClient;
  /** Table names are `<tablePrefix>-<id>` (default prefix `tollgate`). */
  readonly tablePrefix?: string;
  /** Default STREAM.localName. */
  readonly streamName?: string;
  /** Shards of a newly created stream (default 2). */
  readonly shardCount?: number;
  /** How long to wait for each resource to become ACTIVE (default 30 s). */
  readonly timeoutMs?: number;
}

export interface LocalResources {
  readonly tables: Readonly<Record<TableId, string>>;
  readonly streamName: string;
  readonly streamArn: string;
}

export async function provisionLocal(options: ProvisionLocalOptions): Promise<LocalResources> {
  const prefix = options.tablePrefix ?? 'tollgate';
  const streamName = options.streamName ?? STREAM.localName;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tables = Object.fromEntries(TABLE_IDS.map((id) => [id, localTableName(id, prefix)])) as Record<
    TableId,
    string
  >;
  const [streamArn] = await Promise.all([
    provisionStream(options.kinesis, streamName, options.shardCount ?? 2, timeoutMs),
    ...TABLE_IDS.map((id) => provisionTable(options.dynamodb, TABLES[id], tables[id], timeoutMs)),
  ]);
  return { tables, streamName, streamArn };
}

/** The CreateTable input for a table definition; exported so tests can compare against it. */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions(definition),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.globalIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
  };
}

async function provisionTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
  timeoutMs: number,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) {
      throw error;
    }
  }
  const table = await waitFor(`table ${tableName}`, timeoutMs, async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus === 'ACTIVE' ? Table : undefined;
  });
  assertSameKeys(definition, tableName, table);
  if (definition.timeToLiveAttribute !== undefined) {
    await enableTimeToLive(client, tableName, definition.timeToLiveAttribute);
  }
}

async function enableTimeToLive(
  client: DynamoDBClient,
  tableName: string,
  attributeName: string,
): Promise<void> {
  const { TimeToLiveDescription: current } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = current?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (current?.AttributeName !== attributeName) {
      throw new LocalRuntimeError(
        'table_schema_mismatch',
        `table ${tableName} has TTL on "${current?.AttributeName}", expected "${attributeName}": delete the table or the local data directory`,
      );
    }
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attributeName },
    }),
  );
}

async function provisionStream(
  client: KinesisClient,
  streamName: string,
  shardCount: number,
  timeoutMs: number,
): Promise<string> {
  try {
    await client.send(
      new CreateStreamCommand({
        StreamName: streamName,
        ShardCount: shardCount,
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
      }),
    );
  } catch (error) {
    if (!(error instanceof StreamInUseException)) {
      throw error;
    }
  }
  let stream = await waitForActiveStream(client, streamName, timeoutMs);
  if ((stream.RetentionPeriodHours ?? 0) < STREAM.retentionHours) {
    await client.send(
      new IncreaseStreamRetentionPeriodCommand({
        StreamName: streamName,
        RetentionPeriodHours: STREAM.retentionHours,
      }),
    );
    stream = await waitForActiveStream(client, streamName, timeoutMs);
  }
  return stream.StreamARN!;
}

function waitForActiveStream(
  client: KinesisClient,
  streamName: string,
  timeoutMs: number,
): Promise<StreamDescriptionSummary> {
  return waitFor(`stream ${streamName}`, timeoutMs, async () => {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    return summary?.StreamStatus === 'ACTIVE' ? summary : undefined;
  });
}

function assertSameKeys(definition: TableDefinition, tableName: string, table: TableDescription): void {
  const expected = createTableInput(definition, tableName);
  const describeKeys = (keys: readonly KeySchemaElement[] | undefined) =>
    (keys ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  const describeIndexes = (
    indexes:
      | readonly { IndexName?: string | undefined; KeySchema?: KeySchemaElement[] | undefined }[]
      | undefined,
  ) =>
    (indexes ?? [])
      .map((index) => `${index.IndexName}(${describeKeys(index.KeySchema)})`)
      .sort()
      .join(' ');
  const want = `${describeKeys(expected.KeySchema)} ${describeIndexes(expected.GlobalSecondaryIndexes)}`;
  const have = `${describeKeys(table.KeySchema)} ${describeIndexes(table.GlobalSecondaryIndexes)}`;
  if (want !== have) {
    throw new LocalRuntimeError(
      'table_schema_mismatch',
      `table ${tableName} exists with keys [${have.trim()}] but shared/tables defines [${want.trim()}]: delete the table or the local data directory`,
    );
  }
}

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute | undefined): KeySchemaElement[] {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey === undefined ? [] : [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }]),
  ];
}

function attributeDefinitions(definition: TableDefinition): AttributeDefinition[] {
  const keys = [
    definition.partitionKey,
    definition.sortKey,
    ...definition.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key): key is KeyAttribute => key !== undefined);
  const byName = new Map<string, KeyAttribute>();
  for (const key of keys) {
    const seen = byName.get(key.name);
    if (seen !== undefined && seen.type !== key.type) {
      throw new LocalRuntimeError(
        'table_schema_mismatch',
        `table ${definition.id}: attribute "${key.name}" is both ${seen.type} and ${key.type} in shared/tables`,
      );
    }
    byName.set(key.name, key);
  }
  return [...byName.values()].map((key) => ({ AttributeName: key.name, AttributeType: key.type }));
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined) {
      return result;
    }
    if (Date.now() > deadline) {
      throw new LocalRuntimeError('resource_not_active', `${what} was not ACTIVE after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
