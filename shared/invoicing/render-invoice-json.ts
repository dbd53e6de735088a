/**
 * The invoice as a JSON document: every field, in a fixed order (the order of the `Invoice`
 * type, so the same invoice always gives the same bytes however it was built), 2-space indent,
 * trailing newline. Maps of dimension values and any field the type does not name are sorted
 * by key.
 */
import type {
  CreditApplication,
  Invoice,
  InvoiceDocuments,
  InvoiceHistoryEntry,
  InvoiceLine,
} from './invoice.js';

type FieldOrder<T> = Record<keyof T, number>;

const INVOICE_ORDER = {
  id: 0,
  tenant: 1,
  status: 2,
  number: 3,
  sequence: 4,
  currency: 5,
  plan: 6,
  periodStart: 7,
  periodEnd: 8,
  graceEndsAt: 9,
  lines: 10,
  subtotal: 11,
  credits: 12,
  creditApplications: 13,
  total: 14,
  periodCharges: 15,
  warnings: 16,
  catalogVersion: 17,
  ratedAt: 18,
  createdAt: 19,
  finalizedAt: 20,
  voidedAt: 21,
  voidReason: 22,
  history: 23,
  documents: 24,
  publishedAt: 25,
} satisfies FieldOrder<Invoice>;

const LINE_ORDER = {
  key: 0,
  kind: 1,
  description: 2,
  plan: 3,
  meter: 4,
  group: 5,
  quantity: 6,
  unitPrice: 7,
  amount: 8,
  preciseAmount: 9,
  servicePeriodStart: 10,
  servicePeriodEnd: 11,
  adjusts: 12,
  unpriced: 13,
} satisfies FieldOrder<InvoiceLine>;

const ADJUSTS_ORDER = { invoiceId: 0, number: 1, periodStart: 2, periodEnd: 3 } satisfies FieldOrder<
  NonNullable<InvoiceLine['adjusts']>
>;
const CREDIT_ORDER = { grantId: 0, name: 1, amount: 2 } satisfies FieldOrder<CreditApplication>;
const HISTORY_ORDER = { at: 0, status: 1, reason: 2 } satisfies FieldOrder<InvoiceHistoryEntry>;
const DOCUMENTS_ORDER = { json: 0, html: 1, pdf: 2 } satisfies FieldOrder<InvoiceDocuments>;

type Order = Readonly<Record<string, number>>;

/** The order of the fields of the object found under `key` of an object ordered by `parent`. */
const CHILD_ORDERS = new Map<Order, Readonly<Record<string, Order>>>([
  [
    INVOICE_ORDER,
    {
      lines: LINE_ORDER,
      creditApplications: CREDIT_ORDER,
      history: HISTORY_ORDER,
      documents: DOCUMENTS_ORDER,
    },
  ],
  [LINE_ORDER, { adjusts: ADJUSTS_ORDER }],
]);

function rank(order: Order | undefined, key: string): number {
  return order !== undefined && Object.hasOwn(order, key) ? (order[key] ?? Infinity) : Infinity;
}

function ordered(value: unknown, order: Order | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => ordered(item, order));
  if (value === null || typeof value !== 'object') return value;
  const children = order === undefined ? undefined : CHILD_ORDERS.get(order);
  const keys = Object.keys(value).sort(
    (a, b) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = ordered((value as Record<string, unknown>)[key], children?.[key]);
  return out;
}

/** The invoice as pretty JSON with a stable field order and a trailing newline. */
export function renderInvoiceJson(invoice: Invoice): string {
  return `${JSON.stringify(ordered(invoice, INVOICE_ORDER), null, 2)}\n`;
}
