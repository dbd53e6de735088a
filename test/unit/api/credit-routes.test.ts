import { beforeEach, describe, expect, it } from 'vitest';
import { ACME_TOKEN, expectError, GLOBEX_TOKEN } from './api-fakes.js';
import { type BillingTestApi, billingTestApi } from './billing-api-fakes.js';

let api: BillingTestApi;

beforeEach(async () => {
  api = await billingTestApi();
});

const welcome = { id: 'welcome-2026', name: 'Welcome credit', amount: '25.00' };

describe('POST /v1/tenants/{tenant}/credits', () => {
  it("grants credit in the plan's currency, effective now, priority 100 by default", async () => {
    const response = await api.call('POST', '/v1/tenants/acme/credits', { body: welcome });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({
      id: 'welcome-2026',
      tenant: 'acme',
      name: 'Welcome credit',
      currency: 'USD',
      amount: '25.00',
      remaining: '25.00',
      priority: 100,
      effectiveAt: '2026-11-30T12:34:00.000Z',
      createdAt: '2026-11-30T12:34:00.000Z',
      created: true,
    });
    expect(api.store.grants.get('acme/welcome-2026')).toMatchObject({
      amountMinor: 2500n,
      remainingMinor: 2500n,
    });
  });

  it('takes every property, normalizing times to UTC', async () => {
    const response = await api.call('POST', '/v1/tenants/acme/credits', {
      body: {
        ...welcome,
        amount: '1000',
        currency: 'JPY',
        priority: 0,
        effectiveAt: '2026-12-01T09:00:00+09:00',
        expiresAt: '2027-12-01T00:00:00Z',
      },
    });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      currency: 'JPY',
      amount: '1000',
      priority: 0,
      effectiveAt: '2026-12-01T00:00:00.000Z',
      expiresAt: '2027-12-01T00:00:00.000Z',
    });
  });

  it('gives a grant without an id a new ulid', async () => {
    const { id: _, ...withoutId } = welcome;
    const first = await api.call('POST', '/v1/tenants/acme/credits', { body: withoutId });
    const second = await api.call('POST', '/v1/tenants/acme/credits', { body: withoutId });
    expect(first.json.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(second.json.id).not.toBe(first.json.id);
    expect(api.store.grants.size).toBe(2);
  });

  it('is idempotent by id: the same content again is 200 created false, with what remains', async () => {
    expect((await api.call('POST', '/v1/tenants/acme/credits', { body: welcome })).status).toBe(201);
    const key = 'acme/welcome-2026';
    const stored = api.store.grants.get(key);
    if (stored !== undefined) api.store.grants.set(key, { ...stored, remainingMinor: 1200n });
    const again = await api.call('POST', '/v1/tenants/acme/credits', { body: { ...welcome, amount: '25' } });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      id: 'welcome-2026',
      amount: '25.00',
      remaining: '12.00',
      created: false,
    });
    expect(api.store.grants.size).toBe(1);
  });

  it('answers 409 grant_conflict for the same id with other content', async () => {
    await api.call('POST', '/v1/tenants/acme/credits', { body: welcome });
    for (const change of [{ amount: '30.00' }, { name: 'Other' }, { priority: 5 }, { currency: 'EUR' }]) {
      const response = await api.call('POST', '/v1/tenants/acme/credits', {
        body: { ...welcome, ...change },
      });
      expectError(response, 409, 'grant_conflict', 'id');
    }
    expect(api.store.grants.get('acme/welcome-2026')?.amountMinor).toBe(2500n);
  });

  it('keeps grant ids per tenant', async () => {
    await api.call('POST', '/v1/tenants/acme/credits', { body: welcome });
    const globex = await api.call('POST', '/v1/tenants/globex/credits', {
      body: { ...welcome, amount: '5.00' },
    });
    expect(globex.status).toBe(201);
    expect(api.store.grants.size).toBe(2);
  });

  it.each([
    [{ name: 'x', amount: '0' }, 'amount'],
    [{ name: 'x', amount: '-5.00' }, 'amount'],
    [{ name: 'x', amount: '1.005' }, 'amount'],
    [{ name: 'x', amount: '1.5', currency: 'JPY' }, 'amount'],
    [{ name: 'x', amount: 25 }, 'amount'],
    [{ name: 'x', amount: 'ten' }, 'amount'],
    [{ amount: '5' }, 'name'],
    [{ name: ' ', amount: '5' }, 'name'],
    [{ name: 'x', amount: '5', currency: 'usd' }, 'currency'],
    [{ name: 'x', amount: '5', currency: 'XYZ' }, 'currency'],
    [{ name: 'x', amount: '5', priority: 1001 }, 'priority'],
    [{ name: 'x', amount: '5', priority: -1 }, 'priority'],
    [{ name: 'x', amount: '5', priority: 1.5 }, 'priority'],
    [{ name: 'x', amount: '5', id: 'has space' }, 'id'],
    [{ name: 'x', amount: '5', id: 'x'.repeat(65) }, 'id'],
    [{ name: 'x', amount: '5', effectiveAt: '2026-12-01' }, 'effectiveAt'],
    [{ name: 'x', amount: '5', expiresAt: 'tomorrow' }, 'expiresAt'],
    [
      { name: 'x', amount: '5', effectiveAt: '2026-12-01T00:00:00Z', expiresAt: '2026-12-01T00:00:00Z' },
      'expiresAt',
    ],
    [{ name: 'x', amount: '5', expiresAt: '2026-11-01T00:00:00Z' }, 'expiresAt'],
    [{ name: 'x', amount: '5', note: 'extra' }, 'note'],
    ['a grant', 'body'],
  ])('answers 400 invalid_credit_grant for %j naming %s', async (body, field) => {
    const response = await api.call('POST', '/v1/tenants/acme/credits', { body });
    expectError(response, 400, 'invalid_credit_grant', field);
    expect(response.json.error.message).toContain(`${field}: `);
    expect(api.store.grants.size).toBe(0);
  });

  it('needs a currency for a tenant whose plan has no billing', async () => {
    const response = await api.call('POST', '/v1/tenants/legacy/credits', { body: welcome });
    expectError(response, 400, 'invalid_credit_grant', 'currency');
    const given = await api.call('POST', '/v1/tenants/legacy/credits', {
      body: { ...welcome, currency: 'USD' },
    });
    expect(given.status).toBe(201);
  });

  it('answers 404 for a tenant that was not set up, and 403 to tenant tokens', async () => {
    expectError(
      await api.call('POST', '/v1/tenants/nobody/credits', { body: welcome }),
      404,
      'unknown_tenant',
      'tenant',
    );
    const own = await api.call('POST', '/v1/tenants/acme/credits', { token: ACME_TOKEN, body: welcome });
    expectError(own, 403, 'forbidden', 'authorization');
    expect(api.store.grants.size).toBe(0);
  });
});

describe('GET /v1/tenants/{tenant}/credits', () => {
  it('lists every grant oldest first and the balance usable now, per currency', async () => {
    const grant = (id: string, createdAt: string, extra: Record<string, unknown> = {}) =>
      api.store.createGrant({
        id,
        tenant: 'acme',
        name: id,
        currency: 'USD',
        amountMinor: 2500n,
        remainingMinor: 1200n,
        priority: 100,
        effectiveAt: '2026-10-01T00:00:00.000Z',
        createdAt,
        ...extra,
      });
    await grant('b-usable', '2026-10-02T00:00:00.000Z');
    await grant('a-usable', '2026-10-01T00:00:00.000Z', { remainingMinor: 300n });
    await grant('expired', '2026-10-03T00:00:00.000Z', { expiresAt: '2026-11-01T00:00:00.000Z' });
    await grant('future', '2026-10-04T00:00:00.000Z', { effectiveAt: '2026-12-01T00:00:00.000Z' });
    await grant('euros', '2026-10-05T00:00:00.000Z', { currency: 'EUR', remainingMinor: 99n });
    await api.store.createGrant({
      id: 'other-tenant',
      tenant: 'globex',
      name: 'x',
      currency: 'USD',
      amountMinor: 1n,
      remainingMinor: 1n,
      priority: 1,
      effectiveAt: '2026-10-01T00:00:00.000Z',
      createdAt: '2026-10-01T00:00:00.000Z',
    });

    const response = await api.call('GET', '/v1/tenants/acme/credits', { token: ACME_TOKEN });
    expect(response.status).toBe(200);
    expect(response.json.grants.map((g: { id: string }) => g.id)).toEqual([
      'a-usable',
      'b-usable',
      'expired',
      'future',
      'euros',
    ]);
    expect(response.json.grants[0]).toEqual({
      id: 'a-usable',
      tenant: 'acme',
      name: 'a-usable',
      currency: 'USD',
      amount: '25.00',
      remaining: '3.00',
      priority: 100,
      effectiveAt: '2026-10-01T00:00:00.000Z',
      createdAt: '2026-10-01T00:00:00.000Z',
    });
    // USD: 3.00 + 12.00 (expired and not yet effective grants do not count); EUR: 0.99.
    expect(response.json.balance).toEqual({ USD: '15.00', EUR: '0.99' });
  });

  it("refuses another tenant's token with 403", async () => {
    expectError(
      await api.call('GET', '/v1/tenants/acme/credits', { token: GLOBEX_TOKEN }),
      403,
      'forbidden',
      'tenant',
    );
  });

  it('answers an empty list and balance for a tenant without grants', async () => {
    const response = await api.call('GET', '/v1/tenants/globex/credits');
    expect(response.json).toEqual({ tenant: 'globex', grants: [], balance: {} });
  });
});
