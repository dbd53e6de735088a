/**
 * After finalization: the invoice as JSON, HTML and PDF in the document store, then
 * `invoice.finalized` published, then both recorded on the invoice. A crash anywhere in between
 * is repaired by the next delivery of the same job: documents are overwritten under the same
 * keys (same bytes), and the event is published again only if it was not recorded
 * (at least once; consumers dedupe on the invoice id).
 */
import { toIso } from '../time/windows.js';
import type { Invoice } from './invoice.js';
import type { DeliveryDeps } from './invoicing-deps.js';
import { renderInvoiceHtml } from './render-invoice-html.js';
import { renderInvoiceJson } from './render-invoice-json.js';

const utf8 = new TextEncoder();

/** Delivers a finalized invoice that was not delivered yet; returns it as stored after. */
export async function deliverInvoice(invoice: Invoice, deps: DeliveryDeps): Promise<Invoice> {
  if (invoice.status !== 'finalized' || invoice.publishedAt !== undefined) return invoice;
  const [json, html, pdf] = await Promise.all([
    deps.documents.put(invoice.id, 'json', utf8.encode(renderInvoiceJson(invoice))),
    deps.documents.put(invoice.id, 'html', utf8.encode(renderInvoiceHtml(invoice))),
    deps.pdf.render(invoice).then((bytes) => deps.documents.put(invoice.id, 'pdf', bytes)),
  ]);
  const documents = { json, html, pdf };
  await deps.events.finalized(invoice);
  const publishedAt = toIso(deps.clock());
  await deps.invoices.markDelivered(invoice.id, documents, publishedAt);
  return { ...invoice, documents, publishedAt };
}
