/**
 * The invoice: what a tenant owes for one billing period. Amounts are decimal strings in major
 * units (`"12.30"`), exactly as the API returns them; the precise amount of each line is kept
 * beside its rounded one. See README.md in this folder for the vocabulary (service period,
 * grace cutoff, draft, finalized, void, adjustment).
 */
import { stableId, stableIdPattern } from '../ids/stable-id.js';

export const INVOICE_STATUSES = ['draft', 'finalized', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const INVOICE_LINE_KINDS = ['fee', 'usage', 'commitment', 'discount', 'adjustment', 'trial'] as const;
export type InvoiceLineKind = (typeof INVOICE_LINE_KINDS)[number];

export interface InvoiceLine {
  /** Unique within the invoice, stable across re-ratings of the same period. */
  readonly key: string;
  readonly kind: InvoiceLineKind;
  readonly description: string;
  /** The plan whose price produced the line (absent on adjustments and discounts of the whole invoice). */
  readonly plan?: string;
  readonly meter?: string;
  /** Dimension values the line prices (rate cards), e.g. `{ model: "gpt-4o" }`. */
  readonly group?: Readonly<Record<string, string>>;
  /** Decimal string; `"1"` for fees. */
  readonly quantity: string;
  /** Major units per unit, decimal string, up to 12 decimal places. */
  readonly unitPrice?: string;
  /** Rounded to the currency's minor units (major units, e.g. `"12.30"`); negative for discounts. */
  readonly amount: string;
  /** The exact amount before rounding (major units, up to 24 decimal places). */
  readonly preciseAmount: string;
  /** The days this line covers when not the whole period (plan changes, trials, adjustments). */
  readonly servicePeriodStart?: string;
  readonly servicePeriodEnd?: string;
  /** On an adjustment line: the finalized invoice whose period the late usage belongs to. */
  readonly adjusts?: {
    readonly invoiceId: string;
    readonly number?: string;
    readonly periodStart: string;
    readonly periodEnd: string;
  };
  /** Set when a rate card had no price for the line's dimension value (priced at zero). */
  readonly unpriced?: true;
}

export interface CreditApplication {
  readonly grantId: string;
  readonly name: string;
  /** Major units, decimal string. */
  readonly amount: string;
}

export interface InvoiceHistoryEntry {
  readonly at: string;
  readonly status: InvoiceStatus;
  readonly reason?: string;
}

export interface InvoiceDocuments {
  /** Blob keys of the stored documents. */
  readonly json: string;
  readonly html: string;
  readonly pdf: string;
}

export interface Invoice {
  /** Deterministic per (tenant, period start): `invoiceIdOf`. */
  readonly id: string;
  readonly tenant: string;
  readonly status: InvoiceStatus;
  /** Gap-free per tenant, assigned at finalization: `{tenant}-000001`. */
  readonly number?: string;
  readonly sequence?: number;
  readonly currency: string;
  /** The plan in force at the end of the period. */
  readonly plan: string;
  /** ISO-8601 UTC; the service period is [periodStart, periodEnd). */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Usage counted before this instant is on this invoice; after it, on the next one as an adjustment. */
  readonly graceEndsAt: string;
  readonly lines: readonly InvoiceLine[];
  /** Sum of the lines' rounded amounts. */
  readonly subtotal: string;
  /** Credits applied (≥ 0); the total is `subtotal - credits`, never below zero. */
  readonly credits: string;
  readonly creditApplications: readonly CreditApplication[];
  readonly total: string;
  /**
   * The exact charges for this period's own usage and fees (lines other than adjustments), in
   * major units: the base later adjustments for late usage are measured against.
   */
  readonly periodCharges: string;
  /** Things a reader must know, e.g. a rate card without a price for a model. */
  readonly warnings: readonly string[];
  readonly catalogVersion: number;
  /** When the lines were last rated. */
  readonly ratedAt: string;
  readonly createdAt: string;
  readonly finalizedAt?: string;
  readonly voidedAt?: string;
  readonly voidReason?: string;
  readonly history: readonly InvoiceHistoryEntry[];
  readonly documents?: InvoiceDocuments;
  /** When `invoice.finalized` was published. */
  readonly publishedAt?: string;
}

/** The deterministic invoice id of a tenant's period: `in_` + 26 base32 characters of sha256. */
export function invoiceIdOf(tenant: string, periodStartIso: string): string {
  return stableId('in', tenant, periodStartIso);
}

export const INVOICE_ID_PATTERN = stableIdPattern('in');

/** The invoice number of a tenant's `sequence`-th finalized invoice. */
export function invoiceNumberOf(tenant: string, sequence: number): string {
  return `${tenant}-${String(sequence).padStart(6, '0')}`;
}
