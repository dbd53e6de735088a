import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Quantity } from '../../../shared/decimal/quantity.js';
import { parseStoredQuantity } from '../../../shared/decimal/stored-quantity.js';
import { entitlementPk, rollupPk } from '../../../shared/metering/counter-keys.js';
import type {
  EntitlementPeriodKey,
  EntitlementRow,
  RollupRow,
  UsageReader,
} from '../../../shared/usage/ports.js';

type Item = Record<string, AttributeValue>;

/** Every item of a query, following `LastEvaluatedKey` page by page. */
export async function queryAllItems(client: DynamoDBClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ ...input, ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }) }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

function stringMap(value: AttributeValue | undefined): Record<string, string> | undefined {
  if (value?.M === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const [name, inner] of Object.entries(value.M)) map[name] = inner.S ?? '';
  return map;
}

/** The group of a rollup item from its sort key, when the item has no `group` map. */
function groupFromSk(sk: string): Record<string, string> {
  const groupKey = sk.slice(sk.indexOf('#') + 1);
  const group: Record<string, string> = {};
  if (groupKey === '') return group;
  for (const part of groupKey.split('&')) {
    const eq = part.indexOf('=');
    group[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
  }
  return group;
}

export function rollupRowOf(item: Item): RollupRow {
  const sk = item.sk?.S ?? '';
  const values = new Map<string, Quantity>();
  const sets = new Map<string, ReadonlySet<string>>();
  const times = new Map<string, string>();
  const overflowed = new Set<string>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('o_')) overflowed.add(name.slice(2));
    if (name.startsWith('m_') && value.N !== undefined) values.set(name, parseStoredQuantity(value.N));
    else if (name.startsWith('u_') && value.SS !== undefined) sets.set(name, new Set(value.SS));
    else if (name.startsWith('t_') && value.S !== undefined) times.set(name, value.S);
  }
  return {
    windowStart: item.windowStart?.S ?? sk.slice(0, sk.indexOf('#')),
    group: stringMap(item.group) ?? groupFromSk(sk),
    values,
    sets,
    times,
    ...(overflowed.size === 0 ? {} : { overflowed }),
  };
}

function quantityOf(value: AttributeValue | undefined): Quantity {
  return value?.N === undefined ? 0n : parseStoredQuantity(value.N);
}

export function entitlementRowOf(item: Item): EntitlementRow {
  const scope = stringMap(item.scope);
  return {
    entitlement: item.entitlement?.S ?? '',
    meter: item.meter?.S ?? '',
    mode: item.mode?.S ?? '',
    periodStart: item.periodStart?.S ?? '',
    periodEnd: item.periodEnd?.S ?? '',
    ...(scope === undefined ? {} : { scope }),
    used: quantityOf(item.used),
    overage: quantityOf(item.overage),
    rejected: quantityOf(item.rejected),
    ...(item.limit?.N === undefined ? {} : { limit: parseStoredQuantity(item.limit.N) }),
    emitted: (item.emitted?.NS ?? []).map(Number).sort((a, b) => a - b),
  };
}

/**
 * Reads rollup and entitlement counters from the usage table (docs/data-model.md) with
 * paginated queries. Eventually consistent reads unless `consistentRead` is set.
 */
export class DynamoDbUsageReader implements UsageReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: { readonly consistentRead?: boolean } = {},
  ) {}

  async rollupRows(tenant: string, rollupId: string, fromIso: string, toIso: string): Promise<RollupRow[]> {
    // Sort keys are `{windowStart}#{groupKey}`: every window in [from, to) sorts between the two
    // bare times, and a window starting at `to` sorts after it (`#` follows the end of `toIso`).
    const items = await queryAllItems(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': { S: rollupPk(tenant, rollupId) },
        ':from': { S: fromIso },
        ':to': { S: toIso },
      },
      ConsistentRead: this.options.consistentRead ?? false,
    });
    return items.map(rollupRowOf);
  }

  async entitlementRows(
    tenant: string,
    periods?: readonly EntitlementPeriodKey[],
  ): Promise<EntitlementRow[]> {
    const pk = { S: entitlementPk(tenant) };
    const consistent = this.options.consistentRead ?? false;
    if (periods === undefined) {
      const items = await queryAllItems(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: consistent,
      });
      return items.map(entitlementRowOf);
    }
    const prefixes = [...new Set(periods.map((p) => `${p.entitlement}#${p.periodStart}#`))];
    const pages = await Promise.all(
      prefixes.map((prefix) =>
        queryAllItems(this.client, {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': { S: prefix } },
          ConsistentRead: consistent,
        }),
      ),
    );
    return pages.flat().map(entitlementRowOf);
  }
}
