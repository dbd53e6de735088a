import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeIo, LOCAL_STATUS, run, wireEvent } from './cli-fakes.js';

const kinesis = mockClient(KinesisClient);

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
    FailedRecordCount: 0,
    Records: input.Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
  }));
});

describe('argument validation', () => {
  const cases: Array<[argv: string[], names: string]> = [
    [['usage', 'acme'], '--meter'],
    [['usage', 'a b', '--meter', 'm'], "'tenant'"],
    [['usage', 'acme', '--meter', 'm', '--from', 'yesterday'], '--from'],
    [['usage', 'acme', '--meter', 'm', '--to', '2026-11-31'], '--to'],
    [['usage', 'acme', '--meter', 'm', '--window-size', 'WEEK'], '--window-size'],
    [['usage', 'acme', '--meter', 'm', '--group-by', 'model,,x'], '--group-by'],
    [['usage', 'acme', '--meter', 'm', '--api-url', 'ftp://x', '--token', 't'], '--api-url'],
    [['quarantine', '--limit', '0'], '--limit'],
    [['quarantine', '--limit', '501'], '--limit'],
    [['quarantine', '--reason', 'bad'], '--reason'],
    [['quarantine', '--tenant', 'a/b'], '--tenant'],
    [['quarantine', '--cursor', '!!'], '--cursor'],
    [['quarantine', 'redrive', '--limit', '0'], '--limit'],
    [['quarantine', 'redrive', '--limit', '501'], '--limit'],
    [['quarantine', 'redrive', '--reason', 'bad'], '--reason'],
    [['quarantine', 'redrive', '--tenant', 'a/b'], '--tenant'],
    [['quarantine', '--limit', '5', 'redrive'], '--limit'],
    [['tenants', 'put', 'acme'], '--plan'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--override', 'monthly'], '--override'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--override', 'monthly=-5'], '--override'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--override', 'a=1', '--override', 'a=2'], '--override'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--billing-anchor', '2026-02-30'], '--billing-anchor'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--billing-start', '2026-13-01'], '--billing-start'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--grace-hours', '721'], '--grace-hours'],
    [['alerts', 'list', '--state', 'closed'], '--state'],
    [['alerts', 'list', '--limit', '101'], '--limit'],
    [['alerts', 'list', '--tenant', 'a/b'], '--tenant'],
    [['alerts', 'ack', 'al_nope', '--by', 'me'], 'id'],
    [['tenants', 'put', 'acme', '--plan', 'pro', '--grace-hours', '-1'], '--grace-hours'],
    [['tokens', 'create', 'acme', '--label', ''], '--label'],
    [['catalog', 'activate', 'v2'], "'version'"],
    [['catalog', 'push', 'missing.yaml'], '[file]'],
    [['send', '--partition-key-salt', '0'], '--partition-key-salt'],
    [['send', 'missing.ndjson'], '[file]'],
    [['send', '--stream', 'bad name!'], '--stream'],
    [['usage', 'acme', '--meter', 'm'], '--api-url'],
    [['status', '--bogus'], '--bogus'],
  ];

  it.each(cases)('tollgate %j exits 2 naming %s', async (argv, name) => {
    const io = fakeIo({ stdin: JSON.stringify(wireEvent('acme', '1')) });
    const result = await run(argv, io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(name);
    expect(io.requests).toEqual([]);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });
});

describe('tollgate send', () => {
  const status = { '.tollgate/status.json': LOCAL_STATUS };

  it('validates every event, reports each bad one by field, and sends nothing', async () => {
    const ndjson = [
      JSON.stringify(wireEvent('acme', '1')),
      JSON.stringify(wireEvent('acme', '2', { input_tokens: -3 })),
      '{"id": ',
      JSON.stringify({ ...wireEvent('acme', '4'), subject: undefined }),
    ].join('\n');
    const result = await run(
      ['send', 'events.ndjson'],
      fakeIo({ files: { ...status, 'events.ndjson': ndjson } }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 3: not valid JSON');
    expect(result.stderr).toContain('event 2 (line 2): data.input_tokens: must not be negative');
    expect(result.stderr).toContain('event 3 (line 4): subject: is required');
    expect(result.stderr).toContain('3 of 4 events are invalid; nothing was sent');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('sends the valid events with --skip-invalid', async () => {
    const events = [
      wireEvent('acme', '1'),
      wireEvent('acme', '2', { input_tokens: -1 }),
      wireEvent('globex', '3'),
    ];
    const io = fakeIo({ files: status, stdin: JSON.stringify(events) });
    const result = await run(['send', '-', '--skip-invalid'], io);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sent 2 events in 2 records');
    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamName).toBe('tollgate-usage-events');
    expect(
      input?.Records?.map((r) => [
        r.PartitionKey,
        JSON.parse(Buffer.from(r.Data ?? []).toString()).map((e: { id: string }) => e.id),
      ]),
    ).toEqual([
      ['acme', ['1']],
      ['globex', ['3']],
    ]);
  });

  it('takes the stream from flags over the environment and the status file', async () => {
    const io = fakeIo({
      files: status,
      env: { TOLLGATE_STREAM: 'from-env', TOLLGATE_KINESIS_ENDPOINT: 'http://127.0.0.1:1' },
      stdin: JSON.stringify(wireEvent('acme', '1')),
    });
    const result = await run(['send', '--stream', 'from-flag', '--json'], io);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      sent: true,
      stream: 'from-flag',
      events: 1,
      records: 1,
      failed: 0,
    });
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe('from-flag');
  });

  it('salts partition keys with --partition-key-salt', async () => {
    const events = Array.from({ length: 3 }, (_, i) =>
      wireEvent('acme', String(i), { input_tokens: 1, pad: 'x'.repeat(200) }),
    );
    const io = fakeIo({ files: status, stdin: events.map((e) => JSON.stringify(e)).join('\n') });
    expect((await run(['send', '--partition-key-salt', '4'], io)).code).toBe(0);
    expect(
      kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.Records?.map((r) => r.PartitionKey),
    ).toEqual(['acme#0']);
  });

  it('exits 1 when records stay refused after retries', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolves({ FailedRecordCount: 1, Records: [{ ErrorCode: 'InternalFailure' }] });
    const io = fakeIo({ files: status, stdin: JSON.stringify(wireEvent('acme', '1')) });
    const result = await run(['send'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('1 events were not delivered after retries (InternalFailure ×1)');
    expect(io.sleeps).toHaveLength(7); // 8 attempts
  });

  it('needs a region on AWS (no endpoint)', async () => {
    const io = fakeIo({ stdin: JSON.stringify(wireEvent('acme', '1')) });
    const result = await run(['send', '--stream', 'usage'], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--region');
  });
});

describe('API commands', () => {
  const quarantined = {
    receivedAt: '2026-11-29T21:05:00.000Z',
    tenant: 'newco',
    reason: 'unknown_tenant',
    field: 'subject',
    eventId: '01JDZ4V7K3Q8',
    message: 'subject: tenant "newco" has not been set up',
  };
  const usageAnswer = {
    tenant: 'acme',
    meter: 'input_tokens',
    unit: 'tokens',
    aggregation: 'SUM',
    windowSize: 'DAY',
    groupBy: ['model'],
    from: '2026-11-29T00:00:00.000Z',
    to: '2026-11-30T00:00:00.000Z',
    total: '1500.25',
    rows: [
      {
        windowStart: '2026-11-29T00:00:00.000Z',
        windowEnd: '2026-11-30T00:00:00.000Z',
        group: { model: 'gpt-4o' },
        value: '1500',
      },
      {
        windowStart: '2026-11-29T00:00:00.000Z',
        windowEnd: '2026-11-30T00:00:00.000Z',
        group: { model: 'mini' },
        value: '0.25',
      },
    ],
  };

  it('prints usage as a table, using the local runtime from the status file', async () => {
    const io = fakeIo({ files: { '.tollgate/status.json': LOCAL_STATUS }, api: () => [200, usageAnswer] });
    const result = await run(
      [
        'usage',
        'acme',
        '--meter',
        'input_tokens',
        '--from',
        '2026-11-29',
        '--to',
        '2026-11-30',
        '--group-by',
        'model',
        '--window-size',
        'day',
      ],
      io,
    );
    expect(result.code).toBe(0);
    expect(io.requests[0]?.url).toBe(
      'http://127.0.0.1:4000/v1/tenants/acme/usage?meter=input_tokens&from=2026-11-29&to=2026-11-30&groupBy=model&windowSize=DAY',
    );
    expect(io.requests[0]?.headers.authorization).toBe('Bearer local-admin-token');
    expect(result.stdout).toBe(
      [
        'input_tokens (SUM, tokens) of acme from 2026-11-29T00:00:00.000Z to 2026-11-30T00:00:00.000Z, per DAY',
        'WINDOW                    MODEL   VALUE',
        '2026-11-29T00:00:00.000Z  gpt-4o  1500',
        '2026-11-29T00:00:00.000Z  mini    0.25',
        'total 1500.25 tokens',
        '',
      ].join('\n'),
    );
  });

  it("prints the API's JSON with --json, with the token from the environment", async () => {
    const io = fakeIo({
      env: { TOLLGATE_API_URL: 'https://api.example.com/', TOLLGATE_TOKEN: 'tg_t_x' },
      api: () => [200, usageAnswer],
    });
    const result = await run(['usage', 'acme', '--meter', 'input_tokens', '--json'], io);
    expect(JSON.parse(result.stdout)).toEqual(usageAnswer);
    expect(io.requests[0]?.url.startsWith('https://api.example.com/v1/tenants/acme/usage?')).toBe(true);
    expect(io.requests[0]?.headers.authorization).toBe('Bearer tg_t_x');
  });

  it('turns an API error about a parameter into a usage error naming the flag', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [
        404,
        {
          error: {
            code: 'unknown_meter',
            message: 'meter: unknown meter "gpu" (meters: a, b)',
            field: 'meter',
          },
        },
      ],
    });
    const result = await run(['usage', 'acme', '--meter', 'gpu'], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --meter: unknown meter "gpu" (meters: a, b) (unknown_meter)\n');
  });

  it('reports other API errors with their status and code (exit 1)', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [
        403,
        {
          error: {
            code: 'forbidden',
            message: 'tenant: this token may only read tenant "globex"',
            field: 'tenant',
          },
        },
      ],
    });
    const result = await run(['entitlements', 'acme'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('403 forbidden: tenant: this token may only read tenant "globex"');
  });

  it('reports an unreachable API (exit 1)', async () => {
    const result = await run(
      ['catalog', 'list', '--api-url', 'http://127.0.0.1:9', '--token', 't'],
      fakeIo(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the API at http://127.0.0.1:9: connect ECONNREFUSED');
  });

  it('lists quarantine with its own flags, showing when an entry was re-driven', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [200, { entries: [{ ...quarantined, redrivenAt: '2026-11-30T08:00:00.000Z' }] }],
    });
    const result = await run(['quarantine', '--tenant', 'newco', '--limit', '5'], io);
    expect(result.code).toBe(0);
    expect(io.requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', 'http://127.0.0.1:4000/v1/quarantine?tenant=newco&limit=5'],
    ]);
    expect(result.stdout.split('\n')[1]).toContain('2026-11-30T08:00:00.000Z');
  });

  it('re-drives with quarantine redrive, sending its flags as the body', async () => {
    const answer = {
      dryRun: false,
      matched: 1,
      redriven: 1,
      failed: 0,
      entries: [{ entry: quarantined, status: 'redriven', redrivenAt: '2026-11-30T08:00:00.000Z' }],
    };
    const io = fakeIo({ files: { '.tollgate/status.json': LOCAL_STATUS }, api: () => [200, answer] });
    const result = await run(
      ['quarantine', 'redrive', '--tenant', 'newco', '--reason', 'unknown_tenant', '--limit', '20'],
      io,
    );
    expect(result.code).toBe(0);
    expect(io.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: 'http://127.0.0.1:4000/v1/quarantine/redrive',
        body: { tenant: 'newco', reason: 'unknown_tenant', limit: 20 },
      }),
    ]);
    expect(result.stdout).toContain('re-drove 1 of 1 entries to the stream; 0 failed');
    expect(result.stdout).toMatch(/newco\s+unknown_tenant\s+01JDZ4V7K3Q8\s+redriven/);
  });

  it('asks for a dry run with --dry-run and prints the JSON answer with --json', async () => {
    const answer = { dryRun: true, matched: 0, redriven: 0, failed: 0, entries: [] };
    const io = fakeIo({ files: { '.tollgate/status.json': LOCAL_STATUS }, api: () => [200, answer] });
    const result = await run(['quarantine', 'redrive', '--dry-run', '--json'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]?.body).toEqual({ dryRun: true });
    expect(JSON.parse(result.stdout)).toEqual(answer);
  });

  it('exits 1 when some entries could not be re-driven', async () => {
    const answer = {
      dryRun: false,
      matched: 1,
      redriven: 0,
      failed: 1,
      entries: [
        {
          entry: quarantined,
          status: 'failed',
          error: { code: 'bytes_missing', message: 'blob "k" is gone' },
        },
      ],
    };
    const io = fakeIo({ files: { '.tollgate/status.json': LOCAL_STATUS }, api: () => [200, answer] });
    const result = await run(['quarantine', 'redrive'], io);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('bytes_missing: blob "k" is gone');
    expect(result.stderr).toContain('1 entries could not be re-driven');
  });

  it('sends tenants put with exact limit overrides and a billing anchor', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [
        201,
        {
          tenant: 'acme',
          plan: 'pro',
          status: 'active',
          overrides: { 'monthly-input-tokens': { limit: '2000000.5' } },
          created: true,
        },
      ],
    });
    const result = await run(
      [
        'tenants',
        'put',
        'acme',
        '--plan',
        'pro',
        '--override',
        'monthly-input-tokens=2000000.50',
        '--billing-anchor',
        '2026-01-31',
      ],
      io,
    );
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'PUT',
      body: {
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: '2000000.5' } },
        billingAnchor: '2026-01-31',
      },
    });
    expect(result.stdout).toContain('created tenant acme');
  });

  it('validates the catalog file locally before pushing, naming keys', async () => {
    const io = fakeIo({
      files: {
        '.tollgate/status.json': LOCAL_STATUS,
        'config/catalog.yaml':
          'schemaVersion: 1\nmeters:\n  - key: tokens\n    name: T\n    unit: t\n    eventType: llm.completion\n    aggregation: AVG\nplans: []\n',
      },
      api: () => [201, {}],
    });
    const result = await run(['catalog', 'push'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('meters.tokens.aggregation: must be one of');
    expect(io.requests).toEqual([]);
  });

  it('pushes a valid catalog as its canonical document', async () => {
    const io = fakeIo({
      files: {
        '.tollgate/status.json': LOCAL_STATUS,
        'my-catalog.json': JSON.stringify({
          schemaVersion: 1,
          meters: [
            { key: 'calls', name: 'Calls', unit: 'calls', eventType: 'inference.call', aggregation: 'COUNT' },
          ],
          plans: [
            {
              key: 'free',
              name: 'Free',
              entitlements: [{ meter: 'calls', limit: 10, period: 'DAY', mode: 'hard' }],
            },
          ],
        }),
      },
      api: () => [201, { version: 3, hash: 'abcdef0123456789', created: true }],
    });
    const result = await run(['catalog', 'push', 'my-catalog.json'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]?.body).toMatchObject({
      plans: [{ entitlements: [{ key: 'calls', limit: '10', thresholds: [50, 80, 100] }] }],
    });
    expect(result.stdout).toBe('published catalog version 3 (sha256 abcdef012345); it is active\n');
  });

  it('prints a created token on stdout alone', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [201, { token: 'tg_t_abc', tenant: 'acme' }],
    });
    const result = await run(['tokens', 'create', 'acme', '--label', 'ci'], io);
    expect(result.stdout).toBe('tg_t_abc\n');
    expect(io.requests[0]?.body).toEqual({ label: 'ci' });
  });
});

describe('tollgate status', () => {
  it('prints the endpoints, not the token, and whether the API answers', async () => {
    const io = fakeIo({
      files: { '.tollgate/status.json': LOCAL_STATUS },
      api: () => [200, { status: 'ok', catalogVersion: 2 }],
    });
    const result = await run(['status'], io);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('apiUrl            http://127.0.0.1:4000');
    expect(result.stdout).toContain('streamName        tollgate-usage-events');
    expect(result.stdout).toContain('api               ok (catalog version 2)');
    expect(result.stdout).not.toContain('local-admin-token');
  });

  it('exits 1 when the API does not answer', async () => {
    const io = fakeIo({ files: { '.tollgate/status.json': LOCAL_STATUS } });
    const result = await run(['status', '--json'], io);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).api).toEqual({ ok: false, error: 'connect ECONNREFUSED' });
  });

  it('reads the status file under TOLLGATE_DATA_DIR', async () => {
    const io = fakeIo({
      env: { TOLLGATE_DATA_DIR: '/data' },
      files: { '/data/status.json': LOCAL_STATUS },
      api: () => [200, { status: 'ok', catalogVersion: null }],
    });
    expect((await run(['status'], io)).stdout).toContain('ok (catalog version none)');
  });
});
