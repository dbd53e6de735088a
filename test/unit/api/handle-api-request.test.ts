import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/api/auth.js';
import { catalogToDocument, parseCatalog } from '../../../shared/catalog/load-catalog.js';
import { quarantinedItem } from '../../support/in-memory-quarantine.js';
import { rollupRow, usageCatalog } from '../usage/usage-factory.js';
import { ACME_TOKEN, ADMIN_TOKEN, expectError, GLOBEX_TOKEN, type TestApi, testApi } from './api-fakes.js';

const catalog = usageCatalog.catalog;
let api: TestApi;

beforeEach(async () => {
  api = testApi(catalog);
  await api.config.putTenant({ tenant: 'acme', plan: 'pro', status: 'active' });
  await api.config.putTenant({ tenant: 'globex', plan: 'pro', status: 'active' });
});

describe('authentication and authorization', () => {
  type Who = 'admin' | 'own tenant' | 'other tenant' | 'no token' | 'bad token';
  const tokens: Record<Who, string | null> = {
    admin: ADMIN_TOKEN,
    'own tenant': ACME_TOKEN,
    'other tenant': GLOBEX_TOKEN,
    'no token': null,
    'bad token': 'tg_t_not-a-real-token',
  };
  const routes: Array<{
    route: string;
    method: string;
    path: string;
    query?: Record<string, string>;
    body?: unknown;
    expected: Record<Who, number>;
  }> = [
    {
      route: 'usage of acme',
      method: 'GET',
      path: '/v1/tenants/acme/usage',
      query: { meter: 'calls' },
      expected: { admin: 200, 'own tenant': 200, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'entitlements of acme',
      method: 'GET',
      path: '/v1/tenants/acme/entitlements',
      expected: { admin: 200, 'own tenant': 200, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'quarantine of acme',
      method: 'GET',
      path: '/v1/quarantine',
      query: { tenant: 'acme' },
      expected: { admin: 200, 'own tenant': 200, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'all quarantine',
      method: 'GET',
      path: '/v1/quarantine',
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 're-driving quarantine',
      method: 'POST',
      path: '/v1/quarantine/redrive',
      body: {},
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'the profile of acme',
      method: 'GET',
      path: '/v1/tenants/acme',
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'putting acme',
      method: 'PUT',
      path: '/v1/tenants/acme',
      body: { plan: 'pro' },
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'a token for acme',
      method: 'POST',
      path: '/v1/tenants/acme/tokens',
      expected: { admin: 201, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'the catalog',
      method: 'GET',
      path: '/v1/catalog',
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'catalog versions',
      method: 'GET',
      path: '/v1/catalog/versions',
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'publishing a catalog',
      method: 'POST',
      path: '/v1/catalog',
      body: catalogToDocument(catalog),
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'activating a version',
      method: 'POST',
      path: '/v1/catalog/versions/1/activate',
      expected: { admin: 200, 'own tenant': 403, 'other tenant': 403, 'no token': 401, 'bad token': 401 },
    },
    {
      route: 'health',
      method: 'GET',
      path: '/v1/health',
      expected: { admin: 200, 'own tenant': 200, 'other tenant': 200, 'no token': 200, 'bad token': 200 },
    },
  ];
  const cases = routes.flatMap((r) =>
    (Object.keys(tokens) as Who[]).map((who) => ({ ...r, who, status: r.expected[who] })),
  );

  it.each(cases)('$route as $who → $status', async ({ method, path, query, body, who, status }) => {
    const response = await api.call(method, path, {
      token: tokens[who],
      ...(query === undefined ? {} : { query }),
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(status);
    if (status === 401) {
      expectError(response, 401, who === 'no token' ? 'missing_token' : 'invalid_token', 'authorization');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    if (status === 403) {
      expect(response.json.error.code).toBe('forbidden');
      expect(['tenant', 'authorization']).toContain(response.json.error.field);
    }
  });

  it('rejects a malformed Authorization header', async () => {
    const response = await api.call('GET', '/v1/catalog', {
      token: null,
      headers: { authorization: 'Basic abc' },
    });
    expectError(response, 401, 'invalid_token', 'authorization');
  });

  it('accepts the admin token stored in the config table with role admin', async () => {
    api.config.tokens.set(sha256Hex('tg_a_ops'), { role: 'admin', label: 'ops', createdAt: '' });
    expect((await api.call('GET', '/v1/catalog', { token: 'tg_a_ops' })).status).toBe(200);
  });

  it('never writes a token to the logs', async () => {
    api.usage.failWith = new Error('boom');
    await api.call('GET', '/v1/tenants/acme/usage', { token: ACME_TOKEN, query: { meter: 'calls' } });
    await api.call('GET', '/v1/catalog', { token: 'tg_t_wrong' });
    const logged = JSON.stringify(api.logs, (_key, value) =>
      value instanceof Error ? value.message : value,
    );
    expect(logged).not.toContain(ACME_TOKEN);
    expect(logged).not.toContain('tg_t_wrong');
    expect(logged).not.toContain(ADMIN_TOKEN);
  });
});

describe('routing and bodies', () => {
  it('answers health without a token, with the active catalog version', async () => {
    const response = await api.call('GET', '/v1/health', { token: null });
    expect(response.json).toEqual({ status: 'ok', catalogVersion: 1 });
  });

  it('answers 404 naming the path for an unknown route', async () => {
    expectError(await api.call('GET', '/v1/nothing'), 404, 'not_found', 'path');
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const response = await api.call('DELETE', '/v1/tenants/acme');
    expectError(response, 405, 'method_not_allowed', 'method');
    expect(response.headers.allow).toBe('PUT, GET');
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const response = await api.call('PUT', '/v1/tenants/acme', { rawBody: `"${'x'.repeat(1024 * 1024)}"` });
    expectError(response, 413, 'payload_too_large', 'body');
  });

  it('answers 400 naming the body for invalid JSON and for a missing body', async () => {
    expectError(
      await api.call('PUT', '/v1/tenants/acme', { rawBody: '{"plan":' }),
      400,
      'invalid_json',
      'body',
    );
    expectError(await api.call('PUT', '/v1/tenants/acme'), 400, 'missing_body', 'body');
  });

  it('answers 400 naming the tenant for an invalid tenant id', async () => {
    expectError(await api.call('GET', '/v1/tenants/a%20b/usage'), 400, 'invalid_tenant', 'tenant');
    expectError(await api.call('GET', '/v1/tenants/%E0%A4%A/usage'), 400, 'invalid_path', 'path');
  });

  it('answers 500 with a generic message and logs the cause', async () => {
    api.usage.failWith = new Error('ProvisionedThroughputExceeded: secret detail');
    const response = await api.call('GET', '/v1/tenants/acme/usage', { query: { meter: 'calls' } });
    expect(response.status).toBe(500);
    expect(response.json.error.code).toBe('internal_error');
    expect(response.body).not.toContain('secret detail');
    expect(api.logs.find((l) => l.level === 'error')?.details.error).toBe(api.usage.failWith);
  });
});

describe('tenants', () => {
  it('creates a tenant with 201, updates it with 200, and keeps limits exact', async () => {
    const created = await api.call('PUT', '/v1/tenants/initech', {
      body: {
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: '2.5' } },
        billingAnchor: '2026-01-31',
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      tenant: 'initech',
      plan: 'pro',
      status: 'active',
      billingAnchor: '2026-01-31',
      // A new tenant is billed from the day it is set up (the API's clock).
      billingStart: '2026-11-30',
      overrides: { 'monthly-input-tokens': { limit: '2.5' } },
      created: true,
    });
    const updated = await api.call('PUT', '/v1/tenants/initech', { body: { plan: 'enterprise' } });
    expect(updated.status).toBe(200);
    expect(api.config.tenants.get('initech')?.plan).toBe('enterprise');
    // The change is kept so a period's invoice prorates plans by day; a change on the day the
    // tenant started replaces its first plan outright (pro applied for no whole day).
    expect(updated.json.planHistory).toEqual([{ plan: 'enterprise', from: '2026-11-30' }]);
    expect(updated.json.billingStart).toBe('2026-11-30');
  });

  const invalidBodies: Array<[name: string, body: unknown, field: string]> = [
    ['an unknown plan', { plan: 'platinum' }, 'plan'],
    ['a spend alert that is not an amount', { plan: 'pro', spendAlerts: ['500', 'lots'] }, 'spendAlerts[1]'],
    [
      'a negative override',
      { plan: 'pro', overrides: { 'monthly-input-tokens': { limit: -1 } } },
      'overrides.monthly-input-tokens.limit',
    ],
    [
      'an override of an entitlement the plan lacks',
      { plan: 'pro', overrides: { 'input-tokens': { limit: 1 } } },
      'overrides.input-tokens',
    ],
    ['a billing anchor that is not a date', { plan: 'pro', billingAnchor: '2026-02-30' }, 'billingAnchor'],
    ['an unknown property', { plan: 'pro', plna: 'x' }, 'plna'],
    ['no plan', {}, 'plan'],
  ];

  it.each(invalidBodies)('rejects %s with 400 naming the field', async (_name, body, field) => {
    const response = await api.call('PUT', '/v1/tenants/acme', { body });
    expectError(response, 400, 'invalid_tenant_profile', field);
    expect(response.json.error.issues[0].path).toBe(field);
  });

  it('answers 409 when no catalog is active', async () => {
    const empty = testApi(undefined);
    expectError(
      await empty.call('PUT', '/v1/tenants/acme', { body: { plan: 'pro' } }),
      409,
      'no_active_catalog',
      'catalog',
    );
  });

  it('returns a profile with its effective entitlements', async () => {
    await api.call('PUT', '/v1/tenants/acme', {
      body: { plan: 'pro', overrides: { 'daily-calls': { limit: 20 } } },
    });
    const response = await api.call('GET', '/v1/tenants/acme');
    expect(response.json.plan).toBe('pro');
    expect(
      response.json.entitlements.map((e: { key: string; limit: string; overridden: boolean }) => [
        e.key,
        e.limit,
        e.overridden,
      ]),
    ).toEqual([
      ['monthly-input-tokens', '1000', false],
      ['daily-calls', '20', true],
      ['workspace-daily-tokens', '500', false],
    ]);
  });

  it('answers 404 naming the tenant for an unknown tenant', async () => {
    expectError(await api.call('GET', '/v1/tenants/nobody'), 404, 'unknown_tenant', 'tenant');
    expectError(await api.call('GET', '/v1/tenants/nobody/entitlements'), 404, 'unknown_tenant', 'tenant');
    expectError(await api.call('POST', '/v1/tenants/nobody/tokens'), 404, 'unknown_tenant', 'tenant');
  });

  it('creates a tenant token shown once, stores only its hash, and the token reads its tenant', async () => {
    const response = await api.call('POST', '/v1/tenants/acme/tokens', { body: { label: 'ci' } });
    expect(response.status).toBe(201);
    const token: string = response.json.token;
    expect(token).toBe(`tg_t_${Buffer.alloc(32, 7).toString('base64url')}`);
    expect(response.json).toMatchObject({
      tenant: 'acme',
      label: 'ci',
      createdAt: '2026-11-30T12:34:00.000Z',
    });
    expect(api.config.tokens.get(sha256Hex(token))).toEqual({
      role: 'tenant',
      tenant: 'acme',
      label: 'ci',
      createdAt: '2026-11-30T12:34:00.000Z',
    });
    expect(JSON.stringify([...api.config.tokens])).not.toContain(token);
    expect((await api.call('GET', '/v1/tenants/acme/entitlements', { token })).status).toBe(200);
    expect((await api.call('GET', '/v1/tenants/globex/entitlements', { token })).status).toBe(403);
  });

  it('rejects a token request with an unknown property, naming it', async () => {
    expectError(
      await api.call('POST', '/v1/tenants/acme/tokens', { body: { lable: 'x' } }),
      400,
      'invalid_token_request',
      'lable',
    );
  });
});

describe('usage and entitlements', () => {
  it('answers a usage query with decimal strings', async () => {
    api.usage.rollups = [
      rollupRow('2026-11-30T10:00:00.000Z', { group: { model: 'a' }, values: { m_calls: '3' } }),
      rollupRow('2026-11-30T11:00:00.000Z', { group: { model: 'b' }, values: { m_calls: '4' } }),
    ];
    const response = await api.call('GET', '/v1/tenants/acme/usage', {
      token: ACME_TOKEN,
      query: { meter: 'calls', from: '2026-11-30', to: '2026-12-01', windowSize: 'DAY', groupBy: 'model' },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      tenant: 'acme',
      meter: 'calls',
      total: '7', // 3 + 4
      rows: [
        {
          windowStart: '2026-11-30T00:00:00.000Z',
          windowEnd: '2026-12-01T00:00:00.000Z',
          group: { model: 'a' },
          value: '3',
        },
        {
          windowStart: '2026-11-30T00:00:00.000Z',
          windowEnd: '2026-12-01T00:00:00.000Z',
          group: { model: 'b' },
          value: '4',
        },
      ],
    });
    expect(api.usage.rollupCalls).toEqual([
      ['acme', 'inference.call|model', '2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ]);
  });

  const badQueries: Array<[Record<string, string>, number, string, string]> = [
    [{}, 400, 'missing_parameter', 'meter'],
    [{ meter: 'gpu' }, 404, 'unknown_meter', 'meter'],
    [{ meter: 'calls', from: 'soon' }, 400, 'invalid_parameter', 'from'],
    [{ meter: 'calls', from: '2026-11-30', to: '2026-11-29' }, 400, 'invalid_range', 'to'],
    [{ meter: 'calls', from: '2024-01-01', to: '2026-01-01' }, 400, 'range_too_large', 'from'],
    [{ meter: 'calls', groupBy: 'agent' }, 400, 'invalid_parameter', 'groupBy'],
    [{ meter: 'calls', windowSize: 'MONTH' }, 400, 'invalid_parameter', 'windowSize'],
  ];

  it.each(badQueries)('answers %j with %i %s naming %s', async (query, status, code, field) => {
    expectError(await api.call('GET', '/v1/tenants/acme/usage', { query }), status, code, field);
  });

  it('reads only the current periods and answers the entitlements view', async () => {
    const response = await api.call('GET', '/v1/tenants/acme/entitlements', { token: ACME_TOKEN });
    expect(response.status).toBe(200);
    expect(api.usage.entitlementCalls).toEqual([
      [
        'acme',
        [
          { entitlement: 'monthly-input-tokens', periodStart: '2026-11-01T00:00:00.000Z' },
          { entitlement: 'daily-calls', periodStart: '2026-11-30T00:00:00.000Z' },
          { entitlement: 'workspace-daily-tokens', periodStart: '2026-11-30T00:00:00.000Z' },
        ],
      ],
    ]);
    expect(response.json.entitlements[1]).toMatchObject({
      entitlement: 'daily-calls',
      limit: '10',
      used: '0',
      blocked: false,
    });
  });

  it("answers 409 naming plan when the tenant's plan left the catalog", async () => {
    await api.config.putTenant({ tenant: 'acme', plan: 'legacy', status: 'active' });
    expectError(await api.call('GET', '/v1/tenants/acme/entitlements'), 409, 'unknown_plan', 'plan');
  });
});

describe('quarantine', () => {
  it('lists entries with inline bytes as base64 and passes the cursor on', async () => {
    api.quarantine.page = {
      entries: [
        {
          tenant: 'acme',
          reason: 'invalid_json',
          message: 'not JSON',
          receivedAt: '2026-11-30T12:00:00.000Z',
          partitionKey: 'acme',
          shardId: 'shardId-000000000000',
          sequenceNumber: '1',
          subIndex: 0,
          eventIndex: -1,
          size: 3,
          bytes: new Uint8Array([123, 34, 120]),
        },
      ],
      nextCursor: 'abc',
    };
    const response = await api.call('GET', '/v1/quarantine', {
      token: ACME_TOKEN,
      query: { tenant: 'acme', reason: 'invalid_json', limit: '10', cursor: 'xyz' },
    });
    expect(response.json).toEqual({
      entries: [expect.objectContaining({ reason: 'invalid_json', bytes: 'eyJ4', size: 3 })],
      nextCursor: 'abc',
    });
    expect(api.quarantine.queries).toEqual([
      { tenant: 'acme', reason: 'invalid_json', limit: 10, cursor: 'xyz' },
    ]);
  });

  const badParams: Array<[Record<string, string>, string, string]> = [
    [{ reason: 'bad_reason' }, 'invalid_parameter', 'reason'],
    [{ limit: '0' }, 'invalid_parameter', 'limit'],
    [{ limit: '5000' }, 'invalid_parameter', 'limit'],
    [{ limit: '1.5' }, 'invalid_parameter', 'limit'],
    [{ tenant: 'a b' }, 'invalid_parameter', 'tenant'],
    [{ cursor: 'not a cursor!' }, 'invalid_cursor', 'cursor'],
  ];

  it.each(badParams)('answers %j with 400 %s naming %s', async (query, code, field) => {
    expectError(await api.call('GET', '/v1/quarantine', { query }), 400, code, field);
  });

  it('shows when an entry was re-driven', async () => {
    api.quarantine.page = { entries: [quarantinedItem({ redrivenAt: '2026-11-30T12:00:00.000Z' })] };
    const response = await api.call('GET', '/v1/quarantine');
    expect(response.json.entries[0].redrivenAt).toBe('2026-11-30T12:00:00.000Z');
  });
});

describe('quarantine redrive', () => {
  it('puts the entries back on the stream with their partition keys, marks them and reports each', async () => {
    const entry = quarantinedItem({ tenant: 'newco', partitionKey: 'newco#1' });
    api.quarantine.page = { entries: [entry] };
    const response = await api.call('POST', '/v1/quarantine/redrive', {
      body: { tenant: 'newco', reason: 'unknown_tenant', limit: 10 },
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      dryRun: false,
      matched: 1,
      redriven: 1,
      failed: 0,
      entries: [
        {
          entry: expect.objectContaining({
            tenant: 'newco',
            partitionKey: 'newco#1',
            redrivenAt: '2026-11-30T12:34:00.000Z',
          }),
          status: 'redriven',
          record: { shardId: 'shardId-000000000001', sequenceNumber: '50000001' },
          redrivenAt: '2026-11-30T12:34:00.000Z',
        },
      ],
    });
    expect(response.json.entries[0].entry).not.toHaveProperty('bytes');
    expect(api.stream.records).toEqual([{ partitionKey: 'newco#1', data: entry.bytes }]);
    expect(api.marker.marked.map((m) => m.at)).toEqual(['2026-11-30T12:34:00.000Z']);
    expect(api.quarantine.queries).toEqual([
      { tenant: 'newco', reason: 'unknown_tenant', limit: 10, excludeRedriven: true },
    ]);
  });

  it('takes no body as every tenant and reason, 100 entries', async () => {
    const response = await api.call('POST', '/v1/quarantine/redrive');
    expect(response.json).toMatchObject({ matched: 0, redriven: 0, entries: [] });
    expect(api.quarantine.queries).toEqual([{ limit: 100, excludeRedriven: true }]);
  });

  it('puts nothing in a dry run', async () => {
    api.quarantine.page = { entries: [quarantinedItem()] };
    const response = await api.call('POST', '/v1/quarantine/redrive', { body: { dryRun: true } });
    expect(response.json).toMatchObject({ dryRun: true, matched: 1, redriven: 0 });
    expect(response.json.entries.map((e: { status: string }) => e.status)).toEqual(['would_redrive']);
    expect(api.stream.calls).toEqual([]);
  });

  const badBodies: Array<[unknown, string]> = [
    [{ limit: 0 }, 'limit'],
    [{ limit: 501 }, 'limit'],
    [{ reason: 'nope' }, 'reason'],
    [{ tenant: 'a b' }, 'tenant'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ tennant: 'acme' }, 'tennant'],
    [[], 'body'],
  ];

  it.each(badBodies)('answers %j with 400 invalid_redrive_request naming %s', async (body, field) => {
    const response = await api.call('POST', '/v1/quarantine/redrive', { body });
    expectError(response, 400, 'invalid_redrive_request', field);
    expect(api.stream.calls).toEqual([]);
  });

  it('answers GET with 405 and the allowed method', async () => {
    const response = await api.call('GET', '/v1/quarantine/redrive');
    expectError(response, 405, 'method_not_allowed', 'method');
    expect(response.headers.allow).toBe('POST');
  });
});

describe('catalog', () => {
  it('rejects an invalid catalog with 400 and the issues, naming keys', async () => {
    const document = catalogToDocument(catalog) as { meters: Array<Record<string, unknown>> };
    document.meters[1] = { ...document.meters[1], aggregation: 'AVG' };
    const response = await api.call('POST', '/v1/catalog', { body: document });
    expectError(response, 400, 'invalid_catalog', 'meters.calls.aggregation');
    expect(response.json.error.issues).toEqual([
      { path: 'meters.calls.aggregation', message: expect.stringContaining('must be one of') },
    ]);
  });

  it('publishes a new version (201), recognises the active one (200), lists and rolls back', async () => {
    const document = catalogToDocument(catalog) as { meters: Array<Record<string, unknown>> };
    document.meters[0] = { ...document.meters[0], name: 'Prompt tokens' };
    const published = await api.call('POST', '/v1/catalog', { body: document });
    expect(published.status).toBe(201);
    expect(published.json).toMatchObject({ version: 2, created: true });
    const again = await api.call('POST', '/v1/catalog', { body: document });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ version: 2, created: false });

    const active = await api.call('GET', '/v1/catalog');
    expect(active.json.version).toBe(2);
    expect(parseCatalog(active.json.document).meters[0]?.name).toBe('Prompt tokens');

    const versions = await api.call('GET', '/v1/catalog/versions');
    expect(
      versions.json.versions.map((v: { version: number; active: boolean }) => [v.version, v.active]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);

    const rollback = await api.call('POST', '/v1/catalog/versions/1/activate');
    expect(rollback.json).toMatchObject({ version: 1, active: true });
    expect(api.config.active).toBe(1);
  });

  it('answers 404 for an unknown version and 400 for a malformed one', async () => {
    expectError(
      await api.call('POST', '/v1/catalog/versions/9/activate'),
      404,
      'unknown_catalog_version',
      'version',
    );
    expectError(
      await api.call('POST', '/v1/catalog/versions/x1/activate'),
      400,
      'invalid_version',
      'version',
    );
  });

  it('answers 404 for GET /v1/catalog before any catalog is published', async () => {
    expectError(await testApi(undefined).call('GET', '/v1/catalog'), 404, 'no_active_catalog', 'catalog');
  });
});
