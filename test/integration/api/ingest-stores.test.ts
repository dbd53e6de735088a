import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbIngestKeyStore } from '../../../functions/adapters/dynamodb/dynamodb-ingest-key-store.js';
import { DynamoDbRateLimiter } from '../../../functions/adapters/dynamodb/dynamodb-rate-limiter.js';
import type { IngestKey } from '../../../shared/ingest/ingest-keys.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ shardCount: 1 });
});
afterAll(async () => {
  await stack?.dispose();
});

describe('DynamoDbIngestKeyStore on DynamoDB Local', () => {
  const key = (overrides: Partial<IngestKey> = {}): IngestKey => ({
    keyId: 'AAAAAAAA',
    tenant: 'acme',
    label: 'chat-api',
    createdAt: '2026-11-30T12:00:00.000Z',
    limits: {},
    ...overrides,
  });
  let store: DynamoDbIngestKeyStore;
  beforeAll(() => {
    store = new DynamoDbIngestKeyStore(stack.dynamodb, stack.tables.config);
  });

  it('finds a created key by its hash, with its limits, and lists it under its tenant', async () => {
    const created = key({ keyId: 'listed01', limits: { requestsPerSecond: 5, eventsPerSecond: 700 } });
    expect(await store.createIngestKey('hash-listed-1', created)).toBe(true);
    expect(await store.getIngestKey('hash-listed-1')).toEqual(created);
    expect(await store.getIngestKey('hash-unknown')).toBeUndefined();
    expect(await store.listIngestKeys('acme')).toContainEqual(created);
    expect(await store.listIngestKeys('globex')).toEqual([]);
  });

  it('refuses a second key with the same id for the tenant, storing nothing of it', async () => {
    expect(await store.createIngestKey('hash-dup-1', key({ keyId: 'dupdup01' }))).toBe(true);
    expect(await store.createIngestKey('hash-dup-2', key({ keyId: 'dupdup01', label: 'other' }))).toBe(false);
    expect(await store.getIngestKey('hash-dup-2')).toBeUndefined();
    expect((await store.listIngestKeys('acme')).filter((k) => k.keyId === 'dupdup01')).toHaveLength(1);
    // Another tenant may hold the same id.
    expect(await store.createIngestKey('hash-dup-3', key({ keyId: 'dupdup01', tenant: 'globex' }))).toBe(
      true,
    );
  });

  it('revokes both items, keeps the first revocation time, and answers undefined for an unknown key', async () => {
    await store.createIngestKey('hash-revoke', key({ keyId: 'revoke01' }));
    expect(await store.revokeIngestKey('acme', 'revoke01', '2026-11-30T13:00:00.000Z')).toMatchObject({
      keyId: 'revoke01',
      revokedAt: '2026-11-30T13:00:00.000Z',
    });
    expect(await store.getIngestKey('hash-revoke')).toMatchObject({ revokedAt: '2026-11-30T13:00:00.000Z' });
    expect(await store.revokeIngestKey('acme', 'revoke01', '2026-11-30T14:00:00.000Z')).toMatchObject({
      revokedAt: '2026-11-30T13:00:00.000Z',
    });
    expect(await store.revokeIngestKey('acme', 'nothere1', '2026-11-30T14:00:00.000Z')).toBeUndefined();
    expect(await store.revokeIngestKey('globex', 'revoke01', '2026-11-30T14:00:00.000Z')).toBeUndefined();
  });

  it('stores the hash under INGESTKEY#, never the key', async () => {
    await store.createIngestKey('hash-layout', key({ keyId: 'layout01' }));
    const { Item } = await stack.dynamodb.send(
      new GetItemCommand({
        TableName: stack.tables.config,
        Key: { pk: { S: 'INGESTKEY#hash-layout' }, sk: { S: 'INGESTKEY' } },
      }),
    );
    expect(Item).toMatchObject({ tenant: { S: 'acme' }, keyId: { S: 'layout01' } });
  });
});

describe('DynamoDbRateLimiter on DynamoDB Local', () => {
  const T0 = 1_800_000_000_000;
  const limits = { requestsPerSecond: 5, eventsPerSecond: 100 };

  it('admits the limit in a window, refuses the next naming the limit, and admits again in the next window', async () => {
    let now = T0 + 100;
    const limiter = new DynamoDbRateLimiter(stack.dynamodb, stack.tables.dedup, { clock: () => now });
    const one = { requests: 1, events: 1 };
    for (let i = 0; i < 5; i += 1)
      expect(await limiter.take('acme#window01', one, limits)).toEqual({ allowed: true });
    expect(await limiter.take('acme#window01', one, limits)).toEqual({
      allowed: false,
      limit: 'requestsPerSecond',
      limitPerSecond: 5,
      retryAfterSeconds: 1,
    });
    expect(await limiter.take('acme#window02', one, limits)).toEqual({ allowed: true }); // another key
    now = T0 + 1000;
    expect(await limiter.take('acme#window01', one, limits)).toEqual({ allowed: true });
  });

  it('refuses on the events limit, naming it, and counts nothing for a refused request', async () => {
    const limiter = new DynamoDbRateLimiter(stack.dynamodb, stack.tables.dedup, { clock: () => T0 + 2000 });
    expect(await limiter.take('acme#events01', { requests: 1, events: 60 }, limits)).toEqual({
      allowed: true,
    });
    expect(await limiter.take('acme#events01', { requests: 1, events: 60 }, limits)).toMatchObject({
      allowed: false,
      limit: 'eventsPerSecond',
      limitPerSecond: 100,
    });
    expect(await limiter.take('acme#events01', { requests: 1, events: 40 }, limits)).toEqual({
      allowed: true,
    });
    const { Item } = await stack.dynamodb.send(
      new GetItemCommand({
        TableName: stack.tables.dedup,
        Key: { pk: { S: `rl#acme#events01#${(T0 + 2000) / 1000}` } },
      }),
    );
    // 60 + 40 events in 2 requests; the refused one left no trace. Expires a minute after the window.
    expect(Item).toMatchObject({
      r: { N: '2' },
      e: { N: '100' },
      ttl: { N: String((T0 + 3000) / 1000 + 60) },
    });
  });

  it('lets one request larger than the whole limit through an empty window, and nothing after it', async () => {
    const limiter = new DynamoDbRateLimiter(stack.dynamodb, stack.tables.dedup, { clock: () => T0 + 3000 });
    expect(await limiter.take('acme#big01', { requests: 1, events: 1000 }, limits)).toEqual({
      allowed: true,
    });
    expect(await limiter.take('acme#big01', { requests: 1, events: 1 }, limits)).toMatchObject({
      allowed: false,
      limit: 'eventsPerSecond',
    });
  });

  it('admits exactly the limit when many containers take at once (the conditional write decides)', async () => {
    const limiters = Array.from(
      { length: 4 },
      () => new DynamoDbRateLimiter(stack.dynamodb, stack.tables.dedup, { clock: () => T0 + 4000 }),
    );
    const concurrent = { requestsPerSecond: 20, eventsPerSecond: 10_000 };
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        limiters[i % limiters.length]!.take('acme#race01', { requests: 1, events: 10 }, concurrent),
      ),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
  });
});
