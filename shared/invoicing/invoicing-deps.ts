/** What the invoicing use-cases need; each composition root (AWS, local) builds one. */
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { UsageReader } from '../usage/ports.js';
import type {
  CreditStore,
  InvoiceDocumentStore,
  InvoiceEventPublisher,
  InvoiceJobQueue,
  InvoicePdfRenderer,
  InvoiceStore,
} from './ports.js';

export interface ActiveCatalogSource {
  /** The active catalog, compiled; undefined when none is active. */
  active(): Promise<{ readonly version: number; readonly compiled: CompiledCatalog } | undefined>;
}

export interface TenantSource {
  getTenant(tenant: string): Promise<TenantProfile | undefined>;
}

export interface TenantLister {
  listTenantProfiles(options?: { limit?: number; cursor?: string }): Promise<{
    profiles: TenantProfile[];
    cursor?: string;
  }>;
}

export interface InvoicingDeps {
  readonly catalog: ActiveCatalogSource;
  readonly tenants: TenantSource;
  readonly usage: UsageReader;
  readonly invoices: InvoiceStore;
  readonly credits: CreditStore;
  readonly clock: () => number;
  /** Grace period for tenants without their own (`graceHours`). */
  readonly defaultGraceHours: number;
}

export interface DeliveryDeps {
  readonly invoices: InvoiceStore;
  readonly documents: InvoiceDocumentStore;
  readonly pdf: InvoicePdfRenderer;
  readonly events: InvoiceEventPublisher;
  readonly clock: () => number;
}

export interface PlannerDeps {
  readonly catalog: ActiveCatalogSource;
  readonly tenants: TenantSource & TenantLister;
  readonly queue: InvoiceJobQueue;
  readonly clock: () => number;
  readonly newRunId: () => string;
}
