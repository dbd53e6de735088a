/**
 * What invoicing needs from the outside world. Adapters only marshal and make the conditional
 * writes; every rule (what is billed, when, which number) is in this folder.
 */
import type { Invoice, InvoiceDocuments } from './invoice.js';

export interface InvoicePage {
  readonly invoices: readonly Invoice[];
  /** Opaque; absent on the last page. */
  readonly cursor?: string;
}

/** A debit of a credit grant, made in the same transaction that finalizes the invoice. */
export interface CreditDebit {
  readonly tenant: string;
  readonly grantId: string;
  /** Minor units, > 0. The write fails when the grant's remaining balance is smaller. */
  readonly amountMinor: bigint;
}

export type FinalizeOutcome =
  | { readonly ok: true }
  /** The stored invoice is not a draft (another worker finalized or voided it). */
  | { readonly ok: false; readonly reason: 'not_draft' }
  /** Another invoice of the tenant took `sequence` first; read the next number and rate again. */
  | { readonly ok: false; readonly reason: 'sequence_taken' }
  /** A grant's balance changed since it was read; read the grants and rate again. */
  | { readonly ok: false; readonly reason: 'credit_changed' };

export interface InvoiceStore {
  get(id: string): Promise<Invoice | undefined>;
  /** The tenant's invoices, newest period first. */
  listByTenant(tenant: string, options?: { limit?: number; cursor?: string }): Promise<InvoicePage>;
  /**
   * Writes a draft: creates it, or replaces a stored draft. Returns false, writing nothing,
   * when the stored invoice is finalized or void (conditional write).
   */
  putDraft(invoice: Invoice): Promise<boolean>;
  /** The sequence number the tenant's next finalized invoice takes (1 for the first). */
  nextSequence(tenant: string): Promise<number>;
  /**
   * In one transaction: writes `invoice` (status `finalized`, its `sequence`) over the draft, or
   * where there is none yet,
   * advances the tenant's sequence from `invoice.sequence` to the next, and makes the debits.
   * Any condition failing writes nothing.
   */
  finalize(invoice: Invoice, debits: readonly CreditDebit[]): Promise<FinalizeOutcome>;
  /**
   * In one transaction: replaces a finalized invoice with `invoice` (status `void`) and gives
   * the credits back. False when the stored invoice is not finalized.
   */
  voidInvoice(invoice: Invoice, refunds: readonly CreditDebit[]): Promise<boolean>;
  /** Records where the documents are and when `invoice.finalized` was published. */
  markDelivered(id: string, documents: InvoiceDocuments, publishedAt: string): Promise<void>;
}

export interface CreditGrant {
  /** Unique per tenant; a second grant with the same id is the same grant (idempotent). */
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly currency: string;
  /** Minor units granted, > 0. */
  readonly amountMinor: bigint;
  /** Minor units left, 0 ≤ remaining ≤ amount. */
  readonly remainingMinor: bigint;
  /** Lower applies first. */
  readonly priority: number;
  /** ISO-8601 UTC: usable on invoices whose period ends after this. */
  readonly effectiveAt: string;
  /** ISO-8601 UTC: not usable on invoices whose period ends after this. */
  readonly expiresAt?: string;
  readonly createdAt: string;
}

export interface CreditStore {
  /** Creates the grant; false when a grant with its id exists already (nothing is written). */
  createGrant(grant: CreditGrant): Promise<boolean>;
  listGrants(tenant: string): Promise<CreditGrant[]>;
}

/** One unit of invoicing work: a tenant's period, to draft or to finalize. */
export interface InvoiceJob {
  readonly tenant: string;
  /** ISO-8601 UTC. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** The run's clock: grace is judged against it. */
  readonly asOf: string;
  readonly runId: string;
}

export interface InvoiceJobQueue {
  /** Sends the jobs (in batches as the queue allows); rejects when any could not be sent. */
  send(jobs: readonly InvoiceJob[]): Promise<void>;
}

export type DocumentFormat = 'json' | 'html' | 'pdf';

export interface InvoiceDocumentStore {
  /** Stores the rendered document under a key derived from the invoice id; returns the key. */
  put(invoiceId: string, format: DocumentFormat, bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Uint8Array | undefined>;
}

/** Renders the PDF (a library does the layout; the content comes from the invoice). */
export interface InvoicePdfRenderer {
  render(invoice: Invoice): Promise<Uint8Array>;
}

export interface InvoiceEventPublisher {
  /** Publishes `invoice.finalized` (at least once; consumers dedupe on the invoice id). */
  finalized(invoice: Invoice): Promise<void>;
}

export type ListingErrorCode = 'invalid_cursor' | 'invalid_limit';

/** A listing asked with a cursor this store did not give for it, or a limit out of range. */
export class ListingError extends Error {
  override readonly name = 'ListingError';
  readonly code: ListingErrorCode;
  readonly field: 'cursor' | 'limit';

  constructor(code: ListingErrorCode, message: string) {
    super(message);
    this.code = code;
    this.field = code === 'invalid_cursor' ? 'cursor' : 'limit';
  }
}
