import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/api/auth.js';
import { makeEvent } from '../../factories/events.js';
import { usageCatalog } from '../usage/usage-factory.js';
import { ACME_TOKEN, expectError, GLOBEX_TOKEN, type TestApi, testApi } from './api-fakes.js';

/** Bytes for keys: the 1st and 2nd key are all 7s (the 2nd collides), then all 8s, 9s, … */
function bytesWithOneRepeat() {
  const fills = [7, 7];
  let next = 8;
  return (size: number) => new Uint8Array(size).fill(fills.shift() ?? next++);
}

const KEY_OF_SEVENS = `tg_k_${Buffer.alloc(32, 7).toString('base64url')}`;
const NOW_ISO = '2026-11-30T12:34:00.000Z';

let api: TestApi;

beforeEach(async () => {
  api = testApi(usageCatalog.catalog, { randomBytes: bytesWithOneRepeat() });
  await api.config.putTenant({ tenant: 'acme', plan: 'pro', status: 'active' });
  await api.config.putTenant({ tenant: 'globex', plan: 'pro', status: 'active' });
});

describe('POST /v1/tenants/{tenant}/keys', () => {
  it('creates a key shown once, stores only its sha256, and answers its id, label and default limits', async () => {
    const response = await api.call('POST', '/v1/tenants/acme/keys', { body: { label: 'chat-api' } });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({
      tenant: 'acme',
      keyId: KEY_OF_SEVENS.slice(5, 13),
      label: 'chat-api',
      createdAt: NOW_ISO,
      limits: { requestsPerSecond: 50, eventsPerSecond: 10_000 },
      key: KEY_OF_SEVENS,
    });
    expect(KEY_OF_SEVENS).toMatch(/^tg_k_[A-Za-z0-9_-]{43}$/);
    expect(api.ingestKeys.byHash.get(sha256Hex(KEY_OF_SEVENS))).toEqual({
      keyId: KEY_OF_SEVENS.slice(5, 13),
      tenant: 'acme',
      label: 'chat-api',
      createdAt: NOW_ISO,
      limits: {},
    });
    expect(JSON.stringify([...api.ingestKeys.byHash.values()])).not.toContain(KEY_OF_SEVENS);
  });

  it('keeps limits the key sets, and the default for the one it does not', async () => {
    const response = await api.call('POST', '/v1/tenants/acme/keys', {
      body: { limits: { requestsPerSecond: 5 } },
    });
    expect(response.json.limits).toEqual({ requestsPerSecond: 5, eventsPerSecond: 10_000 });
    expect(response.json.label).toBe('');
  });

  it('takes new random bytes when the tenant already has a key with that id', async () => {
    const first = await api.call('POST', '/v1/tenants/acme/keys');
    const second = await api.call('POST', '/v1/tenants/acme/keys');
    expect(second.status).toBe(201);
    expect(second.json.key).toBe(`tg_k_${Buffer.alloc(32, 8).toString('base64url')}`);
    expect(second.json.keyId).not.toBe(first.json.keyId);
    expect(api.ingestKeys.byHash.size).toBe(2);
  });

  const invalid: Array<[name: string, body: unknown, field: string]> = [
    ['an unknown property', { lable: 'x' }, 'lable'],
    ['an empty label', { label: '  ' }, 'label'],
    ['a label of 129 characters', { label: 'l'.repeat(129) }, 'label'],
    ['0 requests per second', { limits: { requestsPerSecond: 0 } }, 'limits.requestsPerSecond'],
    ['1001 requests per second', { limits: { requestsPerSecond: 1001 } }, 'limits.requestsPerSecond'],
    ['1.5 events per second', { limits: { eventsPerSecond: 1.5 } }, 'limits.eventsPerSecond'],
    ['events per second as a string', { limits: { eventsPerSecond: '100' } }, 'limits.eventsPerSecond'],
    ['an unknown limit', { limits: { bytesPerSecond: 1 } }, 'limits.bytesPerSecond'],
    ['an array', [], 'body'],
  ];

  it.each(invalid)('answers 400 invalid_key_request for %s, naming %s', async (_name, body, field) => {
    expectError(await api.call('POST', '/v1/tenants/acme/keys', { body }), 400, 'invalid_key_request', field);
    expect(api.ingestKeys.byHash.size).toBe(0);
  });

  it('answers 404 for a tenant that has not been set up', async () => {
    expectError(await api.call('POST', '/v1/tenants/nobody/keys'), 404, 'unknown_tenant', 'tenant');
  });
});

describe('GET /v1/tenants/{tenant}/keys', () => {
  it("lists the tenant's keys, revoked ones too, oldest first, never a key or its hash", async () => {
    const a = await api.call('POST', '/v1/tenants/acme/keys', { body: { label: 'a' } });
    const b = await api.call('POST', '/v1/tenants/acme/keys', { body: { label: 'b' } });
    await api.call('POST', '/v1/tenants/globex/keys');
    await api.call('DELETE', `/v1/tenants/acme/keys/${a.json.keyId}`);
    const response = await api.call('GET', '/v1/tenants/acme/keys');
    expect(response.status).toBe(200);
    expect(response.json.tenant).toBe('acme');
    // Created in the same millisecond: by key id then (all 7s "BwcH…" before all 8s "CAgI…").
    expect(response.json.keys).toEqual([
      {
        tenant: 'acme',
        keyId: a.json.keyId,
        label: 'a',
        createdAt: NOW_ISO,
        revokedAt: NOW_ISO,
        limits: { requestsPerSecond: 50, eventsPerSecond: 10_000 },
      },
      {
        tenant: 'acme',
        keyId: b.json.keyId,
        label: 'b',
        createdAt: NOW_ISO,
        limits: { requestsPerSecond: 50, eventsPerSecond: 10_000 },
      },
    ]);
    expect(response.body).not.toContain(a.json.key);
    expect(response.body).not.toContain(b.json.key);
    expect(response.body).not.toContain(sha256Hex(a.json.key));
  });

  it('answers an empty list for a tenant without keys, 404 for an unknown tenant', async () => {
    expect((await api.call('GET', '/v1/tenants/acme/keys')).json).toEqual({ tenant: 'acme', keys: [] });
    expectError(await api.call('GET', '/v1/tenants/nobody/keys'), 404, 'unknown_tenant', 'tenant');
  });
});

describe('DELETE /v1/tenants/{tenant}/keys/{keyId}', () => {
  it('revokes the key: it stops authenticating; revoking again keeps the first time', async () => {
    const created = await api.call('POST', '/v1/tenants/acme/keys');
    const send = () =>
      api.call('POST', '/v1/events', {
        token: created.json.key,
        body: makeEvent({ subject: 'acme' }),
        headers: { 'content-type': 'application/json' },
      });
    expect((await send()).status).toBe(202);
    const revoked = await api.call('DELETE', `/v1/tenants/acme/keys/${created.json.keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ keyId: created.json.keyId, revokedAt: NOW_ISO });
    expect(revoked.body).not.toContain(created.json.key);
    expectError(await send(), 401, 'revoked_key', 'authorization');
    const again = await api.call('DELETE', `/v1/tenants/acme/keys/${created.json.keyId}`);
    expect(again.json.revokedAt).toBe(NOW_ISO);
  });

  it("does not revoke another tenant's key", async () => {
    const globex = await api.call('POST', '/v1/tenants/globex/keys');
    expectError(
      await api.call('DELETE', `/v1/tenants/acme/keys/${globex.json.keyId}`),
      404,
      'unknown_key',
      'keyId',
    );
  });

  it('answers 400 for a malformed key id and 404 for an unknown one', async () => {
    expectError(await api.call('DELETE', '/v1/tenants/acme/keys/short'), 400, 'invalid_key_id', 'keyId');
    expectError(await api.call('DELETE', '/v1/tenants/acme/keys/AAAAAAAA'), 404, 'unknown_key', 'keyId');
  });
});

describe('who may manage keys', () => {
  it.each([
    ['POST', '/v1/tenants/acme/keys'],
    ['GET', '/v1/tenants/acme/keys'],
    ['DELETE', '/v1/tenants/acme/keys/AAAAAAAA'],
  ])('%s %s: the admin only (tenant tokens 403, no token 401)', async (method, path) => {
    expect((await api.call(method, path, { token: ACME_TOKEN })).status).toBe(403);
    expect((await api.call(method, path, { token: GLOBEX_TOKEN })).status).toBe(403);
    expect((await api.call(method, path, { token: null })).status).toBe(401);
  });
});
