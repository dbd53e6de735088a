/**
 * The invoicing design a team would write first, for the benchmark to measure Tollgate's
 * invoicing against: one serial loop over the tenants (a Scan of the config table), and for
 * each tenant one Query per priced meter (no sharing of rollup reads between the meters of one
 * rollup), priced with Tollgate's own pure pricing functions, written with one PutItem. No job
 * queue, no parallelism, no invoice numbers (so no numbering transaction), no drafts, no
 * documents, no `invoice.finalized` event.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { CompiledCatalog } from '../shared/catalog/compiled-catalog.js';
import { formatQuantity } from '../shared/decimal/quantity.js';
import { parseStoredQuantity } from '../shared/decimal/stored-quantity.js';
import { groupKeyOf, rollupIdOf, rollupPk, valueAttribute } from '../shared/metering/counter-keys.js';
import { formatMinor, roundToMinor } from '../shared/money/money.js';
import { priceFlatFee } from '../shared/pricing/flat-fee.js';
import { currencyForPlan } from '../shared/pricing/plan-billing.js';
import type { GroupQuantity, PricedLine } from '../shared/pricing/price-component.js';
import { priceUsage } from '../shared/pricing/price-usage.js';

export const BASELINE_INVOICE_TABLE = 'bench-baseline-invoices';

type Item = Record<string, AttributeValue>;

export async function createBaselineInvoiceTable(client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: BASELINE_INVOICE_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

export interface BaselineInvoicerOptions {
  readonly configTable: string;
  readonly usageTable: string;
  readonly catalog: CompiledCatalog;
  /** ISO-8601 UTC; the period is [periodStart, periodEnd). */
  readonly periodStart: string;
  readonly periodEnd: string;
}

/** Invoices every tenant's period, one tenant after the other; answers how many it wrote. */
export async function runBaselineInvoicer(
  client: DynamoDBClient,
  options: BaselineInvoicerOptions,
): Promise<{ invoices: number }> {
  let invoices = 0;
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: options.configTable,
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': { S: 'PROFILE' } },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const profile of page.Items ?? []) {
      if (await invoiceTenant(client, options, profile.tenant?.S ?? '', profile.plan?.S ?? '')) invoices += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return { invoices };
}

async function invoiceTenant(
  client: DynamoDBClient,
  options: BaselineInvoicerOptions,
  tenant: string,
  planKey: string,
): Promise<boolean> {
  const { catalog } = options;
  const billing = catalog.plan(planKey)?.billing;
  if (billing === undefined) return false;
  if (billing.minimumCommitment !== undefined || billing.discounts.length > 0 || billing.trialDays > 0) {
    throw new Error(`baseline invoicer: plan "${planKey}" uses what the baseline does not price`);
  }
  const lines: PricedLine[] = billing.fees.map((fee) => priceFlatFee(fee));
  for (const price of billing.prices) {
    const meter = catalog.meter(price.meter);
    if (meter === undefined) continue;
    const byGroup = new Map<string, GroupQuantity>();
    let startKey: Item | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: options.usageTable,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': { S: rollupPk(tenant, rollupIdOf(meter)) },
            ':from': { S: options.periodStart },
            ':to': { S: options.periodEnd },
          },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) {
        const value = item[valueAttribute(meter.key)]?.N;
        if (value === undefined) continue;
        const group = Object.fromEntries(meter.groupBy.map((d) => [d, item.group?.M?.[d]?.S ?? '']));
        const key = groupKeyOf(group);
        const seen = byGroup.get(key);
        byGroup.set(key, { group, quantity: (seen?.quantity ?? 0n) + parseStoredQuantity(value) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    lines.push(...priceUsage(price, [...byGroup.values()]));
  }
  const currency = currencyForPlan(catalog.catalog, billing);
  const total = lines.reduce((sum, line) => sum + roundToMinor(line.amount, currency), 0n);
  await client.send(
    new PutItemCommand({
      TableName: BASELINE_INVOICE_TABLE,
      Item: {
        pk: { S: tenant },
        sk: { S: options.periodStart },
        currency: { S: currency.code },
        total: { S: formatMinor(total, currency) },
        lines: {
          S: JSON.stringify(
            lines.map((line) => ({
              key: line.key,
              quantity: formatQuantity(line.quantity),
              amount: formatMinor(roundToMinor(line.amount, currency), currency),
            })),
          ),
        },
      },
    }),
  );
  return true;
}
