import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbUsageReader } from '../../../functions/adapters/dynamodb/dynamodb-usage-reader.js';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { queryUsage } from '../../../shared/usage/query-usage.js';
import { ARRIVAL_MS, EVENT_TIME, kinesisEvent, kinesisRecord, makeEvent } from '../../factories/events.js';
import { createMeteringEnv, type MeteringEnv, TEST_CATALOG } from '../support/metering-env.js';

const TOKENS = 'llm.completion|model,workspace';

describe('the consumer on DynamoDB Local', () => {
  let env: MeteringEnv;
  beforeAll(async () => {
    env = await createMeteringEnv();
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('counts each event once in every meter that selects it, and a retried batch changes nothing', async () => {
    const events = [
      makeEvent({
        subject: 'acme',
        data: { model: 'gpt-4o', workspace: 'a', input_tokens: 100, output_tokens: 10, agent: 'x' },
      }),
      makeEvent({
        subject: 'acme',
        data: { model: 'gpt-4o', workspace: 'a', input_tokens: 200, output_tokens: 20, agent: 'y' },
      }),
      makeEvent({
        subject: 'acme',
        data: { model: 'o3', workspace: 'b', input_tokens: '0.5', output_tokens: 0, agent: 'x' },
      }),
    ];
    const batch = kinesisEvent([
      kinesisRecord(events.slice(0, 2)),
      kinesisRecord(events[2]!, { gzip: true }),
    ]);
    expect(await env.consume(batch)).toEqual({ batchItemFailures: [] });
    expect(await env.consume(batch)).toEqual({ batchItemFailures: [] });
    // 100 + 200 + 0.5 = 300.5 input tokens; 10 + 20 + 0 = 30 output tokens
    expect(await env.rollupTotal('acme', TOKENS, 'm_input_tokens')).toBe('300.5');
    expect(await env.rollupTotal('acme', TOKENS, 'm_output_tokens')).toBe('30');
    const agents = await env.items('R#acme#llm.completion|');
    expect(agents.flatMap((i) => i.u_agents?.SS ?? []).sort()).toEqual(['x', 'y']);
    // A retry of the same records is not a producer duplicate: the claims are its own, and the
    // counters' marks skip what they already hold.
    expect(env.results.at(-1)?.stats).toMatchObject({ duplicates: 0, counted: 0, redelivered: 3 });
  });

  it('acknowledges a producer resend in another record, on another shard, as a duplicate', async () => {
    const event = makeEvent({ subject: 'acme', data: { model: 'm1', workspace: 'w', input_tokens: 7 } });
    await env.consume(kinesisEvent([kinesisRecord([event], { shardId: 'shardId-000000000000' })]));
    await env.consume(kinesisEvent([kinesisRecord([event], { shardId: 'shardId-000000000001' })]));
    expect(
      (await env.items('R#acme#llm.completion|model,workspace'))
        .filter((i) => i.group?.M?.model?.S === 'm1')
        .map((i) => i.m_input_tokens?.N),
    ).toEqual(['7']);
    expect(env.results.at(-1)?.stats).toMatchObject({ counted: 0, duplicates: 1 });
  });

  it('quarantines every kind of bad input with its reason while the rest of the batch is counted', async () => {
    const good = makeEvent({ subject: 'acme', data: { model: 'q', workspace: 'w', input_tokens: 5 } });
    const cases: Array<[string, Uint8Array | object | object[], string]> = [
      ['malformed JSON', new TextEncoder().encode('{"id": "x", '), 'invalid_json'],
      ['non-UTF-8 bytes', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding'],
      ['a gzip bomb', gzipSync(Buffer.alloc(11 * 1024 * 1024, 0x20)), 'payload_too_large'],
      ['corrupt gzip', new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), 'decompression_failed'],
      ['a missing id', makeEvent({ id: undefined }), 'missing_field'],
      ['a wrong type of subject', makeEvent({ subject: 42 }), 'invalid_field'],
      ['a negative number', makeEvent({ data: { input_tokens: -1 } }), 'invalid_number'],
      [
        'an infinite number',
        new TextEncoder().encode(
          JSON.stringify(makeEvent()).replace('"input_tokens":1200', '"input_tokens":1e400'),
        ),
        'invalid_number',
      ],
      [
        '19 significant digits',
        new TextEncoder().encode(
          JSON.stringify(makeEvent()).replace('"input_tokens":1200', '"input_tokens":1234567890123456789'),
        ),
        'invalid_number',
      ],
      ['a NaN decimal string', makeEvent({ data: { model: 'q', input_tokens: 'NaN' } }), 'invalid_number'],
      [
        'a time 40 days old',
        makeEvent({ time: new Date(ARRIVAL_MS - 40 * 86_400_000).toISOString() }),
        'time_out_of_range',
      ],
      [
        'a time an hour ahead',
        makeEvent({ time: new Date(ARRIVAL_MS + 3_600_000).toISOString() }),
        'time_out_of_range',
      ],
      ['an unknown tenant', makeEvent({ subject: 'nobody' }), 'unknown_tenant'],
      ['a suspended tenant', makeEvent({ subject: 'hooli' }), 'tenant_suspended'],
      ['an unmetered type', makeEvent({ type: 'video.render' }), 'unmetered_type'],
    ];
    const records = cases.map(([, content]) => kinesisRecord(content, { partitionKey: 'acme#2' }));
    const response = await env.consume(
      kinesisEvent([...records, kinesisRecord([good, makeEvent({ id: '' })])]),
    );
    expect(response.batchItemFailures).toEqual([]);
    const result = env.results.at(-1)!;
    const expected: Record<string, number> = {};
    for (const [, , reason] of cases) expected[reason] = (expected[reason] ?? 0) + 1;
    expected.invalid_field = (expected.invalid_field ?? 0) + 1; // the empty id beside the good event
    expect(result.stats.quarantined).toEqual(expected);
    expect(result.stats.counted).toBe(1);
    expect(
      (await env.items('R#acme#llm.completion|model,workspace'))
        .filter((i) => i.group?.M?.model?.S === 'q')
        .map((i) => i.m_input_tokens?.N),
    ).toEqual(['5']);
  });

  it('lands a late event in the window and period of its own time', async () => {
    const late = new Date(Date.parse(EVENT_TIME) - 20 * 86_400_000); // 2026-11-09, same month
    const lastMonth = new Date(Date.parse('2026-11-01T00:00:00Z') - 3_600_000); // 2026-10-31T23:00Z
    await env.consume(
      kinesisEvent([
        kinesisRecord([
          makeEvent({
            subject: 'globex',
            time: late.toISOString(),
            data: { model: 'late', workspace: 'w', input_tokens: 11 },
          }),
        ]),
        kinesisRecord([
          makeEvent({
            subject: 'globex',
            time: lastMonth.toISOString(),
            data: { model: 'late', workspace: 'w', input_tokens: 13 },
          }),
        ]),
      ]),
    );
    const rows = (await env.items('R#globex#llm.completion|model,workspace')).filter(
      (i) => i.group?.M?.model?.S === 'late',
    );
    expect(rows.map((i) => [i.windowStart?.S, i.m_input_tokens?.N]).sort()).toEqual([
      ['2026-10-31T23:00:00.000Z', '13'],
      ['2026-11-09T21:00:00.000Z', '11'],
    ]);
    const periods = (await env.items('E#globex')).map((i) => [i.periodStart?.S, i.used?.N]).sort();
    expect(periods).toEqual([
      ['2026-10-01T00:00:00.000Z', '13'],
      ['2026-11-01T00:00:00.000Z', '11'],
    ]);
  });

  it('keeps MAX and LATEST by value and by event time, whatever the arrival order', async () => {
    const at = (minute: number) =>
      new Date(Date.parse('2026-11-29T20:00:00Z') + minute * 60_000).toISOString();
    await env.consume(
      kinesisEvent([kinesisRecord([makeEvent({ type: 'storage.snapshot', time: at(30), data: { gb: 5 } })])]),
    );
    await env.consume(
      kinesisEvent([kinesisRecord([makeEvent({ type: 'storage.snapshot', time: at(10), data: { gb: 9 } })])]),
    );
    await env.consume(
      kinesisEvent([kinesisRecord([makeEvent({ type: 'storage.snapshot', time: at(20), data: { gb: 7 } })])]),
    );
    const [peak] = await env.items('R#acme#storage.snapshot||peak_gb');
    const [last] = await env.items('R#acme#storage.snapshot||last_gb');
    expect(peak?.m_peak_gb?.N).toBe('9');
    expect(last?.m_last_gb?.N).toBe('5'); // the value at 20:30, the latest event time
  });

  it('keeps counting when distinct values outgrow their item, and flags the distinct count', async () => {
    // 2,200 distinct agents of ~200 characters: more than one 400 KB item can hold.
    const time = new Date(ARRIVAL_MS - 3 * 3_600_000).toISOString();
    const records = Array.from({ length: 22 }, (_, r) =>
      kinesisRecord(
        Array.from({ length: 100 }, (_, i) =>
          makeEvent({
            subject: 'acme',
            time,
            data: { model: 'wide', workspace: 'w', input_tokens: 1, agent: `${r}-${i}-${'a'.repeat(200)}` },
          }),
        ),
      ),
    );
    expect(await env.consume(kinesisEvent(records))).toEqual({ batchItemFailures: [] });
    const [agents] = (await env.items('R#acme#llm.completion|')).filter((i) =>
      i.windowStart?.S?.startsWith(time.slice(0, 13)),
    );
    expect(agents?.o_agents?.S).toBe('1');
    expect(agents?.u_agents).toBeUndefined();
    // 22 × 100 events × 1 token: every other meter stays exact
    const tokens = (await env.items('R#acme#llm.completion|model,workspace')).filter(
      (i) => i.group?.M?.model?.S === 'wide',
    );
    expect(tokens.map((i) => i.m_input_tokens?.N)).toEqual(['2200']);
    // The usage API says the distinct count is a lower bound.
    const report = await queryUsage(
      new DynamoDbUsageReader(env.stack.dynamodb, env.stack.tables.usage),
      compileCatalog(TEST_CATALOG),
      { tenant: 'acme', meter: 'agents', from: time, to: new Date(ARRIVAL_MS).toISOString() },
      ARRIVAL_MS,
    );
    expect(report.approximate).toBe(true);
  });
});
