/**
 * Whole billing cycles on the invoicing domain with in-memory stores (the same cycles run on
 * the local runtime in test/integration/invoicing): subscription + overage, per-model tokens,
 * credits burning down, a mid-period plan change, late usage inside and after the grace period,
 * and exactly-once finalization under re-runs, concurrent workers and a crash before the ack.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { type CompiledCatalog, compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { invoiceIdOf } from '../../../shared/invoicing/invoice.js';
import { upcomingInvoice, voidInvoice } from '../../../shared/invoicing/invoice-actions.js';
import { planBillingRun } from '../../../shared/invoicing/plan-billing-run.js';
import type { CreditGrant, InvoiceJob } from '../../../shared/invoicing/ports.js';
import { type InvoiceWorkerDeps, runInvoiceJob } from '../../../shared/invoicing/run-invoice-job.js';
import {
  FakePdfRenderer,
  InMemoryDocumentStore,
  InMemoryInvoicingStore,
  RecordingInvoicePublisher,
  RecordingJobQueue,
} from '../../support/in-memory-invoicing.js';
import { InMemoryUsage } from '../../support/in-memory-usage.js';

const CATALOG = `
schemaVersion: 1
meters:
  - { key: input_tokens, name: Input tokens, unit: tokens, eventType: llm.completion, aggregation: SUM, valueProperty: input_tokens, groupBy: [model] }
  - { key: calls, name: Calls, unit: calls, eventType: inference.call, aggregation: COUNT }
plans:
  - key: starter
    name: Starter
    billing:
      currency: USD
      fees: [ { key: platform, name: Starter fee, amount: "19.00" } ]
      prices: [ { meter: input_tokens, type: per_unit, unitPrice: "0.000002" } ]
  - key: pro
    name: Pro
    billing:
      currency: USD
      fees: [ { key: platform, name: Pro fee, amount: "49.00" } ]
      prices: [ { meter: input_tokens, type: allowance, included: 1000000, unitPrice: "0.00001" } ]
  - key: models
    name: Per model
    billing:
      currency: USD
      prices:
        - { meter: input_tokens, type: rate_card, dimension: model, rates: { gpt-4o: "0.0000025", gpt-4o-mini: "0.00000015" } }
  - key: capped
    name: Capped
    entitlements:
      - { key: monthly-calls, meter: calls, limit: 100, period: MONTH, mode: hard }
    billing:
      currency: USD
      prices: [ { meter: calls, type: per_unit, unitPrice: "0.01" } ]
  - key: free
    name: Free
`;

const NOV = { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' };
const DEC = { start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' };
const AFTER_GRACE = '2026-12-01T12:00:00.000Z';

let catalog: CompiledCatalog;
let usage: InMemoryUsage;
let store: InMemoryInvoicingStore;
let documents: InMemoryDocumentStore;
let published: RecordingInvoicePublisher;
let tenants: Map<string, TenantProfile>;
let now: number;

function deps(): InvoiceWorkerDeps {
  const clock = () => now;
  return {
    catalog: { active: async () => ({ version: 1, compiled: catalog }) },
    tenants: { getTenant: async (tenant) => tenants.get(tenant) },
    usage,
    invoices: store,
    credits: store,
    clock,
    defaultGraceHours: 12,
    delivery: { invoices: store, documents, pdf: new FakePdfRenderer(), events: published, clock },
  };
}

function tenant(id: string, plan: string, extra: Partial<TenantProfile> = {}): void {
  tenants.set(id, { tenant: id, plan, status: 'active', ...extra });
}

function job(tenantId: string, period = NOV, asOf = AFTER_GRACE): InvoiceJob {
  return { tenant: tenantId, periodStart: period.start, periodEnd: period.end, asOf, runId: 'run_test' };
}

function meter(key: string) {
  const found = catalog.meter(key);
  if (found === undefined) throw new Error(key);
  return found;
}

function grant(
  tenantId: string,
  id: string,
  amountMinor: bigint,
  extra: Partial<CreditGrant> = {},
): CreditGrant {
  return {
    id,
    tenant: tenantId,
    name: `Grant ${id}`,
    currency: 'USD',
    amountMinor,
    remainingMinor: amountMinor,
    priority: 100,
    effectiveAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

beforeEach(() => {
  catalog = compileCatalog(loadCatalogText(CATALOG, 'yaml'));
  usage = new InMemoryUsage();
  store = new InMemoryInvoicingStore();
  documents = new InMemoryDocumentStore();
  published = new RecordingInvoicePublisher();
  tenants = new Map();
  now = Date.parse(AFTER_GRACE);
});

describe('a billing cycle', () => {
  it('bills a subscription with included usage and the overage above it', async () => {
    tenant('acme', 'pro');
    usage.add('acme', meter('input_tokens'), '2026-11-10T00:00:00.000Z', 900_000, { model: 'gpt-4o' });
    usage.add('acme', meter('input_tokens'), '2026-11-20T00:00:00.000Z', 600_000, { model: 'gpt-4o' });
    const outcome = await runInvoiceJob(job('acme'), deps());
    expect(outcome).toMatchObject({ action: 'finalized', number: 'acme-000001' });
    const invoice = await store.get(outcome.invoiceId);
    // $49.00 fee + (1,500,000 − 1,000,000 included) × $0.00001 = $49.00 + $5.00 = $54.00
    expect(invoice).toMatchObject({
      status: 'finalized',
      subtotal: '54.00',
      credits: '0.00',
      total: '54.00',
      currency: 'USD',
    });
    expect(invoice?.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([
      ['fee', '1', '49.00'],
      ['usage', '1000000', '0.00'],
      ['usage', '500000', '5.00'],
    ]);
    expect(published.published.map((i) => i.id)).toEqual([outcome.invoiceId]);
    expect([...documents.blobs.keys()].sort()).toEqual(
      ['html', 'json', 'pdf'].map((f) => `invoices/${outcome.invoiceId}/invoice.${f}`).sort(),
    );
  });

  it('prices tokens per model and warns about a model without a price', async () => {
    tenant('globex', 'models');
    const tokens = meter('input_tokens');
    usage.add('globex', tokens, '2026-11-03T10:00:00.000Z', 2_000_000, { model: 'gpt-4o' });
    usage.add('globex', tokens, '2026-11-04T10:00:00.000Z', 10_000_000, { model: 'gpt-4o-mini' });
    usage.add('globex', tokens, '2026-11-05T10:00:00.000Z', 7, { model: 'mystery' });
    const { invoiceId } = await runInvoiceJob(job('globex'), deps());
    const invoice = await store.get(invoiceId);
    // 2,000,000 × $0.0000025 + 10,000,000 × $0.00000015 = $5.00 + $1.50 = $6.50 (mystery at $0)
    expect(invoice?.total).toBe('6.50');
    expect(invoice?.lines.find((l) => l.group?.model === 'mystery')).toMatchObject({
      amount: '0.00',
      unpriced: true,
    });
    expect(invoice?.warnings.join()).toContain('mystery');
  });

  it('burns prepaid credits down across invoices, never below zero', async () => {
    tenant('acme', 'starter');
    await store.createGrant(grant('acme', 'promo', 3000n)); // $30.00
    const nov = await runInvoiceJob(job('acme'), deps());
    // November: $19.00 fee, all of it paid by credits → total $0.00; $11.00 left
    expect(await store.get(nov.invoiceId)).toMatchObject({
      subtotal: '19.00',
      credits: '19.00',
      total: '0.00',
    });
    usage.add('acme', meter('input_tokens'), '2026-12-02T00:00:00.000Z', 1_000_000, { model: 'gpt-4o' });
    now = Date.parse('2027-01-01T12:00:00.000Z');
    const dec = await runInvoiceJob(job('acme', DEC, '2027-01-01T12:00:00.000Z'), deps());
    // December: $19.00 + 1,000,000 × $0.000002 = $21.00; credits $11.00 → total $10.00
    expect(await store.get(dec.invoiceId)).toMatchObject({
      subtotal: '21.00',
      credits: '11.00',
      total: '10.00',
    });
    expect((await store.listGrants('acme'))[0]?.remainingMinor).toBe(0n);
  });

  it('prorates each plan by day when the plan changes mid-period', async () => {
    tenant('acme', 'pro', {
      planHistory: [
        { plan: 'starter', from: '2026-01-01' },
        { plan: 'pro', from: '2026-11-16' },
      ],
    });
    usage.add('acme', meter('input_tokens'), '2026-11-05T00:00:00.000Z', 1_000_000, { model: 'gpt-4o' });
    usage.add('acme', meter('input_tokens'), '2026-11-20T00:00:00.000Z', 1_200_000, { model: 'gpt-4o' });
    const { invoiceId } = await runInvoiceJob(job('acme'), deps());
    const invoice = await store.get(invoiceId);
    // Starter Nov 1–15: $19.00 × 15/30 = $9.50, plus 1,000,000 × $0.000002 = $2.00
    // Pro Nov 16–30: $49.00 × 15/30 = $24.50, plus (1,200,000 − 1,000,000) × $0.00001 = $2.00
    // Total: $9.50 + $2.00 + $24.50 + $0.00 + $2.00 = $38.00
    expect(invoice?.total).toBe('38.00');
    expect(invoice?.lines.filter((l) => l.kind === 'fee').map((l) => [l.plan, l.amount])).toEqual([
      ['starter', '9.50'],
      ['pro', '24.50'],
    ]);
  });

  it('does not bill usage a hard entitlement rejected', async () => {
    tenant('initech', 'capped');
    usage.add('initech', meter('calls'), '2026-11-10T00:00:00.000Z', 130);
    usage.addEntitlementRow('initech', {
      entitlement: 'monthly-calls',
      meter: 'calls',
      mode: 'hard',
      periodStart: NOV.start,
      periodEnd: NOV.end,
      used: 100n * 10n ** 12n,
      overage: 0n,
      rejected: 30n * 10n ** 12n,
      emitted: [],
    });
    const { invoiceId } = await runInvoiceJob(job('initech'), deps());
    // 130 calls recorded − 30 rejected = 100 × $0.01 = $1.00
    expect((await store.get(invoiceId))?.total).toBe('1.00');
  });
});

describe('late usage and the grace period', () => {
  it('keeps a draft during the grace period, refreshed with late usage, and finalizes it after', async () => {
    tenant('acme', 'starter');
    const tokens = meter('input_tokens');
    usage.add('acme', tokens, '2026-11-30T22:00:00.000Z', 1_000_000, { model: 'gpt-4o' });
    now = Date.parse('2026-12-01T01:00:00.000Z');
    const first = await runInvoiceJob(job('acme', NOV, '2026-12-01T01:00:00.000Z'), deps());
    expect(first.action).toBe('drafted');
    // $19.00 + 1,000,000 × $0.000002 = $21.00
    expect(await store.get(first.invoiceId)).toMatchObject({ status: 'draft', total: '21.00' });
    expect((await store.get(first.invoiceId))?.number).toBeUndefined();
    // An event from 23:00 on Nov 30 arrives at 03:00 on Dec 1, inside the 12 h grace period.
    usage.add('acme', tokens, '2026-11-30T23:00:00.000Z', 500_000, { model: 'gpt-4o' });
    now = Date.parse('2026-12-01T03:00:00.000Z');
    await runInvoiceJob(job('acme', NOV, '2026-12-01T03:00:00.000Z'), deps());
    expect(await store.get(first.invoiceId)).toMatchObject({ status: 'draft', total: '22.00' });
    now = Date.parse(AFTER_GRACE);
    const final = await runInvoiceJob(job('acme'), deps());
    // $19.00 + 1,500,000 × $0.000002 = $22.00, number 1
    expect(final).toMatchObject({ action: 'finalized', number: 'acme-000001' });
    expect(await store.get(first.invoiceId)).toMatchObject({ status: 'finalized', total: '22.00' });
  });

  it('bills usage that arrives after finalization on the next invoice as a labelled adjustment', async () => {
    tenant('acme', 'starter');
    const tokens = meter('input_tokens');
    usage.add('acme', tokens, '2026-11-15T00:00:00.000Z', 1_000_000, { model: 'gpt-4o' });
    const nov = await runInvoiceJob(job('acme'), deps());
    expect((await store.get(nov.invoiceId))?.total).toBe('21.00');
    // 250,000 tokens of November arrive on Dec 3, after November's invoice is final.
    usage.add('acme', tokens, '2026-11-30T20:00:00.000Z', 250_000, { model: 'gpt-4o' });
    now = Date.parse('2027-01-01T12:00:00.000Z');
    const dec = await runInvoiceJob(job('acme', DEC, '2027-01-01T12:00:00.000Z'), deps());
    const invoice = await store.get(dec.invoiceId);
    // The finalized November invoice does not change.
    expect((await store.get(nov.invoiceId))?.total).toBe('21.00');
    // December: $19.00 fee + adjustment 250,000 × $0.000002 = $0.50 → $19.50
    const adjustment = invoice?.lines.find((l) => l.kind === 'adjustment');
    expect(adjustment).toMatchObject({
      amount: '0.50',
      adjusts: { invoiceId: nov.invoiceId, number: 'acme-000001' },
    });
    expect(adjustment?.description).toContain('acme-000001');
    expect(invoice?.total).toBe('19.50');
    // A January invoice does not bill the same late usage again.
    now = Date.parse('2027-02-01T12:00:00.000Z');
    const jan = { start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z' };
    const janOutcome = await runInvoiceJob(job('acme', jan, '2027-02-01T12:00:00.000Z'), deps());
    expect((await store.get(janOutcome.invoiceId))?.lines.some((l) => l.kind === 'adjustment')).toBe(false);
  });
});

describe('exactly once', () => {
  it('changes nothing when the same run is repeated', async () => {
    tenant('acme', 'starter');
    usage.add('acme', meter('input_tokens'), '2026-11-15T00:00:00.000Z', 1_000_000, { model: 'gpt-4o' });
    const first = await runInvoiceJob(job('acme'), deps());
    const before = structuredClone(await store.get(first.invoiceId));
    now += 60_000;
    const second = await runInvoiceJob(job('acme'), deps());
    expect(second).toMatchObject({
      action: 'already_final',
      invoiceId: first.invoiceId,
      number: 'acme-000001',
    });
    expect(await store.get(first.invoiceId)).toEqual(before);
    expect(store.sequences.get('acme')).toBe(2);
    expect(published.published).toHaveLength(1);
  });

  it('ends with one invoice and one number when two workers run the same job at once', async () => {
    tenant('acme', 'starter');
    await store.createGrant(grant('acme', 'promo', 500n));
    const outcomes = await Promise.all([
      runInvoiceJob(job('acme'), deps()),
      runInvoiceJob(job('acme'), deps()),
    ]);
    expect(outcomes.map((o) => o.action).sort()).toEqual(['already_final', 'finalized']);
    expect([...store.invoices.values()]).toHaveLength(1);
    expect(store.sequences.get('acme')).toBe(2);
    // The $5.00 grant is used once: $19.00 − $5.00 = $14.00
    expect((await store.get(invoiceIdOf('acme', NOV.start)))?.total).toBe('14.00');
    expect((await store.listGrants('acme'))[0]?.remainingMinor).toBe(0n);
  });

  it('recovers from a crash after the invoice write and before the message ack', async () => {
    tenant('acme', 'starter');
    store.afterFinalize = () => {
      store.afterFinalize = undefined;
      throw new Error('crash after the transaction committed');
    };
    await expect(runInvoiceJob(job('acme'), deps())).rejects.toThrow('crash');
    const id = invoiceIdOf('acme', NOV.start);
    expect(await store.get(id)).toMatchObject({ status: 'finalized', number: 'acme-000001' });
    expect(published.published).toHaveLength(0);
    // The queue delivers the message again.
    const retry = await runInvoiceJob(job('acme'), deps());
    expect(retry).toMatchObject({ action: 'already_final', number: 'acme-000001' });
    expect(published.published.map((i) => i.id)).toEqual([id]);
    expect((await store.get(id))?.publishedAt).toBeDefined();
    expect(store.sequences.get('acme')).toBe(2);
  });

  it('numbers finalized invoices per tenant without gaps, in finalization order', async () => {
    tenant('acme', 'starter');
    tenant('globex', 'starter');
    await runInvoiceJob(job('acme'), deps());
    await runInvoiceJob(job('globex'), deps());
    now = Date.parse('2027-01-01T12:00:00.000Z');
    const dec = await runInvoiceJob(job('acme', DEC, '2027-01-01T12:00:00.000Z'), deps());
    expect(dec.number).toBe('acme-000002');
    expect((await store.get(invoiceIdOf('globex', NOV.start)))?.number).toBe('globex-000001');
  });
});

describe('void and the upcoming invoice', () => {
  it('voids a finalized invoice with a reason and gives its credits back', async () => {
    tenant('acme', 'starter');
    await store.createGrant(grant('acme', 'promo', 500n));
    const { invoiceId } = await runInvoiceJob(job('acme'), deps());
    const voided = await voidInvoice(
      { invoices: store, clock: () => now },
      invoiceId,
      'billed the wrong entity',
    );
    expect(voided).toMatchObject({
      status: 'void',
      voidReason: 'billed the wrong entity',
      number: 'acme-000001',
    });
    expect(voided.history.map((h) => h.status)).toEqual(['draft', 'finalized', 'void']);
    expect((await store.listGrants('acme'))[0]?.remainingMinor).toBe(500n);
    await expect(
      voidInvoice({ invoices: store, clock: () => now }, invoiceId, 'again'),
    ).rejects.toMatchObject({
      code: 'invalid_state',
    });
    // A void invoice is never rewritten by a later run.
    expect((await runInvoiceJob(job('acme'), deps())).action).toBe('already_final');
  });

  it('shows the running period as the upcoming invoice, growing with usage, without storing it', async () => {
    tenant('acme', 'starter');
    now = Date.parse('2026-12-10T00:00:00.000Z');
    const empty = await upcomingInvoice(deps(), 'acme');
    expect(empty).toMatchObject({ status: 'draft', periodStart: DEC.start, total: '19.00' });
    usage.add('acme', meter('input_tokens'), '2026-12-05T00:00:00.000Z', 2_000_000, { model: 'gpt-4o' });
    // $19.00 + 2,000,000 × $0.000002 = $23.00
    expect((await upcomingInvoice(deps(), 'acme')).total).toBe('23.00');
    expect(store.invoices.size).toBe(0);
  });
});

describe('the planner', () => {
  it('sends one job per billable tenant for its last closed period', async () => {
    tenant('acme', 'starter');
    tenant('umbrella', 'pro', { billingStart: '2026-12-15' });
    tenant('initech', 'free');
    const queue = new RecordingJobQueue();
    const summary = await planBillingRun(
      { asOf: Date.parse('2026-12-02T00:00:00.000Z') },
      {
        catalog: deps().catalog,
        tenants: {
          getTenant: async (t) => tenants.get(t),
          listTenantProfiles: async () => ({ profiles: [...tenants.values()] }),
        },
        queue,
        clock: () => now,
        newRunId: () => 'run_1',
      },
    );
    expect(queue.sent).toEqual([
      {
        tenant: 'acme',
        periodStart: NOV.start,
        periodEnd: NOV.end,
        asOf: '2026-12-02T00:00:00.000Z',
        runId: 'run_1',
      },
    ]);
    expect(summary).toMatchObject({ jobs: 1, tenants: 3, skippedCount: 2 });
  });
});
