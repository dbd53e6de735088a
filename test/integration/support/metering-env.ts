/**
 * A metering environment on the real emulators: fresh tables, a published catalog, tenants, and
 * the consumer wired with the same adapters as the AWS and local composition roots.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { FileBlobStore } from '../../../functions/adapters/blob/file-blob-store.js';
import { meteringDeps } from '../../../functions/composition/metering-deps.js';
import { createConsumer } from '../../../functions/ingest-consumer/consume-kinesis-event.js';
import type { Catalog } from '../../../shared/catalog/catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { formatQuantity } from '../../../shared/decimal/quantity.js';
import { parseStoredQuantity } from '../../../shared/decimal/stored-quantity.js';
import type { MeterBatchDeps, MeterBatchResult } from '../../../shared/metering/meter-batch.js';
import type { ThresholdCrossing } from '../../../shared/metering/ports.js';
import { createTestStack, type TestStack } from './local-stack.js';

export const TEST_CATALOG: Catalog = parseCatalog({
  schemaVersion: 1,
  meters: [
    {
      key: 'input_tokens',
      name: 'Input',
      unit: 'tokens',
      eventType: 'llm.completion',
      aggregation: 'SUM',
      valueProperty: 'input_tokens',
      groupBy: ['model', 'workspace'],
    },
    {
      key: 'output_tokens',
      name: 'Output',
      unit: 'tokens',
      eventType: 'llm.completion',
      aggregation: 'SUM',
      valueProperty: 'output_tokens',
      groupBy: ['model', 'workspace'],
    },
    {
      key: 'calls',
      name: 'Calls',
      unit: 'calls',
      eventType: 'inference.call',
      aggregation: 'COUNT',
      groupBy: [],
    },
    {
      key: 'peak_gb',
      name: 'Peak storage',
      unit: 'GB',
      eventType: 'storage.snapshot',
      aggregation: 'MAX',
      valueProperty: 'gb',
      groupBy: [],
    },
    {
      key: 'last_gb',
      name: 'Last storage',
      unit: 'GB',
      eventType: 'storage.snapshot',
      aggregation: 'LATEST',
      valueProperty: 'gb',
      groupBy: [],
    },
    {
      key: 'agents',
      name: 'Agents',
      unit: 'agents',
      eventType: 'llm.completion',
      aggregation: 'UNIQUE_COUNT',
      valueProperty: 'agent',
      groupBy: [],
    },
  ],
  plans: [
    {
      key: 'capped',
      name: 'Capped',
      entitlements: [
        { key: 'monthly-input', meter: 'input_tokens', limit: '10000', period: 'MONTH', mode: 'hard' },
      ],
    },
    {
      key: 'metered',
      name: 'Metered',
      entitlements: [
        { key: 'monthly-input', meter: 'input_tokens', limit: '5000', period: 'MONTH', mode: 'soft' },
      ],
    },
    {
      key: 'scoped',
      name: 'Scoped',
      entitlements: [
        {
          key: 'daily-ws-input',
          meter: 'input_tokens',
          limit: '1000',
          period: 'DAY',
          mode: 'hard',
          scope: 'workspace',
        },
      ],
    },
  ],
});

export const TEST_TENANTS: TenantProfile[] = [
  { tenant: 'acme', plan: 'metered', status: 'active' },
  { tenant: 'globex', plan: 'capped', status: 'active' },
  { tenant: 'initech', plan: 'scoped', status: 'active' },
  { tenant: 'hooli', plan: 'metered', status: 'suspended' },
];

export interface MeteringEnv {
  readonly stack: TestStack;
  readonly deps: MeterBatchDeps & {
    config: import('../../../functions/adapters/dynamodb/dynamodb-config-store.js').DynamoDbConfigStore;
  };
  readonly published: ThresholdCrossing[];
  readonly results: MeterBatchResult[];
  readonly consume: (
    event: KinesisStreamEvent,
  ) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
  /** Sum of a meter attribute over a tenant's rollup items, as a decimal string. */
  rollupTotal(tenant: string, rollupId: string, attribute: string): Promise<string>;
  items(pk: string): Promise<Array<Record<string, AttributeValue>>>;
  /** A tenant's quarantine index items. */
  quarantined(tenant: string): Promise<Array<Record<string, AttributeValue>>>;
  entitlement(
    tenant: string,
    entitlementKey: string,
  ): Promise<{ used: string; overage: string; rejected: string; count: number }>;
  dispose(): Promise<void>;
}

export async function createMeteringEnv(
  options: { envelopeDedup?: boolean; shardCount?: number } = {},
): Promise<MeteringEnv> {
  const stack = await createTestStack({ shardCount: options.shardCount ?? 1 });
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-it-'));
  const published: ThresholdCrossing[] = [];
  const deps = meteringDeps({
    dynamodb: stack.dynamodb,
    tables: stack.tables,
    blobs: new FileBlobStore(join(dataDir, 'blobs')),
    thresholds: { publish: async (crossings) => void published.push(...crossings) },
    envelopeDedup: options.envelopeDedup ?? true,
    configCacheMs: 0,
  });
  await deps.config.publishCatalog(TEST_CATALOG);
  for (const tenant of TEST_TENANTS) await deps.config.putTenant(tenant);
  const results: MeterBatchResult[] = [];
  const consume = createConsumer(deps, { batchMetered: (result) => void results.push(result) });
  const query = async (tableName: string, pk: string) => {
    const found: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await stack.dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  };
  const items = (pk: string) => query(stack.tables.usage, pk);
  return {
    stack,
    deps,
    published,
    results,
    consume,
    items,
    quarantined: (tenant) => query(stack.tables.quarantine, `Q#${tenant}`),
    async rollupTotal(tenant, rollupId, attribute) {
      const all = await items(`R#${tenant}#${rollupId}`);
      return formatQuantity(
        all.reduce((sum, item) => sum + parseStoredQuantity(item[attribute]?.N ?? '0'), 0n),
      );
    },
    async entitlement(tenant, key) {
      const all = (await items(`E#${tenant}`)).filter((item) => item.entitlement?.S === key);
      const total = (name: string) =>
        formatQuantity(all.reduce((s, i) => s + parseStoredQuantity(i[name]?.N ?? '0'), 0n));
      return {
        used: total('used'),
        overage: total('overage'),
        rejected: total('rejected'),
        count: all.length,
      };
    },
    dispose: () => stack.dispose(),
  };
}
