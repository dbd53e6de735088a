import {
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCreditStore } from '../../../functions/adapters/dynamodb/dynamodb-credit-store.js';
import type { CreditGrant } from '../../../shared/invoicing/ports.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';

let stack: TestStack;
let credits: DynamoDbCreditStore;

beforeAll(async () => {
  stack = await createTestStack({ shardCount: 1 });
  credits = new DynamoDbCreditStore(stack.dynamodb, stack.tables.invoices);
});
afterAll(async () => {
  await stack?.dispose();
});

function aGrant(overrides: Partial<CreditGrant> = {}): CreditGrant {
  return {
    id: 'welcome-2026',
    tenant: 'acme',
    name: 'Welcome credit',
    currency: 'USD',
    amountMinor: 10_000n,
    remainingMinor: 10_000n,
    priority: 1,
    effectiveAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('DynamoDbCreditStore on DynamoDB Local', () => {
  it('lists the grants created for a tenant, with their amounts exact', async () => {
    const welcome = aGrant({ tenant: 'listing' });
    // More than 2^53 minor units: amounts never pass through a float.
    const huge = aGrant({
      tenant: 'listing',
      id: 'huge',
      amountMinor: 123_456_789_012_345_678_901n,
      remainingMinor: 123_456_789_012_345_678_901n,
      priority: 2,
      expiresAt: '2027-01-01T00:00:00.000Z',
    });
    expect(await credits.createGrant(welcome)).toBe(true);
    expect(await credits.createGrant(huge)).toBe(true);
    await credits.createGrant(aGrant({ tenant: 'listing-other' }));

    const listed = await credits.listGrants('listing');

    expect(listed).toHaveLength(2);
    expect(listed).toContainEqual(welcome);
    expect(listed).toContainEqual(huge);
    expect(await credits.listGrants('listing-nobody')).toEqual([]);
  });

  it('refuses a second grant with the same id for the tenant, keeping the first', async () => {
    const first = aGrant({ tenant: 'duplicate' });
    expect(await credits.createGrant(first)).toBe(true);
    expect(await credits.createGrant({ ...first, name: 'Other', amountMinor: 1n, remainingMinor: 1n })).toBe(
      false,
    );
    expect(await credits.listGrants('duplicate')).toEqual([first]);
    // Another tenant may use the same id.
    expect(await credits.createGrant(aGrant({ tenant: 'duplicate-other' }))).toBe(true);
  });

  it('reads the balance from the remaining attribute, not from the stored document', async () => {
    const grant = aGrant({ tenant: 'balance' });
    await credits.createGrant(grant);
    const key = { pk: { S: 'C#balance' }, sk: { S: `G#${grant.id}` } };
    await stack.dynamodb.send(
      new UpdateItemCommand({
        TableName: stack.tables.invoices,
        Key: key,
        UpdateExpression: 'SET remaining = remaining - :amount',
        ExpressionAttributeValues: { ':amount': { N: '2500' } },
      }),
    );

    expect(await credits.listGrants('balance')).toEqual([{ ...grant, remainingMinor: 7_500n }]);
    const { Item } = await stack.dynamodb.send(
      new GetItemCommand({ TableName: stack.tables.invoices, Key: key, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ remaining: { N: '7500' }, amount: { N: '10000' } });
    expect(JSON.parse(Item?.document?.S ?? '')).toMatchObject({
      amountMinor: '10000',
      remainingMinor: '10000',
    });
  });

  it('reads every page of a tenant’s grants', async () => {
    // Five grants of ~390 KB each make more than one 1 MB query page.
    const name = 'x'.repeat(390_000);
    const ids = ['big-1', 'big-2', 'big-3', 'big-4', 'big-5'];
    for (const id of ids) await credits.createGrant(aGrant({ tenant: 'paged', id, name }));

    let queries = 0;
    const counting = {
      send: (command: Parameters<DynamoDBClient['send']>[0]) => {
        if (command instanceof QueryCommand) queries += 1;
        return stack.dynamodb.send(command as never);
      },
    } as unknown as DynamoDBClient;

    const listed = await new DynamoDbCreditStore(counting, stack.tables.invoices).listGrants('paged');

    expect(queries).toBeGreaterThan(1);
    expect(listed.map((grant) => grant.id).sort()).toEqual(ids);
  });
});
