/**
 * The API of api-fakes.ts with billing: the shipped catalog (config/catalog.yaml), tenants
 * `acme` and `globex` on `pro`, `legacy` on a plan the catalog does not have, and in-memory
 * invoice, credit and document stores and job queue.
 */
import { readFileSync } from 'node:fs';
import type { ApiRequest, ApiResponse, BillingApiDeps } from '../../../functions/api/api-types.js';
import { handleApiRequest } from '../../../functions/api/handle-api-request.js';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import type { Invoice } from '../../../shared/invoicing/invoice.js';
import {
  InMemoryDocumentStore,
  InMemoryInvoicingStore,
  RecordingJobQueue,
} from '../../support/in-memory-invoicing.js';
import { ADMIN_TOKEN, NOW, type TestApi, testApi } from './api-fakes.js';

export const SHIPPED_CATALOG = loadCatalogText(
  readFileSync(new URL('../../../config/catalog.yaml', import.meta.url), 'utf8'),
  'yaml',
);

export interface BillingTestApi extends TestApi {
  readonly store: InMemoryInvoicingStore;
  readonly documents: InMemoryDocumentStore;
  readonly queue: RecordingJobQueue;
  readonly billing: BillingApiDeps;
  /** Stores the invoice, with its documents (`%PDF-…`, HTML and JSON) unless `documents: false`. */
  putInvoice(invoice: Invoice, options?: { readonly documents?: boolean }): Promise<Invoice>;
  /** A request whose body is not parsed (documents). */
  raw(method: string, path: string, options?: RawOptions): Promise<ApiResponse>;
}

export interface RawOptions {
  readonly token?: string;
  readonly query?: Record<string, string>;
}

/** The bytes of the stored PDF of `invoice`: not text, so base64 matters. */
export function pdfBytesOf(invoice: Invoice): Uint8Array {
  return new Uint8Array([...Buffer.from(`%PDF-1.7 ${invoice.id}\n`, 'latin1'), 0x00, 0xe2, 0xff, 0x80]);
}

export async function billingTestApi(): Promise<BillingTestApi> {
  const api = testApi(SHIPPED_CATALOG);
  await api.config.putTenant({ tenant: 'acme', plan: 'pro', status: 'active' });
  await api.config.putTenant({ tenant: 'globex', plan: 'pro', status: 'active' });
  await api.config.putTenant({ tenant: 'legacy', plan: 'legacy', status: 'active' });
  const store = new InMemoryInvoicingStore();
  const documents = new InMemoryDocumentStore();
  const queue = new RecordingJobQueue();
  const catalog = {
    active: async () => {
      const active = await api.config.activeCatalog();
      return active === undefined
        ? undefined
        : { version: active.version, compiled: compileCatalog(active.catalog) };
    },
  };
  const tenants = {
    getTenant: (tenant: string) => api.config.getTenant(tenant),
    listTenantProfiles: async () => ({ profiles: [...api.config.tenants.values()] }),
  };
  let runs = 0;
  const billing: BillingApiDeps = {
    invoicing: {
      catalog,
      tenants,
      usage: api.usage,
      invoices: store,
      credits: store,
      clock: () => NOW,
      defaultGraceHours: 48,
    },
    documents,
    planner: { catalog, tenants, queue, clock: () => NOW, newRunId: () => `run-${++runs}` },
  };
  Object.assign(api.deps, { billing });
  return {
    ...api,
    store,
    documents,
    queue,
    billing,
    async putInvoice(invoice, options = {}) {
      let stored = invoice;
      if (options.documents !== false) {
        stored = {
          ...invoice,
          documents: {
            pdf: await documents.put(invoice.id, 'pdf', pdfBytesOf(invoice)),
            html: await documents.put(invoice.id, 'html', Buffer.from(`<h1>Invoice ${invoice.id} — €</h1>`)),
            json: await documents.put(invoice.id, 'json', Buffer.from(`{"id":"${invoice.id}"}\n`)),
          },
        };
      }
      store.invoices.set(stored.id, stored);
      return stored;
    },
    async raw(method, path, options = {}) {
      const request: ApiRequest = {
        method,
        path,
        query: options.query ?? {},
        headers: { authorization: `Bearer ${options.token ?? ADMIN_TOKEN}` },
      };
      return handleApiRequest(request, api.deps);
    },
  };
}
