import { beforeEach, describe, expect, it } from 'vitest';
import { ACME_TOKEN, expectError } from './api-fakes.js';
import { type BillingTestApi, billingTestApi } from './billing-api-fakes.js';

let api: BillingTestApi;

beforeEach(async () => {
  api = await billingTestApi();
});

describe('POST /v1/billing-runs', () => {
  it('queues one job per billable tenant for the last closed period and answers 202 with the summary', async () => {
    // Now is 2026-11-30T12:34Z: the last closed monthly period is October. acme and globex are on
    // pro (billed); legacy's plan is not in the catalog, so it has no billing and is skipped.
    const response = await api.call('POST', '/v1/billing-runs');
    expect(response.status).toBe(202);
    expect(response.json).toEqual({
      runId: 'run-1',
      asOf: '2026-11-30T12:34:00.000Z',
      jobs: 2,
      tenants: 3,
      skipped: [{ tenant: 'legacy', reason: 'plan "legacy" has no billing section' }],
      skippedCount: 1,
    });
    expect(api.queue.sent).toEqual(
      ['acme', 'globex'].map((tenant) => ({
        tenant,
        periodStart: '2026-10-01T00:00:00.000Z',
        periodEnd: '2026-11-01T00:00:00.000Z',
        asOf: '2026-11-30T12:34:00.000Z',
        runId: 'run-1',
      })),
    );
  });

  it('runs for one tenant as of a date (midnight UTC)', async () => {
    const response = await api.call('POST', '/v1/billing-runs', {
      body: { asOf: '2026-12-01', tenant: 'globex' },
    });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({
      asOf: '2026-12-01T00:00:00.000Z',
      jobs: 1,
      tenants: 1,
      skippedCount: 0,
    });
    expect(api.queue.sent).toEqual([
      {
        tenant: 'globex',
        periodStart: '2026-11-01T00:00:00.000Z',
        periodEnd: '2026-12-01T00:00:00.000Z',
        asOf: '2026-12-01T00:00:00.000Z',
        runId: 'run-1',
      },
    ]);
  });

  it('takes an RFC 3339 asOf with an offset, up to a day ahead of now', async () => {
    const response = await api.call('POST', '/v1/billing-runs', {
      body: { asOf: '2026-12-01T13:00:00+01:00' },
    });
    expect(response.status).toBe(202);
    expect(response.json.asOf).toBe('2026-12-01T12:00:00.000Z');
  });

  it.each([
    [{ asOf: 'yesterday' }, 'asOf'],
    [{ asOf: '2026-11-31' }, 'asOf'],
    [{ asOf: 20261201 }, 'asOf'],
    [{ asOf: '2026-12-01T12:34:00.001Z' }, 'asOf'],
    [{ tenant: 'a b' }, 'tenant'],
    [{ tenant: '' }, 'tenant'],
    [{ asof: '2026-12-01' }, 'asof'],
    [[], 'body'],
  ])('answers 400 invalid_billing_run for %j naming %s, queueing nothing', async (body, field) => {
    const response = await api.call('POST', '/v1/billing-runs', { body });
    expectError(response, 400, 'invalid_billing_run', field);
    expect(api.queue.sent).toEqual([]);
  });

  it('answers 404 for a tenant that was not set up', async () => {
    const response = await api.call('POST', '/v1/billing-runs', { body: { tenant: 'nobody' } });
    expectError(response, 404, 'unknown_tenant', 'tenant');
  });

  it('answers 409 no_active_catalog before a catalog is published', async () => {
    api.config.active = undefined;
    expectError(await api.call('POST', '/v1/billing-runs'), 409, 'no_active_catalog', 'catalog');
  });

  it('is for the admin only', async () => {
    const response = await api.call('POST', '/v1/billing-runs', { token: ACME_TOKEN, body: {} });
    expectError(response, 403, 'forbidden', 'authorization');
    expect(api.queue.sent).toEqual([]);
  });
});
