/**
 * In-memory invoicing stores with the conditional-write semantics of the DynamoDB adapters
 * (a draft never overwrites a final invoice; finalization is all-or-nothing over the invoice,
 * the tenant's sequence and the credit debits), for unit and property tests of the domain.
 */
import type { Invoice, InvoiceDocuments } from '../../shared/invoicing/invoice.js';
import type {
  CreditDebit,
  CreditGrant,
  CreditStore,
  DocumentFormat,
  FinalizeOutcome,
  InvoiceDocumentStore,
  InvoiceEventPublisher,
  InvoiceJob,
  InvoiceJobQueue,
  InvoicePage,
  InvoicePdfRenderer,
  InvoiceStore,
} from '../../shared/invoicing/ports.js';

export class InMemoryInvoicingStore implements InvoiceStore, CreditStore {
  readonly invoices = new Map<string, Invoice>();
  readonly sequences = new Map<string, number>();
  readonly grants = new Map<string, CreditGrant>();
  /** Called after each finalize transaction commits (to inject a crash after the write). */
  afterFinalize: ((invoice: Invoice) => void) | undefined;

  async get(id: string): Promise<Invoice | undefined> {
    return this.invoices.get(id);
  }

  async listByTenant(
    tenant: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<InvoicePage> {
    const all = [...this.invoices.values()]
      .filter((inv) => inv.tenant === tenant)
      .sort((a, b) => (a.periodStart < b.periodStart ? 1 : a.periodStart > b.periodStart ? -1 : 0));
    const offset = options.cursor === undefined ? 0 : Number(options.cursor);
    const limit = options.limit ?? 50;
    const page = all.slice(offset, offset + limit);
    return offset + limit < all.length
      ? { invoices: page, cursor: String(offset + limit) }
      : { invoices: page };
  }

  async putDraft(invoice: Invoice): Promise<boolean> {
    const stored = this.invoices.get(invoice.id);
    if (stored !== undefined && stored.status !== 'draft') return false;
    this.invoices.set(invoice.id, invoice);
    return true;
  }

  async nextSequence(tenant: string): Promise<number> {
    return this.sequences.get(tenant) ?? 1;
  }

  async finalize(invoice: Invoice, debits: readonly CreditDebit[]): Promise<FinalizeOutcome> {
    const stored = this.invoices.get(invoice.id);
    if (stored !== undefined && stored.status !== 'draft') return { ok: false, reason: 'not_draft' };
    if ((this.sequences.get(invoice.tenant) ?? 1) !== invoice.sequence)
      return { ok: false, reason: 'sequence_taken' };
    for (const debit of debits) {
      const grant = this.grants.get(`${debit.tenant}/${debit.grantId}`);
      if (grant === undefined || grant.remainingMinor < debit.amountMinor)
        return { ok: false, reason: 'credit_changed' };
    }
    this.invoices.set(invoice.id, invoice);
    this.sequences.set(invoice.tenant, (invoice.sequence ?? 0) + 1);
    for (const debit of debits) {
      const key = `${debit.tenant}/${debit.grantId}`;
      const grant = this.grants.get(key);
      if (grant !== undefined)
        this.grants.set(key, { ...grant, remainingMinor: grant.remainingMinor - debit.amountMinor });
    }
    this.afterFinalize?.(invoice);
    return { ok: true };
  }

  async voidInvoice(invoice: Invoice, refunds: readonly CreditDebit[]): Promise<boolean> {
    if (this.invoices.get(invoice.id)?.status !== 'finalized') return false;
    this.invoices.set(invoice.id, invoice);
    for (const refund of refunds) {
      const key = `${refund.tenant}/${refund.grantId}`;
      const grant = this.grants.get(key);
      if (grant !== undefined)
        this.grants.set(key, { ...grant, remainingMinor: grant.remainingMinor + refund.amountMinor });
    }
    return true;
  }

  async markDelivered(id: string, documents: InvoiceDocuments, publishedAt: string): Promise<void> {
    const stored = this.invoices.get(id);
    // As the DynamoDB store: the first delivery record stands.
    if (stored !== undefined && stored.publishedAt === undefined)
      this.invoices.set(id, { ...stored, documents, publishedAt });
  }

  async createGrant(grant: CreditGrant): Promise<boolean> {
    const key = `${grant.tenant}/${grant.id}`;
    if (this.grants.has(key)) return false;
    this.grants.set(key, grant);
    return true;
  }

  async listGrants(tenant: string): Promise<CreditGrant[]> {
    return [...this.grants.values()].filter((g) => g.tenant === tenant);
  }
}

export class InMemoryDocumentStore implements InvoiceDocumentStore {
  readonly blobs = new Map<string, Uint8Array>();
  async put(invoiceId: string, format: DocumentFormat, bytes: Uint8Array): Promise<string> {
    const key = `invoices/${invoiceId}/invoice.${format}`;
    this.blobs.set(key, bytes);
    return key;
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(key);
  }
}

/** A stand-in for the PDF library in unit tests: the invoice's JSON as bytes. */
export class FakePdfRenderer implements InvoicePdfRenderer {
  async render(invoice: Invoice): Promise<Uint8Array> {
    return new TextEncoder().encode(`%PDF-fake ${invoice.id} ${invoice.number ?? ''}`);
  }
}

export class RecordingInvoicePublisher implements InvoiceEventPublisher {
  readonly published: Invoice[] = [];
  async finalized(invoice: Invoice): Promise<void> {
    this.published.push(invoice);
  }
}

export class RecordingJobQueue implements InvoiceJobQueue {
  readonly sent: InvoiceJob[] = [];
  async send(jobs: readonly InvoiceJob[]): Promise<void> {
    this.sent.push(...jobs);
  }
}
