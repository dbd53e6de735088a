import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinesisEvent, kinesisRecord, makeEvent } from '../../factories/events.js';
import { createMeteringEnv, type MeteringEnv } from '../support/metering-env.js';

/**
 * Makes the client lose the response of every `nth` UpdateItem after DynamoDB applied it —
 * a crash between two writes, as seen by the consumer.
 */
function loseResponses(client: DynamoDBClient, every: number): () => void {
  let calls = 0;
  const name = `lose-${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'UpdateItemCommand' && ++calls % every === 0) {
        throw Object.assign(new Error('connection reset after the write'), { name: 'TimeoutError' });
      }
      return result;
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
}

async function consumeUntilDone(env: MeteringEnv, first: KinesisStreamEvent): Promise<number> {
  let batch = first;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const { batchItemFailures } = await env.consume(batch);
    if (batchItemFailures.length === 0) return attempt;
    const from = batch.Records.findIndex(
      (r) => r.kinesis.sequenceNumber === batchItemFailures[0]!.itemIdentifier,
    );
    batch = kinesisEvent(batch.Records.slice(from));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 20;
}

describe('entitlements enforced in the write, on DynamoDB Local', () => {
  let env: MeteringEnv;
  beforeAll(async () => {
    env = await createMeteringEnv();
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('never lets concurrent writers from many shards push a hard cap past its limit', async () => {
    // globex: hard cap of 10,000 input tokens a month. 16 shards each send 10 × 100 tokens.
    const shards = Array.from({ length: 16 }, (_, s) =>
      kinesisEvent(
        Array.from({ length: 10 }, () =>
          kinesisRecord(
            [makeEvent({ subject: 'globex', data: { model: 'cap', workspace: 'w', input_tokens: 100 } })],
            {
              shardId: `shardId-${String(s).padStart(12, '0')}`,
              partitionKey: `globex#${s}`,
            },
          ),
        ),
      ),
    );
    // Each shard's batch is retried from its first failed record until it succeeds, as the event
    // source mapping does.
    const failures = await Promise.all(shards.map((batch) => consumeUntilDone(env, batch)));
    expect(failures.every((n) => n < 20)).toBe(true);
    // 16 × 10 × 100 = 16,000 tokens: 10,000 used, 6,000 rejected, none lost
    expect(await env.entitlement('globex', 'monthly-input')).toMatchObject({
      used: '10000',
      rejected: '6000',
      overage: '0',
    });
    expect(await env.rollupTotal('globex', 'llm.completion|model,workspace', 'm_input_tokens')).toBe('16000');
    // 50 %, 80 % and 100 % each published once
    expect(
      env.published
        .filter((c) => c.tenant === 'globex')
        .map((c) => c.percent)
        .sort((a, b) => a - b),
    ).toEqual([50, 80, 100]);
    expect(env.published.find((c) => c.percent === 100)?.blocked).toBe(true);
  });

  it('splits included usage and overage of a soft limit exactly, across lost responses and retries', async () => {
    const restore = loseResponses(env.stack.dynamodb, 3);
    try {
      // acme: soft limit of 5,000; 8 records × 1,000 tokens, each record retried until it succeeds.
      for (let i = 0; i < 8; i += 1) {
        const batch = kinesisEvent([
          kinesisRecord([
            makeEvent({ subject: 'acme', data: { model: 'soft', workspace: 'w', input_tokens: 1000 } }),
          ]),
        ]);
        expect(await consumeUntilDone(env, batch)).toBeLessThan(20);
      }
    } finally {
      restore();
    }
    // 8 × 1,000 = 8,000: 5,000 included, 3,000 overage
    expect(await env.entitlement('acme', 'monthly-input')).toMatchObject({
      used: '5000',
      overage: '3000',
      rejected: '0',
    });
    expect(
      (await env.items('R#acme#llm.completion|model,workspace'))
        .filter((i) => i.group?.M?.model?.S === 'soft')
        .map((i) => i.m_input_tokens?.N),
    ).toEqual(['8000']);
    const acme = env.published.filter((c) => c.tenant === 'acme').map((c) => c.percent);
    expect(new Set(acme)).toEqual(new Set([50, 80, 100]));
  });

  it('applies a scoped limit to each workspace on its own', async () => {
    // initech: 1,000 input tokens a day per workspace, hard.
    await env.consume(
      kinesisEvent([
        kinesisRecord([
          makeEvent({ subject: 'initech', data: { model: 'm', workspace: 'red', input_tokens: 800 } }),
          makeEvent({ subject: 'initech', data: { model: 'm', workspace: 'red', input_tokens: 800 } }),
          makeEvent({ subject: 'initech', data: { model: 'm', workspace: 'blue', input_tokens: 300 } }),
        ]),
      ]),
    );
    const rows = (await env.items('E#initech'))
      .map((i) => [i.scope?.M?.workspace?.S, i.used?.N, i.rejected?.N ?? '0'])
      .sort();
    // red: 1,600 asked, 1,000 used, 600 rejected; blue: 300 used
    expect(rows).toEqual([
      ['blue', '300', '0'],
      ['red', '1000', '600'],
    ]);
  });
});
