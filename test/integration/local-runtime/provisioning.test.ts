import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { provisionLocal } from '../../../functions/local/provision.js';
import { localTableName, STREAM, TABLE_IDS, TABLES } from '../../../shared/tables/table-definitions.js';
import { testClients, uniquePrefix } from '../support/local-stack.js';

describe('provisionLocal', () => {
  it('creates every table from TABLES with its keys, indexes, TTL and on-demand billing, and the stream', async () => {
    const clients = testClients();
    const prefix = uniquePrefix();

    const resources = await provisionLocal({
      ...clients,
      tablePrefix: prefix,
      streamName: `${prefix}-events`,
      shardCount: 3,
    });

    expect(Object.keys(resources.tables).sort()).toEqual([...TABLE_IDS].sort());
    for (const id of TABLE_IDS) {
      const definition = TABLES[id];
      const { Table } = await clients.dynamodb.send(
        new DescribeTableCommand({ TableName: resources.tables[id] }),
      );
      expect(Table?.TableName).toBe(localTableName(id, prefix));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      const attributeTypes = Object.fromEntries(
        (Table?.AttributeDefinitions ?? []).map((attribute) => [
          attribute.AttributeName,
          attribute.AttributeType,
        ]),
      );
      expect(attributeTypes[definition.partitionKey.name]).toBe(definition.partitionKey.type);
      if (definition.sortKey) {
        expect(attributeTypes[definition.sortKey.name]).toBe(definition.sortKey.type);
      }
      // DynamoDB does not keep the order indexes were created in: compare them by name.
      const byName = (a: readonly unknown[], b: readonly unknown[]) =>
        String(a[0]).localeCompare(String(b[0]));
      expect(
        (Table?.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.KeySchema]).sort(byName),
      ).toEqual(
        definition.globalIndexes
          .map((index) => [
            index.indexName,
            [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
              ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
            ],
          ])
          .sort(byName),
      );
      const { TimeToLiveDescription } = await clients.dynamodb.send(
        new DescribeTimeToLiveCommand({ TableName: resources.tables[id] }),
      );
      if (definition.timeToLiveAttribute === undefined) {
        expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
      } else {
        expect(TimeToLiveDescription).toMatchObject({
          TimeToLiveStatus: 'ENABLED',
          AttributeName: definition.timeToLiveAttribute,
        });
      }
    }
    const { StreamDescriptionSummary } = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: resources.streamName }),
    );
    expect(StreamDescriptionSummary).toMatchObject({
      StreamARN: resources.streamArn,
      StreamStatus: 'ACTIVE',
      OpenShardCount: 3,
      RetentionPeriodHours: STREAM.retentionHours,
    });
  });

  it('provisioning again changes nothing and returns the same names', async () => {
    const clients = testClients();
    const prefix = uniquePrefix();
    const options = { ...clients, tablePrefix: prefix, streamName: `${prefix}-events`, shardCount: 1 };

    const first = await provisionLocal(options);
    const second = await provisionLocal({ ...options, shardCount: 4 });

    expect(second).toEqual(first);
    const { StreamDescriptionSummary } = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: first.streamName }),
    );
    expect(StreamDescriptionSummary?.OpenShardCount).toBe(1);
  });

  it('refuses to reuse an existing table whose keys differ from shared/tables', async () => {
    const clients = testClients();
    const prefix = uniquePrefix();
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: localTableName('usage', prefix),
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    await expect(
      provisionLocal({ ...clients, tablePrefix: prefix, streamName: `${prefix}-events` }),
    ).rejects.toMatchObject({
      code: 'table_schema_mismatch',
      message: expect.stringContaining(`${prefix}-usage`),
    });
  });
});
