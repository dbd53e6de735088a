import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compileCatalog } from '../../shared/catalog/compiled-catalog.js';
import type {
  ActiveCatalogSource,
  DeliveryDeps,
  InvoicingDeps,
  PlannerDeps,
} from '../../shared/invoicing/invoicing-deps.js';
import type {
  InvoiceDocumentStore,
  InvoiceEventPublisher,
  InvoiceJobQueue,
} from '../../shared/invoicing/ports.js';
import type { InvoiceWorkerDeps } from '../../shared/invoicing/run-invoice-job.js';
import type { BlobStore } from '../adapters/blob/blob-store.js';
import { BlobInvoiceDocumentStore } from '../adapters/documents/blob-invoice-document-store.js';
import { PdfLibInvoiceRenderer } from '../adapters/documents/pdf-lib-invoice-renderer.js';
import { DynamoDbConfigStore } from '../adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbCreditStore } from '../adapters/dynamodb/dynamodb-credit-store.js';
import { DynamoDbInvoiceStore } from '../adapters/dynamodb/dynamodb-invoice-store.js';
import { DynamoDbUsageReader } from '../adapters/dynamodb/dynamodb-usage-reader.js';

export interface BillingWiring {
  readonly dynamodb: DynamoDBClient;
  readonly tables: { readonly usage: string; readonly config: string; readonly invoices: string };
  /** Where invoice documents go: S3 on AWS, a directory locally. Absent in the planner. */
  readonly documents?: BlobStore;
  /** Absent where nothing is finalized (planner, API). */
  readonly events?: InvoiceEventPublisher;
  /** Absent in the worker. */
  readonly queue?: InvoiceJobQueue;
  readonly clock: () => number;
  readonly graceHours: number;
  readonly newRunId: () => string;
  /** How long the active catalog is cached. */
  readonly catalogCacheMs: number;
}

export interface BillingDeps {
  readonly invoicing: InvoicingDeps;
  /** With `documents` and `events`. */
  readonly worker?: InvoiceWorkerDeps;
  /** With `queue`. */
  readonly planner?: PlannerDeps;
  /** With `documents`. */
  readonly documents?: InvoiceDocumentStore;
}

/** The active catalog from the config table, compiled once per version and re-read after `ttlMs`. */
export function cachedActiveCatalog(
  config: DynamoDbConfigStore,
  ttlMs: number,
  clock: () => number,
): ActiveCatalogSource {
  let cached: { version: number; compiled: ReturnType<typeof compileCatalog>; at: number } | undefined;
  return {
    async active() {
      const now = clock();
      if (cached !== undefined && now - cached.at < ttlMs) return cached;
      const active = await config.activeCatalog();
      if (active === undefined) return undefined;
      const compiled = cached?.version === active.version ? cached.compiled : compileCatalog(active.catalog);
      cached = { version: active.version, compiled, at: now };
      return cached;
    },
  };
}

/** Invoicing's adapters over DynamoDB, shared by both composition roots. */
export function billingDeps(wiring: BillingWiring): BillingDeps {
  const { dynamodb, tables, clock } = wiring;
  const config = new DynamoDbConfigStore(dynamodb, tables.config);
  const store = new DynamoDbInvoiceStore(dynamodb, tables.invoices);
  const catalog = cachedActiveCatalog(config, wiring.catalogCacheMs, clock);
  const documents =
    wiring.documents === undefined ? undefined : new BlobInvoiceDocumentStore(wiring.documents);
  const invoicing: InvoicingDeps = {
    catalog,
    tenants: config,
    usage: new DynamoDbUsageReader(dynamodb, tables.usage),
    invoices: store,
    credits: new DynamoDbCreditStore(dynamodb, tables.invoices),
    clock,
    defaultGraceHours: wiring.graceHours,
  };
  const delivery: DeliveryDeps | undefined =
    documents === undefined || wiring.events === undefined
      ? undefined
      : { invoices: store, documents, pdf: new PdfLibInvoiceRenderer(), events: wiring.events, clock };
  return {
    invoicing,
    ...(delivery === undefined ? {} : { worker: { ...invoicing, delivery } }),
    ...(wiring.queue === undefined
      ? {}
      : { planner: { catalog, tenants: config, queue: wiring.queue, clock, newRunId: wiring.newRunId } }),
    ...(documents === undefined ? {} : { documents }),
  };
}
