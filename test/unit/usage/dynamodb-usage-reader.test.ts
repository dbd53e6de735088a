import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbUsageReader } from '../../../functions/adapters/dynamodb/dynamodb-usage-reader.js';
import { quantityOf } from '../../../shared/decimal/quantity.js';

const dynamodb = mockClient(DynamoDBClient);
const reader = new DynamoDbUsageReader(new DynamoDBClient({ region: 'us-east-1' }), 'usage');

beforeEach(() => dynamodb.reset());

describe('DynamoDbUsageReader', () => {
  it('queries the rollup partition between the bare range times, following every page', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          {
            pk: { S: 'R#acme#llm.completion|model' },
            sk: { S: '2026-11-29T21:00:00.000Z#model=gpt-4o' },
            windowStart: { S: '2026-11-29T21:00:00.000Z' },
            group: { M: { model: { S: 'gpt-4o' } } },
            m_input_tokens: { N: '1200.5' },
            u_active_agents: { SS: ['a1', 'a2'] },
            'h_shardId-000_acme': { S: '0001' },
          },
        ],
        LastEvaluatedKey: { pk: { S: 'x' }, sk: { S: 'y' } },
      })
      .resolvesOnce({
        Items: [
          {
            pk: { S: 'R#acme#llm.completion|model' },
            sk: { S: '2026-11-29T22:00:00.000Z#model=a%26b' },
            m_input_tokens: { N: '3' },
            t_latest: { S: '2026-11-29T22:10:00Z' },
          },
        ],
      });
    const rows = await reader.rollupRows(
      'acme',
      'llm.completion|model',
      '2026-11-29T00:00:00.000Z',
      '2026-11-30T00:00:00.000Z',
    );
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input).toMatchObject({
      TableName: 'usage',
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': { S: 'R#acme#llm.completion|model' },
        ':from': { S: '2026-11-29T00:00:00.000Z' },
        ':to': { S: '2026-11-30T00:00:00.000Z' },
      },
    });
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: { S: 'x' }, sk: { S: 'y' } });
    expect(rows).toEqual([
      {
        windowStart: '2026-11-29T21:00:00.000Z',
        group: { model: 'gpt-4o' },
        values: new Map([['m_input_tokens', 1_200_500_000_000_000n]]),
        sets: new Map([['u_active_agents', new Set(['a1', 'a2'])]]),
        times: new Map(),
      },
      {
        // Without windowStart and group attributes, both come from the sort key.
        windowStart: '2026-11-29T22:00:00.000Z',
        group: { model: 'a&b' },
        values: new Map([['m_input_tokens', quantityOf(3)]]),
        sets: new Map(),
        times: new Map([['t_latest', '2026-11-29T22:10:00Z']]),
      },
    ]);
  });

  it('reads the entitlement counters of the given periods by sort-key prefix', async () => {
    dynamodb.on(QueryCommand).resolves({
      Items: [
        {
          pk: { S: 'E#acme' },
          sk: { S: 'daily#2026-11-30T00:00:00.000Z#workspace=w1' },
          entitlement: { S: 'daily' },
          meter: { S: 'input_tokens' },
          mode: { S: 'hard' },
          periodStart: { S: '2026-11-30T00:00:00.000Z' },
          periodEnd: { S: '2026-12-01T00:00:00.000Z' },
          scope: { M: { workspace: { S: 'w1' } } },
          used: { N: '500' },
          rejected: { N: '20.25' },
          limit: { N: '500' },
          emitted: { NS: ['100', '80'] },
        },
      ],
    });
    const rows = await reader.entitlementRows('acme', [
      { entitlement: 'daily', periodStart: '2026-11-30T00:00:00.000Z' },
      { entitlement: 'daily', periodStart: '2026-11-30T00:00:00.000Z' },
    ]);
    const calls = dynamodb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(1); // duplicate periods are read once
    expect(calls[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': { S: 'E#acme' },
        ':prefix': { S: 'daily#2026-11-30T00:00:00.000Z#' },
      },
    });
    expect(rows).toEqual([
      {
        entitlement: 'daily',
        meter: 'input_tokens',
        mode: 'hard',
        periodStart: '2026-11-30T00:00:00.000Z',
        periodEnd: '2026-12-01T00:00:00.000Z',
        scope: { workspace: 'w1' },
        used: quantityOf(500),
        overage: 0n,
        rejected: 20_250_000_000_000n,
        limit: quantityOf(500),
        emitted: [80, 100],
      },
    ]);
  });
});
