/**
 * The AWS composition root of invoicing: the planner and the worker Lambdas, and the billing
 * part of the API. Reads and validates the environment once per container; errors name the
 * variable.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { InvoicingDeps, PlannerDeps } from '../../shared/invoicing/invoicing-deps.js';
import type { InvoiceDocumentStore } from '../../shared/invoicing/ports.js';
import type { InvoiceWorkerDeps } from '../../shared/invoicing/run-invoice-job.js';
import { S3BlobStore } from '../adapters/blob/s3-blob-store.js';
import { SnsInvoiceEventPublisher } from '../adapters/sns/sns-invoice-event-publisher.js';
import { SqsInvoiceJobQueue } from '../adapters/sqs/sqs-invoice-job-queue.js';
import { parseEnvironment } from './aws-api.js';
import { ConfigurationError } from './aws-config.js';
import { type BillingDeps, billingDeps } from './billing-deps.js';

const base = {
  TOLLGATE_USAGE_TABLE: z.string().min(3),
  TOLLGATE_CONFIG_TABLE: z.string().min(3),
  TOLLGATE_INVOICES_TABLE: z.string().min(3),
  TOLLGATE_GRACE_HOURS: z.coerce.number().int().min(0).max(720).default(12),
  TOLLGATE_CONFIG_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  AWS_REGION: z.string().min(1),
};
const plannerSchema = z.object({ ...base, TOLLGATE_INVOICE_QUEUE_URL: z.string().url() });
const workerSchema = z.object({
  ...base,
  TOLLGATE_DOCUMENTS_BUCKET: z.string().min(3),
  TOLLGATE_INVOICE_TOPIC_ARN: z.string().startsWith('arn:'),
});
const apiSchema = z.object({
  ...base,
  TOLLGATE_DOCUMENTS_BUCKET: z.string().min(3),
  TOLLGATE_INVOICE_QUEUE_URL: z.string().url(),
});

function wiring(
  config: z.infer<typeof plannerSchema> | z.infer<typeof workerSchema> | z.infer<typeof apiSchema>,
) {
  return {
    dynamodb: new DynamoDBClient({ region: config.AWS_REGION }),
    tables: {
      usage: config.TOLLGATE_USAGE_TABLE,
      config: config.TOLLGATE_CONFIG_TABLE,
      invoices: config.TOLLGATE_INVOICES_TABLE,
    },
    clock: Date.now,
    graceHours: config.TOLLGATE_GRACE_HOURS,
    newRunId: () => `run_${ulid()}`,
    catalogCacheMs: config.TOLLGATE_CONFIG_CACHE_SECONDS * 1000,
  };
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ConfigurationError(`invoicing: ${what} is not wired`);
  return value;
}

export function awsPlannerDeps(env: NodeJS.ProcessEnv = process.env): PlannerDeps {
  const config = parseEnvironment(plannerSchema, env);
  const deps = billingDeps({
    ...wiring(config),
    queue: new SqsInvoiceJobQueue(
      new SQSClient({ region: config.AWS_REGION }),
      config.TOLLGATE_INVOICE_QUEUE_URL,
    ),
  });
  return required(deps.planner, 'the planner');
}

export function awsWorkerDeps(env: NodeJS.ProcessEnv = process.env): InvoiceWorkerDeps {
  const config = parseEnvironment(workerSchema, env);
  const region = config.AWS_REGION;
  const deps = billingDeps({
    ...wiring(config),
    documents: new S3BlobStore(new S3Client({ region }), config.TOLLGATE_DOCUMENTS_BUCKET),
    events: new SnsInvoiceEventPublisher(new SNSClient({ region }), config.TOLLGATE_INVOICE_TOPIC_ARN),
  });
  return required(deps.worker, 'the worker');
}

/** The billing routes' dependencies in the API function. */
export function awsApiBillingDeps(env: NodeJS.ProcessEnv = process.env): {
  invoicing: InvoicingDeps;
  documents: InvoiceDocumentStore;
  planner: PlannerDeps;
} {
  const config = parseEnvironment(apiSchema, env);
  const region = config.AWS_REGION;
  const deps: BillingDeps = billingDeps({
    ...wiring(config),
    documents: new S3BlobStore(new S3Client({ region }), config.TOLLGATE_DOCUMENTS_BUCKET),
    queue: new SqsInvoiceJobQueue(new SQSClient({ region }), config.TOLLGATE_INVOICE_QUEUE_URL),
  });
  return {
    invoicing: deps.invoicing,
    documents: required(deps.documents, 'the document store'),
    planner: required(deps.planner, 'the planner'),
  };
}
