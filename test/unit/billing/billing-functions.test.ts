import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createInvoiceWorker } from '../../../functions/billing/invoice-worker.js';
import { parsePlannerEvent } from '../../../functions/billing/planner-event.js';
import {
  awsApiBillingDeps,
  awsPlannerDeps,
  awsWorkerDeps,
} from '../../../functions/composition/aws-billing.js';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import { formatInvoiceJob } from '../../../shared/invoicing/invoice-job.js';
import type { InvoiceWorkerDeps } from '../../../shared/invoicing/run-invoice-job.js';
import {
  FakePdfRenderer,
  InMemoryDocumentStore,
  InMemoryInvoicingStore,
  RecordingInvoicePublisher,
} from '../../support/in-memory-invoicing.js';
import { InMemoryUsage } from '../../support/in-memory-usage.js';

const ENV = {
  TOLLGATE_USAGE_TABLE: 'usage',
  TOLLGATE_CONFIG_TABLE: 'config',
  TOLLGATE_INVOICES_TABLE: 'invoices',
  TOLLGATE_DOCUMENTS_BUCKET: 'documents',
  TOLLGATE_INVOICE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:invoices',
  TOLLGATE_INVOICE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  AWS_REGION: 'us-east-1',
};

describe('the AWS composition of invoicing', () => {
  it('wires the planner, the worker and the API from a complete environment', () => {
    expect(awsPlannerDeps(ENV).queue).toBeDefined();
    expect(awsWorkerDeps(ENV).delivery.documents).toBeDefined();
    expect(awsApiBillingDeps(ENV).invoicing.defaultGraceHours).toBe(12);
    expect(awsWorkerDeps({ ...ENV, TOLLGATE_GRACE_HOURS: '24' }).defaultGraceHours).toBe(24);
  });

  it('names each missing or bad variable', () => {
    const { TOLLGATE_DOCUMENTS_BUCKET: _, ...withoutBucket } = ENV;
    expect(() => awsWorkerDeps(withoutBucket)).toThrow(/TOLLGATE_DOCUMENTS_BUCKET: is not set/);
    expect(() => awsPlannerDeps({ ...ENV, TOLLGATE_INVOICE_QUEUE_URL: 'jobs' })).toThrow(
      /TOLLGATE_INVOICE_QUEUE_URL/,
    );
    expect(() => awsWorkerDeps({ ...ENV, TOLLGATE_GRACE_HOURS: '1000' })).toThrow(/TOLLGATE_GRACE_HOURS/);
  });
});

describe('the planner event', () => {
  it('reads the schedule input and a manual run, naming a bad field', () => {
    expect(parsePlannerEvent({ source: 'schedule' })).toEqual({});
    expect(parsePlannerEvent(undefined)).toEqual({});
    expect(parsePlannerEvent({ asOf: '2026-12-01T13:00:00Z', tenant: 'acme' })).toEqual({
      asOf: Date.parse('2026-12-01T13:00:00Z'),
      tenant: 'acme',
    });
    expect(() => parsePlannerEvent({ asOf: 'yesterday' })).toThrow(/^asOf: /);
    expect(() => parsePlannerEvent({ tenant: 'a/b' })).toThrow(/^tenant: /);
  });
});

describe('the invoice worker', () => {
  const catalog = compileCatalog(
    loadCatalogText(
      `schemaVersion: 1
meters: [ { key: calls, name: Calls, unit: calls, eventType: inference.call, aggregation: COUNT } ]
plans: [ { key: basic, name: Basic, billing: { currency: USD, fees: [ { key: fee, name: Fee, amount: "10.00" } ] } } ]`,
      'yaml',
    ),
  );
  const deps = (): InvoiceWorkerDeps & { store: InMemoryInvoicingStore } => {
    const store = new InMemoryInvoicingStore();
    const clock = () => Date.parse('2026-12-02T00:00:00Z');
    return {
      store,
      catalog: { active: async () => ({ version: 1, compiled: catalog }) },
      tenants: {
        getTenant: async (tenant) =>
          tenant === 'acme' ? { tenant, plan: 'basic', status: 'active' } : undefined,
      },
      usage: new InMemoryUsage(),
      invoices: store,
      credits: store,
      clock,
      defaultGraceHours: 12,
      delivery: {
        invoices: store,
        documents: new InMemoryDocumentStore(),
        pdf: new FakePdfRenderer(),
        events: new RecordingInvoicePublisher(),
        clock,
      },
    };
  };
  const record = (messageId: string, body: string) =>
    ({
      messageId,
      body,
      attributes: { ApproximateReceiveCount: '1' },
    }) as unknown as SQSEvent['Records'][number];
  const job = (tenant: string) =>
    formatInvoiceJob({
      tenant,
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      asOf: '2026-12-01T13:00:00.000Z',
      runId: 'run_1',
    });

  it('reports only the failed jobs of a batch, so only they come back', async () => {
    const d = deps();
    const logs: string[] = [];
    const worker = createInvoiceWorker(d, {
      info: (message) => logs.push(message),
      error: (message) => logs.push(message),
    });
    const response = await worker({
      Records: [record('m1', job('acme')), record('m2', '{"tenant":'), record('m3', job('nobody'))],
    });
    expect(response.batchItemFailures).toEqual(
      expect.arrayContaining([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]),
    );
    expect(response.batchItemFailures).toHaveLength(2);
    expect([...d.store.invoices.values()].map((i) => [i.tenant, i.status, i.total])).toEqual([
      ['acme', 'finalized', '10.00'],
    ]);
  });
});
