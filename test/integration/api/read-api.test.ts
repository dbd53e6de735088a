import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../../functions/adapters/blob/file-blob-store.js';
import type { DynamoDbConfigStore } from '../../../functions/adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbIngestKeyStore } from '../../../functions/adapters/dynamodb/dynamodb-ingest-key-store.js';
import { DynamoDbQuarantineReader } from '../../../functions/adapters/dynamodb/dynamodb-quarantine-reader.js';
import { DynamoDbQuarantineStore } from '../../../functions/adapters/dynamodb/dynamodb-quarantine-store.js';
import { DynamoDbUsageReader } from '../../../functions/adapters/dynamodb/dynamodb-usage-reader.js';
import { KinesisStreamWriter } from '../../../functions/adapters/kinesis/kinesis-stream-writer.js';
import type { ApiDeps } from '../../../functions/api/api-types.js';
import { type ApiServer, startApiServer } from '../../../functions/api/local-server.js';
import { catalogToDocument } from '../../../shared/catalog/load-catalog.js';
import type { QuarantineEntry } from '../../../shared/metering/ports.js';
import { redriveQuarantined } from '../../../shared/quarantine/redrive-quarantined.js';
import { ARRIVAL_MS, kinesisEvent, kinesisRecord, makeEvent } from '../../factories/events.js';
import { createTestStack, type TestStack } from '../support/local-stack.js';
import { createMeteringEnv, type MeteringEnv, TEST_CATALOG } from '../support/metering-env.js';

const ADMIN = 'integration-admin-token';
const silent = { info: () => {}, error: () => {} };

function apiDeps(stack: TestStack, config: DynamoDbConfigStore): ApiDeps {
  const blobs = new FileBlobStore(join(tmpdir(), `tollgate-api-${stack.tablePrefix}`));
  return {
    config,
    ingestKeys: new DynamoDbIngestKeyStore(stack.dynamodb, stack.tables.config),
    usage: new DynamoDbUsageReader(stack.dynamodb, stack.tables.usage),
    quarantine: new DynamoDbQuarantineReader(stack.dynamodb, stack.tables.quarantine),
    redrive: {
      blobs,
      stream: new KinesisStreamWriter(stack.kinesis, { stream: stack.streamName }),
      marker: new DynamoDbQuarantineStore(stack.dynamodb, stack.tables.quarantine, blobs),
    },
    adminToken: ADMIN,
    // 2026-11-29T21:05:05.123Z: the default event time plus a minute.
    clock: () => ARRIVAL_MS,
    logger: silent,
  };
}

async function call(
  server: ApiServer,
  path: string,
  init: { token?: string; method?: string; body?: unknown } = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? ADMIN}` },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check
  return { status: response.status, json: (await response.json()) as any };
}

/** Items in the documented format (docs/data-model.md). */
function rollupItem(
  tenant: string,
  rollupId: string,
  windowStart: string,
  group: Record<string, string>,
  attributes: Record<string, AttributeValue>,
): Record<string, AttributeValue> {
  const groupKey = Object.keys(group)
    .sort()
    .map((name) => `${name}=${encodeURIComponent(group[name] ?? '')}`)
    .join('&');
  return {
    pk: { S: `R#${tenant}#${rollupId}` },
    sk: { S: `${windowStart}#${groupKey}` },
    tenant: { S: tenant },
    rollup: { S: rollupId },
    windowStart: { S: windowStart },
    group: { M: Object.fromEntries(Object.entries(group).map(([k, v]) => [k, { S: v }])) },
    'h_shardId-000000000000_initech': { S: `${'0'.repeat(63)}1` },
    ...attributes,
  };
}

function entitlementItem(
  tenant: string,
  key: string,
  periodStart: string,
  periodEnd: string,
  workspace: string,
  counts: { used: string; rejected?: string; emitted?: string[] },
): Record<string, AttributeValue> {
  return {
    pk: { S: `E#${tenant}` },
    sk: { S: `${key}#${periodStart}#workspace=${encodeURIComponent(workspace)}` },
    tenant: { S: tenant },
    entitlement: { S: key },
    meter: { S: 'input_tokens' },
    mode: { S: 'hard' },
    periodStart: { S: periodStart },
    periodEnd: { S: periodEnd },
    scope: { M: { workspace: { S: workspace } } },
    used: { N: counts.used },
    limit: { N: '1000' },
    ...(counts.rejected === undefined ? {} : { rejected: { N: counts.rejected } }),
    ...(counts.emitted === undefined ? {} : { emitted: { NS: counts.emitted } }),
  };
}

const H20 = '2026-11-29T20:00:00.000Z';
const H21 = '2026-11-29T21:00:00.000Z';
const DAY = '2026-11-29T00:00:00.000Z';
const TOKENS = 'llm.completion|model,workspace';

describe('the read API on DynamoDB Local', () => {
  let env: MeteringEnv;
  let server: ApiServer;

  beforeAll(async () => {
    env = await createMeteringEnv();
    server = await startApiServer({ port: 0, deps: apiDeps(env.stack, env.deps.config) });
    const items = [
      rollupItem(
        'initech',
        TOKENS,
        '2026-11-28T23:00:00.000Z',
        { model: 'o3', workspace: 'w2' },
        { m_input_tokens: { N: '7' } },
      ),
      rollupItem(
        'initech',
        TOKENS,
        H20,
        { model: 'gpt-4o', workspace: 'w1' },
        { m_input_tokens: { N: '600' }, m_output_tokens: { N: '60' } },
      ),
      rollupItem(
        'initech',
        TOKENS,
        H21,
        { model: 'gpt-4o', workspace: 'w1' },
        { m_input_tokens: { N: '400.5' } },
      ),
      rollupItem('initech', TOKENS, H21, { model: 'o3', workspace: 'w2' }, { m_input_tokens: { N: '250' } }),
      rollupItem('initech', 'llm.completion|', H20, {}, { u_agents: { SS: ['a1', 'a2'] } }),
      rollupItem('initech', 'llm.completion|', H21, {}, { u_agents: { SS: ['a2', 'a3'] } }),
      rollupItem('initech', 'storage.snapshot||peak_gb', H20, {}, { m_peak_gb: { N: '10' } }),
      rollupItem('initech', 'storage.snapshot||peak_gb', H21, {}, { m_peak_gb: { N: '12.5' } }),
      rollupItem(
        'initech',
        'storage.snapshot||last_gb',
        H20,
        {},
        { m_last_gb: { N: '9' }, t_last_gb: { S: '2026-11-29T20:59:00Z' } },
      ),
      rollupItem(
        'initech',
        'storage.snapshot||last_gb',
        H21,
        {},
        { m_last_gb: { N: '4' }, t_last_gb: { S: '2026-11-29T21:01:00Z' } },
      ),
      entitlementItem('initech', 'daily-ws-input', DAY, '2026-11-30T00:00:00.000Z', 'w1', {
        used: '1000',
        rejected: '0.5',
        emitted: ['80', '100'],
      }),
      entitlementItem('initech', 'daily-ws-input', DAY, '2026-11-30T00:00:00.000Z', 'w2', { used: '250' }),
      entitlementItem('initech', 'daily-ws-input', '2026-11-28T00:00:00.000Z', DAY, 'w2', { used: '7' }),
    ];
    for (const Item of items)
      await env.stack.dynamodb.send(new PutItemCommand({ TableName: env.stack.tables.usage, Item }));
  });

  afterAll(async () => {
    await server.close();
    await env.dispose();
  });

  const usageCases: Array<
    [query: string, total: string, rows: Array<[string, Record<string, string>, string]>]
  > = [
    [
      'meter=input_tokens&from=2026-11-28&to=2026-11-30&windowSize=DAY&groupBy=workspace',
      '1257.5', // 7 + 600 + 400.5 + 250
      [
        ['2026-11-28T00:00:00.000Z', { workspace: 'w2' }, '7'],
        [DAY, { workspace: 'w1' }, '1000.5'], // 600 + 400.5
        [DAY, { workspace: 'w2' }, '250'],
      ],
    ],
    [
      'meter=input_tokens&from=2026-11-29T00:00:00Z&to=2026-11-30T00:00:00Z',
      '1250.5', // 600 + 400.5 + 250
      [
        [H20, {}, '600'],
        [H21, {}, '650.5'], // 400.5 + 250
      ],
    ],
    ['meter=output_tokens&from=2026-11-29&to=2026-11-30&windowSize=DAY', '60', [[DAY, {}, '60']]],
    [
      'meter=agents&from=2026-11-29&to=2026-11-30&windowSize=DAY',
      '3', // |{a1, a2} ∪ {a2, a3}|, not 2 + 2
      [[DAY, {}, '3']],
    ],
    [
      'meter=agents&from=2026-11-29&to=2026-11-30',
      '3',
      [
        [H20, {}, '2'],
        [H21, {}, '2'],
      ],
    ],
    ['meter=peak_gb&from=2026-11-29&to=2026-11-30&windowSize=DAY', '12.5', [[DAY, {}, '12.5']]], // max(10, 12.5)
    ['meter=last_gb&from=2026-11-29&to=2026-11-30&windowSize=DAY', '4', [[DAY, {}, '4']]], // 21:01 is later than 20:59
  ];

  it.each(usageCases)('answers usage for %s', async (query, total, rows) => {
    const { status, json } = await call(server, `/v1/tenants/initech/usage?${query}`);
    expect(status).toBe(200);
    expect(json.total).toBe(total);
    expect(
      json.rows.map((r: { windowStart: string; group: object; value: string }) => [
        r.windowStart,
        r.group,
        r.value,
      ]),
    ).toEqual(rows);
  });

  it('answers the entitlements of a scoped plan, one entry per workspace this period', async () => {
    const { status, json } = await call(server, '/v1/tenants/initech/entitlements');
    expect(status).toBe(200);
    expect(json.entitlements).toEqual([
      expect.objectContaining({
        entitlement: 'daily-ws-input',
        scope: { workspace: 'w1' },
        period: { kind: 'DAY', start: DAY, end: '2026-11-30T00:00:00.000Z' },
        limit: '1000',
        used: '1000',
        remaining: '0',
        rejected: '0.5',
        blocked: true,
        thresholdsReached: [80, 100],
      }),
      expect.objectContaining({ scope: { workspace: 'w2' }, used: '250', remaining: '750', blocked: false }), // 1000 − 250
    ]);
  });

  it('lets a tenant token read its own tenant only', async () => {
    const created = await call(server, '/v1/tenants/initech/tokens', {
      method: 'POST',
      body: { label: 'it' },
    });
    expect(created.status).toBe(201);
    const token: string = created.json.token;
    expect((await call(server, '/v1/tenants/initech/usage?meter=agents', { token })).status).toBe(200);
    expect((await call(server, '/v1/tenants/acme/usage?meter=agents', { token })).status).toBe(403);
    expect((await call(server, '/v1/tenants/initech', { token })).status).toBe(403);
    expect(
      (await call(server, '/v1/tenants/initech/usage?meter=agents', { token: `${token}x` })).status,
    ).toBe(401);
  });

  it('manages tenants and catalog versions through the config table', async () => {
    expect((await call(server, '/v1/health')).json).toEqual({ status: 'ok', catalogVersion: 1 });
    const put = await call(server, '/v1/tenants/newco', {
      method: 'PUT',
      body: { plan: 'capped', overrides: { 'monthly-input': { limit: '123.45' } } },
    });
    expect(put.status).toBe(201);
    const got = await call(server, '/v1/tenants/newco');
    expect(got.json.entitlements).toEqual([
      expect.objectContaining({ key: 'monthly-input', limit: '123.45', overridden: true }),
    ]);
    const renamed = {
      ...TEST_CATALOG,
      meters: TEST_CATALOG.meters.map((m) => (m.key === 'calls' ? { ...m, name: 'Inference calls' } : m)),
    };
    const published = await call(server, '/v1/catalog', { method: 'POST', body: catalogToDocument(renamed) });
    expect(published).toMatchObject({ status: 201, json: { version: 2, created: true } });
    expect((await call(server, '/v1/catalog/versions/1/activate', { method: 'POST' })).status).toBe(200);
    const versions = await call(server, '/v1/catalog/versions');
    expect(
      versions.json.versions.map((v: { version: number; active: boolean }) => [v.version, v.active]),
    ).toEqual([
      [2, false],
      [1, true],
    ]);
  });

  it('reads what the consumer wrote: usage, soft overage and the quarantine', async () => {
    const events = [
      makeEvent({ subject: 'acme', data: { model: 'm', workspace: 'w', input_tokens: 3000, agent: 'x' } }),
      makeEvent({ subject: 'acme', data: { model: 'm', workspace: 'w', input_tokens: 3000, agent: 'y' } }),
    ];
    const stray = makeEvent({ subject: 'nobody' });
    expect(await env.consume(kinesisEvent([kinesisRecord(events), kinesisRecord([stray])]))).toEqual({
      batchItemFailures: [],
    });

    const usage = await call(
      server,
      '/v1/tenants/acme/usage?meter=input_tokens&from=2026-11-29&to=2026-11-30&windowSize=DAY',
    );
    expect(usage.json.total).toBe('6000'); // 3000 + 3000
    const entitlements = await call(server, '/v1/tenants/acme/entitlements');
    expect(entitlements.json.entitlements).toEqual([
      expect.objectContaining({
        entitlement: 'monthly-input',
        used: '5000',
        overage: '1000',
        remaining: '0',
        blocked: false,
      }),
    ]);
    const quarantine = await call(server, '/v1/quarantine?tenant=nobody');
    expect(quarantine.json.entries).toEqual([
      expect.objectContaining({
        tenant: 'nobody',
        reason: 'unknown_tenant',
        eventId: stray.id,
        eventType: 'llm.completion',
      }),
    ]);
    expect(JSON.parse(Buffer.from(quarantine.json.entries[0].bytes, 'base64').toString()).id).toBe(stray.id);
  });
});

describe('the quarantine reader on DynamoDB Local', () => {
  let stack: TestStack;
  let reader: DynamoDbQuarantineReader;
  const entries: QuarantineEntry[] = [];

  function entry(
    tenant: string,
    reason: 'invalid_json' | 'unknown_tenant',
    minute: number,
    bytes = 10,
  ): QuarantineEntry {
    return {
      tenant,
      reason,
      message: `${reason} at ${minute}`,
      partitionKey: tenant,
      shardId: 'shardId-000000000000',
      sequenceNumber: String(1000 + minute),
      subIndex: 0,
      eventIndex: -1,
      receivedAt: `2026-11-29T21:${String(minute).padStart(2, '0')}:00.000Z`,
      bytes: new Uint8Array(bytes).fill(65),
    };
  }

  beforeAll(async () => {
    stack = await createTestStack({ shardCount: 1 });
    reader = new DynamoDbQuarantineReader(stack.dynamodb, stack.tables.quarantine);
    entries.push(
      entry('p1', 'invalid_json', 1),
      entry('p2', 'unknown_tenant', 2),
      entry('p1', 'unknown_tenant', 3),
      entry('p1', 'invalid_json', 4, 70 * 1024), // above the inline limit: kept in the blob store
      entry('p2', 'invalid_json', 5),
      entry('p1', 'unknown_tenant', 6),
      entry('p2', 'unknown_tenant', 7),
    );
    const blobs = new FileBlobStore(join(await mkdtemp(join(tmpdir(), 'tollgate-q-')), 'blobs'));
    const results = await new DynamoDbQuarantineStore(stack.dynamodb, stack.tables.quarantine, blobs).put(
      entries,
    );
    expect(results.every((r) => r.ok)).toBe(true);
  });

  afterAll(async () => {
    await stack.dispose();
  });

  async function allPages(
    query: { tenant?: string; reason?: 'invalid_json' | 'unknown_tenant' },
    limit: number,
  ) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.list({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page.entries.map((e) => e.message));
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 10);
    return pages;
  }

  const cases: Array<
    [name: string, query: { tenant?: string; reason?: 'invalid_json' | 'unknown_tenant' }, pages: string[][]]
  > = [
    [
      'by tenant',
      { tenant: 'p1' },
      [
        ['unknown_tenant at 6', 'invalid_json at 4'],
        ['unknown_tenant at 3', 'invalid_json at 1'],
      ],
    ],
    [
      'by reason, across tenants',
      { reason: 'unknown_tenant' },
      [
        ['unknown_tenant at 7', 'unknown_tenant at 6'],
        ['unknown_tenant at 3', 'unknown_tenant at 2'],
      ],
    ],
    [
      'by tenant and reason',
      { tenant: 'p1', reason: 'invalid_json' },
      [['invalid_json at 4', 'invalid_json at 1']],
    ],
    [
      'everything',
      {},
      [
        ['unknown_tenant at 7', 'unknown_tenant at 6'],
        ['invalid_json at 5', 'invalid_json at 4'],
        ['unknown_tenant at 3', 'unknown_tenant at 2'],
        ['invalid_json at 1'],
      ],
    ],
  ];

  it.each(cases)('pages %s newest first, each entry once', async (_name, query, pages) => {
    expect(await allPages(query, 2)).toEqual(pages);
  });

  it('returns small bytes inline and names the blob of large ones', async () => {
    const page = await reader.list({ tenant: 'p1', reason: 'invalid_json', limit: 10 });
    expect(page.entries.map((e) => [e.size, e.bytes?.byteLength, e.blobKey !== undefined])).toEqual([
      [70 * 1024, undefined, true],
      [10, 10, false],
    ]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('refuses a cursor from another listing', async () => {
    const first = await reader.list({ tenant: 'p1', limit: 1 });
    await expect(
      reader.list({ tenant: 'p2', limit: 1, cursor: first.nextCursor ?? '' }),
    ).rejects.toMatchObject({
      code: 'invalid_cursor',
      field: 'cursor',
    });
  });
});

describe('re-driving quarantine entries on DynamoDB Local and the Kinesis emulator', () => {
  let stack: TestStack;
  let reader: DynamoDbQuarantineReader;
  let store: DynamoDbQuarantineStore;
  let blobs: FileBlobStore;

  function entry(tenant: string, minute: number): QuarantineEntry {
    return {
      tenant,
      reason: 'unknown_tenant',
      message: `unknown_tenant at ${minute}`,
      partitionKey: tenant,
      shardId: 'shardId-000000000000',
      sequenceNumber: String(2000 + minute),
      subIndex: 0,
      eventIndex: 0,
      receivedAt: `2026-11-29T22:${String(minute).padStart(2, '0')}:00.000Z`,
      bytes: new Uint8Array(10).fill(66),
    };
  }

  beforeAll(async () => {
    stack = await createTestStack({ shardCount: 1 });
    reader = new DynamoDbQuarantineReader(stack.dynamodb, stack.tables.quarantine);
    blobs = new FileBlobStore(join(await mkdtemp(join(tmpdir(), 'tollgate-q-')), 'blobs'));
    store = new DynamoDbQuarantineStore(stack.dynamodb, stack.tables.quarantine, blobs);
    const results = await store.put([entry('r1', 1), entry('r1', 2), entry('r2', 3)]);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  afterAll(async () => {
    await stack.dispose();
  });

  it('sets redrivenAt on a listed entry, and a listing that excludes re-driven entries leaves it out', async () => {
    const [newest] = (await reader.list({ tenant: 'r1', limit: 1 })).entries;
    expect(await store.markRedriven(newest!, '2026-12-01T09:00:00.000Z')).toBe(true);

    const all = await reader.list({ tenant: 'r1', limit: 10 });
    expect(all.entries.map((e) => [e.message, e.redrivenAt])).toEqual([
      ['unknown_tenant at 2', '2026-12-01T09:00:00.000Z'],
      ['unknown_tenant at 1', undefined],
    ]);
    const byTenant = await reader.list({ tenant: 'r1', limit: 10, excludeRedriven: true });
    expect(byTenant.entries.map((e) => e.message)).toEqual(['unknown_tenant at 1']);
    const byReason = await reader.list({ reason: 'unknown_tenant', limit: 10, excludeRedriven: true });
    expect(byReason.entries.map((e) => e.message)).toEqual(['unknown_tenant at 3', 'unknown_tenant at 1']);
  });

  it('re-drives a large entry from the blob store onto the stream, where it lands with its partition key', async () => {
    const large = { ...entry('r4', 5), partitionKey: 'r4#2', bytes: new Uint8Array(70 * 1024).fill(67) };
    expect((await store.put([large]))[0]?.ok).toBe(true);
    const report = await redriveQuarantined(
      {
        quarantine: reader,
        blobs,
        stream: new KinesisStreamWriter(stack.kinesis, { stream: stack.streamName }),
        marker: store,
        clock: () => Date.parse('2026-12-01T09:00:00.000Z'),
      },
      { tenant: 'r4', limit: 10 },
    );
    expect(report.entries.map((e) => [e.status, e.entry.blobKey !== undefined])).toEqual([
      ['redriven', true],
    ]);
    const landed = report.entries[0]!.record!;
    const { ShardIterator } = await stack.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: stack.streamName,
        ShardId: landed.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: landed.sequenceNumber,
      }),
    );
    const { Records } = await stack.kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    expect(
      Records?.map((r) => [r.PartitionKey, Buffer.from(r.Data!).equals(Buffer.from(large.bytes))]),
    ).toEqual([['r4#2', true]]);
  });

  it('does not create an entry that does not exist', async () => {
    expect(await store.markRedriven(entry('r3', 9), '2026-12-01T09:00:00.000Z')).toBe(false);
    expect((await reader.list({ tenant: 'r3', limit: 10 })).entries).toEqual([]);
  });
});
