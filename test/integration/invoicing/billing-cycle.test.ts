import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import { type LocalRuntime, startLocalRuntime } from '../../../functions/local/local-runtime.js';
import { makeEvent } from '../../factories/events.js';

/**
 * A billing cycle end to end on the local runtime: events through HTTP ingest and the Kinesis
 * emulator, metered by the real consumer into DynamoDB Local; the upcoming invoice growing with
 * them; a billing run with the clock advanced past the period and its grace, through the real
 * planner, the local queue and the worker; the finalized invoice and its PDF through the API;
 * a second run changing nothing; and usage that arrives after finalization billed on the next
 * invoice as an adjustment.
 */
describe('a billing cycle on the local runtime', () => {
  const tenant = 'cycleco';
  let runtime: LocalRuntime;
  let key: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  const call = async (
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Json; headers: Headers; bytes: Uint8Array }> => {
    const response = await fetch(`${runtime.status.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${runtime.status.adminToken}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      bytes,
      body: type.startsWith('application/json') ? JSON.parse(new TextDecoder().decode(bytes)) : undefined,
    };
  };
  const send = async (inputTokens: number, outputTokens: number): Promise<void> => {
    const event = makeEvent({
      subject: tenant,
      time: new Date(Date.now() - 60_000).toISOString(),
      data: { model: 'gpt-4o', input_tokens: inputTokens, output_tokens: outputTokens },
    });
    const response = await fetch(`${runtime.status.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([event]),
    });
    expect(response.status).toBe(202);
  };
  /** Waits until the upcoming invoice's subtotal is `expected` (the consumer runs asynchronously). */
  const upcomingReaches = async (expected: string): Promise<Json> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const upcoming = await call(`/v1/tenants/${tenant}/invoices/upcoming`);
      expect(upcoming.status).toBe(200);
      if (upcoming.body.subtotal === expected || Date.now() > deadline) return upcoming.body;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const nextMonthStart = (monthsAhead: number): Date => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead, 1));
  };
  const billingRun = async (asOf: Date): Promise<Json> => {
    const run = await call('/v1/billing-runs', {
      method: 'POST',
      body: { asOf: asOf.toISOString(), tenant },
    });
    expect(run.status).toBe(202);
    await runtime.billing.worker.drain({ timeoutMs: 60_000 });
    return run.body;
  };

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-billing-'));
    const config = readLocalConfig(
      { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0', TOLLGATE_BILLING_INTERVAL_SECONDS: '0' },
      ['--no-demo'],
    );
    runtime = await startLocalRuntime(config, () => {});
    // Billed from the first of this month, so the month's fee is whole (not prorated).
    const billingStart = nextMonthStart(0).toISOString().slice(0, 10);
    const put = await call(`/v1/tenants/${tenant}`, {
      method: 'PUT',
      body: { plan: 'starter', billingStart },
    });
    expect(put.status).toBe(201);
    const created = await call(`/v1/tenants/${tenant}/keys`, {
      method: 'POST',
      body: { label: 'billing e2e' },
    });
    key = created.body.key;
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('shows the upcoming invoice growing with usage, then finalizes it once, with a PDF', async () => {
    // Starter: $19.00 a month, input tokens $0.000002, output tokens $0.000008 each.
    const before = await upcomingReaches('19.00');
    expect(before).toMatchObject({ status: 'draft', currency: 'USD', subtotal: '19.00' });
    await send(1_000_000, 250_000);
    // $19.00 + 1,000,000 × $0.000002 + 250,000 × $0.000008 = $19.00 + $2.00 + $2.00 = $23.00
    const upcoming = await upcomingReaches('23.00');
    expect(upcoming.total).toBe('23.00');

    // Advance the billing clock past the period's end and its 12 h grace period.
    const asOf = new Date(nextMonthStart(1).getTime() + 13 * 3_600_000);
    const run = await billingRun(asOf);
    expect(run).toMatchObject({ jobs: 1 });
    const list = await call(`/v1/tenants/${tenant}/invoices`);
    expect(list.status).toBe(200);
    expect(list.body.invoices).toHaveLength(1);
    const summary = list.body.invoices[0];
    expect(summary).toMatchObject({ status: 'finalized', number: `${tenant}-000001`, total: '23.00' });
    const invoice = await call(`/v1/invoices/${summary.id}`);
    expect(invoice.body.lines.map((l: Json) => [l.kind, l.meter ?? null, l.quantity, l.amount])).toEqual([
      ['fee', null, '1', '19.00'],
      ['usage', 'input_tokens', '1000000', '2.00'],
      ['usage', 'output_tokens', '250000', '2.00'],
      ['usage', 'gpu_seconds', '0', '0.00'],
    ]);
    expect(invoice.body.documents).toEqual({
      pdf: `/v1/invoices/${summary.id}/document?format=pdf`,
      html: `/v1/invoices/${summary.id}/document?format=html`,
      json: `/v1/invoices/${summary.id}/document?format=json`,
    });
    const pdf = await call(invoice.body.documents.pdf);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(new TextDecoder().decode(pdf.bytes.subarray(0, 5))).toBe('%PDF-');
    const html = await call(`/v1/invoices/${summary.id}/document?format=html`);
    expect(new TextDecoder().decode(html.bytes)).toContain(`${tenant}-000001`);

    // The same run again changes nothing.
    await billingRun(asOf);
    const again = await call(`/v1/tenants/${tenant}/invoices`);
    expect(again.body.invoices).toEqual(list.body.invoices);
    expect((await call(`/v1/invoices/${summary.id}`)).body).toEqual(invoice.body);
  });

  it('bills usage that arrives after finalization on the next invoice, as an adjustment', async () => {
    // This month's period is final (the clock was advanced); its usage keeps arriving.
    await send(500_000, 0);
    // The upcoming invoice is still this calendar month's (the real clock has not moved), and
    // now holds 1,500,000 input tokens: $19.00 + $3.00 + $2.00 = $24.00.
    await upcomingReaches('24.00');
    const asOf = new Date(nextMonthStart(2).getTime() + 13 * 3_600_000);
    await billingRun(asOf);
    const list = await call(`/v1/tenants/${tenant}/invoices`);
    expect(list.body.invoices.map((i: Json) => i.number)).toEqual([`${tenant}-000002`, `${tenant}-000001`]);
    const next = await call(`/v1/invoices/${list.body.invoices[0].id}`);
    const adjustment = next.body.lines.find((l: Json) => l.kind === 'adjustment');
    // 500,000 late input tokens × $0.000002 = $1.00, for invoice 000001
    expect(adjustment).toMatchObject({ amount: '1.00', adjusts: { number: `${tenant}-000001` } });
    // Next month: $19.00 fee + $1.00 adjustment = $20.00
    expect(next.body.total).toBe('20.00');
    // The finalized invoice itself never changed.
    expect(list.body.invoices[1].total).toBe('23.00');
  });

  it('makes one invoice and takes one number when the same job is handled twice at once', async () => {
    const other = 'racer';
    const billingStart = nextMonthStart(0).toISOString().slice(0, 10);
    expect(
      (await call(`/v1/tenants/${other}`, { method: 'PUT', body: { plan: 'starter', billingStart } })).status,
    ).toBe(201);
    const periodStart = nextMonthStart(0).toISOString();
    const periodEnd = nextMonthStart(1).toISOString();
    const asOf = new Date(nextMonthStart(1).getTime() + 13 * 3_600_000).toISOString();
    const body = JSON.stringify({ tenant: other, periodStart, periodEnd, asOf, runId: 'run_race' });
    // Two deliveries of one message in one batch: the worker handles them concurrently.
    runtime.billing.queue.send([body, body, body]);
    await runtime.billing.worker.drain({ timeoutMs: 60_000 });
    const list = await call(`/v1/tenants/${other}/invoices`);
    expect(list.body.invoices).toHaveLength(1);
    expect(list.body.invoices[0]).toMatchObject({
      status: 'finalized',
      number: `${other}-000001`,
      total: '19.00',
    });
    expect(runtime.billing.queue.stats()).toMatchObject({ deadLettered: 0, visible: 0, inFlight: 0 });
  });
});
