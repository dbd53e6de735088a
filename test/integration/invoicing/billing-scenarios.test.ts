import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import { type LocalRuntime, startLocalRuntime } from '../../../functions/local/local-runtime.js';
import { makeEvent } from '../../factories/events.js';

/**
 * Billing scenarios on the local runtime, through the whole pipeline (HTTP ingest, the Kinesis
 * emulator, the consumer, DynamoDB Local, the planner, the local queue, the worker, the API):
 * late usage inside the grace period, prepaid credits burning down, and a plan change in the
 * middle of the period. The billing clock is advanced with `asOf`; usage carries real times.
 */
describe('billing scenarios on the local runtime', () => {
  let runtime: LocalRuntime;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  const call = async (
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${runtime.status.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${runtime.status.adminToken}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  const monthStart = (monthsAhead: number): Date => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead, 1));
  };
  const periodEnd = monthStart(1).getTime();
  const hoursAfterPeriod = (hours: number) => new Date(periodEnd + hours * 3_600_000).toISOString();

  const setUp = async (tenant: string, plan: string): Promise<string> => {
    const billingStart = monthStart(0).toISOString().slice(0, 10);
    expect(
      (await call(`/v1/tenants/${tenant}`, { method: 'PUT', body: { plan, billingStart } })).status,
    ).toBe(201);
    return (await call(`/v1/tenants/${tenant}/keys`, { method: 'POST', body: { label: 'scenario' } })).body
      .key;
  };
  const send = async (tenant: string, key: string, data: Record<string, string | number>): Promise<void> => {
    const event = makeEvent({ subject: tenant, time: new Date(Date.now() - 60_000).toISOString(), data });
    const response = await fetch(`${runtime.status.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([event]),
    });
    expect(response.status).toBe(202);
  };
  const usageReaches = async (tenant: string, meter: string, total: string): Promise<void> => {
    const from = monthStart(0).toISOString();
    const to = monthStart(1).toISOString();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const usage = await call(
        `/v1/tenants/${tenant}/usage?meter=${meter}&from=${from}&to=${to}&windowSize=DAY`,
      );
      if (usage.body.total === total) return;
      if (Date.now() > deadline)
        throw new Error(`${tenant} ${meter}: ${usage.body.total}, expected ${total}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const runBilling = async (tenant: string, asOf: string): Promise<Json> => {
    const run = await call('/v1/billing-runs', { method: 'POST', body: { asOf, tenant } });
    expect(run.status).toBe(202);
    await runtime.billing.worker.drain({ timeoutMs: 60_000 });
    const list = await call(`/v1/tenants/${tenant}/invoices`);
    return (await call(`/v1/invoices/${list.body.invoices[0].id}`)).body;
  };

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-billing-scenarios-'));
    const config = readLocalConfig(
      { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0', TOLLGATE_BILLING_INTERVAL_SECONDS: '0' },
      ['--no-demo'],
    );
    runtime = await startLocalRuntime(config, () => {});
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('keeps a draft during the grace period, refreshes it with late usage, then finalizes it', async () => {
    const key = await setUp('graceco', 'starter');
    await send('graceco', key, { model: 'gpt-4o', input_tokens: 1_000_000 });
    await usageReaches('graceco', 'input_tokens', '1000000');
    // One hour after the period's end: inside the 12 h grace period → a draft, no number.
    const draft = await runBilling('graceco', hoursAfterPeriod(1));
    // $19.00 + 1,000,000 × $0.000002 = $21.00
    expect(draft).toMatchObject({ status: 'draft', total: '21.00' });
    expect(draft.number).toBeUndefined();
    // A late event of the period arrives during the grace period.
    await send('graceco', key, { model: 'gpt-4o', input_tokens: 500_000 });
    await usageReaches('graceco', 'input_tokens', '1500000');
    const refreshed = await runBilling('graceco', hoursAfterPeriod(2));
    // $19.00 + 1,500,000 × $0.000002 = $22.00
    expect(refreshed).toMatchObject({ id: draft.id, status: 'draft', total: '22.00' });
    const final = await runBilling('graceco', hoursAfterPeriod(13));
    expect(final).toMatchObject({
      id: draft.id,
      status: 'finalized',
      number: 'graceco-000001',
      total: '22.00',
    });
  });

  it('burns prepaid credits down on finalization and never below zero', async () => {
    const key = await setUp('creditco', 'starter');
    const grant = await call('/v1/tenants/creditco/credits', {
      method: 'POST',
      body: { id: 'welcome', name: 'Welcome credit', amount: '25.00', currency: 'USD' },
    });
    expect(grant.status).toBe(201);
    await send('creditco', key, { model: 'gpt-4o', input_tokens: 2_000_000, output_tokens: 500_000 });
    await usageReaches('creditco', 'output_tokens', '500000');
    const invoice = await runBilling('creditco', hoursAfterPeriod(13));
    // $19.00 + 2,000,000 × $0.000002 + 500,000 × $0.000008 = $19.00 + $4.00 + $4.00 = $27.00;
    // credits $25.00 → total $2.00
    expect(invoice).toMatchObject({
      status: 'finalized',
      subtotal: '27.00',
      credits: '25.00',
      total: '2.00',
    });
    expect(invoice.creditApplications).toEqual([
      { grantId: 'welcome', name: 'Welcome credit', amount: '25.00' },
    ]);
    const credits = await call('/v1/tenants/creditco/credits');
    expect(credits.body.grants[0]).toMatchObject({ id: 'welcome', remaining: '0.00' });
  });

  it('prorates each plan by day when the plan changes in the middle of the period', async () => {
    const key = await setUp('switchco', 'starter');
    // Today the tenant moves to pro: starter applied from the 1st until yesterday, pro from today.
    expect((await call('/v1/tenants/switchco', { method: 'PUT', body: { plan: 'pro' } })).status).toBe(200);
    await send('switchco', key, { model: 'gpt-4o', input_tokens: 1_000_000 });
    await usageReaches('switchco', 'input_tokens', '1000000');
    const invoice = await runBilling('switchco', hoursAfterPeriod(13));
    const daysInPeriod = Math.round((periodEnd - monthStart(0).getTime()) / 86_400_000);
    const daysOnStarter = new Date().getUTCDate() - 1;
    const daysOnPro = daysInPeriod - daysOnStarter;
    const cents = (dollars: number, days: number) => Math.round((dollars * 100 * days) / daysInPeriod);
    // Starter $19.00 × starter days / period days + pro $49.00 × pro days / period days
    // + 1,000,000 gpt-4o input tokens on pro × $0.0000025 = $2.50
    const expected = (daysOnStarter > 0 ? cents(19, daysOnStarter) : 0) + cents(49, daysOnPro) + 250;
    expect(invoice.status).toBe('finalized');
    expect(invoice.total).toBe((expected / 100).toFixed(2));
    const fees = invoice.lines.filter((line: Json) => line.kind === 'fee').map((line: Json) => line.plan);
    expect(fees).toEqual(daysOnStarter > 0 ? ['starter', 'pro'] : ['pro']);
  });
});
