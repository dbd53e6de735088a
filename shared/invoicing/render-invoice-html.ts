/**
 * The invoice as a person reads it. `presentInvoice` turns an invoice into display strings (the
 * one place that decides what a reader sees: headings, labels, number formats); the HTML here
 * and the PDF adapter both lay out that same view, so the two documents never disagree.
 *
 * Numbers are shown with their digits untouched: thousands separators are inserted, nothing is
 * rounded or padded (`"1234567.5"` → `"1,234,567.5"`). Dates are UTC; a service period
 * `[start, end)` is shown by its first and last day.
 */
import type { Invoice, InvoiceLine, InvoiceLineKind } from './invoice.js';

export interface InvoiceRowView {
  readonly description: string;
  /** A visible tag for lines that are not plain charges (`Adjustment`, `Discount`, …). */
  readonly label?: string;
  /** Smaller print under the description: dimensions, partial service period, what it adjusts. */
  readonly details: readonly string[];
  readonly quantity: string;
  /** Empty when the line has no unit price. */
  readonly unitPrice: string;
  readonly amount: string;
}

export interface InvoiceSectionView {
  /** `period`: the period's own lines; `adjustments`: late usage of earlier, finalized periods. */
  readonly kind: 'period' | 'adjustments';
  readonly title: string;
  readonly rows: readonly InvoiceRowView[];
}

export interface InvoiceTotalView {
  readonly kind: 'subtotal' | 'credit' | 'credits' | 'total';
  readonly label: string;
  readonly value: string;
}

export interface InvoiceView {
  /** `Invoice acme-000004`, or `Invoice` before a number is assigned. */
  readonly title: string;
  readonly banner?: { readonly kind: 'draft' | 'void'; readonly text: string };
  readonly issuer?: string;
  readonly facts: readonly { readonly label: string; readonly value: string }[];
  /** This period's lines first, then adjustments for earlier periods (when there are any). */
  readonly sections: readonly InvoiceSectionView[];
  readonly totals: readonly InvoiceTotalView[];
  readonly warnings: readonly string[];
  readonly footer: string;
}

export interface RenderInvoiceOptions {
  /** Who issues the invoice (the seller), shown above the title. */
  readonly issuer?: string;
}

export const DRAFT_BANNER = 'DRAFT — not final';
export const ADJUSTMENTS_TITLE = 'Adjustments for earlier periods';

const LINE_LABELS: Readonly<Record<InvoiceLineKind, string | undefined>> = {
  usage: undefined,
  fee: undefined,
  commitment: 'Minimum commitment',
  discount: 'Discount',
  adjustment: 'Adjustment',
  trial: 'Trial',
};

const STATUS_NAMES = { draft: 'Draft', finalized: 'Finalized', void: 'Void' } as const;

/** Inserts thousands separators in a decimal string's whole part; anything else is returned as is. */
export function groupDigits(decimal: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(decimal);
  if (match === null) return decimal;
  const [, sign = '', whole = '', fraction = ''] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/** `"USD 1,234.50"`; a negative amount keeps its sign on the number (`"USD -5.00"`). */
export function formatMoney(amount: string, currency: string): string {
  return `${currency} ${groupDigits(amount)}`;
}

function negate(decimal: string): string {
  if (decimal.startsWith('-')) return decimal.slice(1);
  return /^[0.]+$/.test(decimal) ? decimal : `-${decimal}`;
}

/** The UTC calendar day of an instant (`2026-11-01`); the text itself when it is not a time. */
export function formatDay(iso: string, offsetMs = 0): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms + offsetMs).toISOString().slice(0, 10);
}

/** `2026-12-03 09:15 UTC`. */
export function formatInstant(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const text = new Date(ms).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)} UTC`;
}

/** The half-open period `[start, end)` by its first and last day: `2026-11-01 to 2026-11-30`. */
export function formatServicePeriod(start: string, end: string): string {
  return `${formatDay(start)} to ${formatDay(end, -1)}`;
}

function lineDetails(line: InvoiceLine): string[] {
  const details: string[] = [];
  const group = Object.entries(line.group ?? {}).map(
    ([key, value]) => `${key}: ${value === '' ? '(none)' : value}`,
  );
  if (group.length > 0) details.push(group.join(', '));
  if (line.adjusts !== undefined) {
    const { number, invoiceId, periodStart, periodEnd } = line.adjusts;
    details.push(
      `Late usage for invoice ${number ?? invoiceId} (${formatServicePeriod(periodStart, periodEnd)})`,
    );
  } else if (line.servicePeriodStart !== undefined && line.servicePeriodEnd !== undefined) {
    details.push(`Service period ${formatServicePeriod(line.servicePeriodStart, line.servicePeriodEnd)}`);
  }
  if (line.unpriced) details.push('No price in the rate card: charged at zero');
  return details;
}

function rowOf(line: InvoiceLine, currency: string): InvoiceRowView {
  const label = LINE_LABELS[line.kind];
  return {
    description: line.description,
    ...(label === undefined ? {} : { label }),
    details: lineDetails(line),
    quantity: groupDigits(line.quantity),
    unitPrice: line.unitPrice === undefined ? '' : formatMoney(line.unitPrice, currency),
    amount: formatMoney(line.amount, currency),
  };
}

/** The display strings of an invoice, shared by every document format. */
export function presentInvoice(invoice: Invoice, options: RenderInvoiceOptions = {}): InvoiceView {
  const { currency } = invoice;
  const period = formatServicePeriod(invoice.periodStart, invoice.periodEnd);
  const facts = [
    ...(invoice.number === undefined ? [] : [{ label: 'Invoice number', value: invoice.number }]),
    { label: 'Bill to', value: invoice.tenant },
    { label: 'Plan', value: invoice.plan },
    { label: 'Currency', value: currency },
    { label: 'Service period', value: `${period} (UTC)` },
    { label: 'Status', value: STATUS_NAMES[invoice.status] },
    ...(invoice.finalizedAt === undefined
      ? []
      : [{ label: 'Finalized', value: formatInstant(invoice.finalizedAt) }]),
    ...(invoice.voidedAt === undefined ? [] : [{ label: 'Voided', value: formatInstant(invoice.voidedAt) }]),
  ];
  const own = invoice.lines.filter((line) => line.kind !== 'adjustment');
  const adjustments = invoice.lines.filter((line) => line.kind === 'adjustment');
  const sections: InvoiceSectionView[] = [
    { kind: 'period', title: `Charges for ${period}`, rows: own.map((line) => rowOf(line, currency)) },
  ];
  if (adjustments.length > 0) {
    sections.push({
      kind: 'adjustments',
      title: ADJUSTMENTS_TITLE,
      rows: adjustments.map((line) => rowOf(line, currency)),
    });
  }
  const totals: InvoiceTotalView[] = [
    { kind: 'subtotal', label: 'Subtotal', value: formatMoney(invoice.subtotal, currency) },
    ...invoice.creditApplications.map((credit) => ({
      kind: 'credit' as const,
      label: `Credit: ${credit.name}`,
      value: formatMoney(negate(credit.amount), currency),
    })),
    { kind: 'credits', label: 'Credits applied', value: formatMoney(negate(invoice.credits), currency) },
    { kind: 'total', label: 'Total due', value: formatMoney(invoice.total, currency) },
  ];
  const banner =
    invoice.status === 'draft'
      ? { kind: 'draft' as const, text: DRAFT_BANNER }
      : invoice.status === 'void'
        ? { kind: 'void' as const, text: invoice.voidReason ? `VOID: ${invoice.voidReason}` : 'VOID' }
        : undefined;
  return {
    title: invoice.number === undefined ? 'Invoice' : `Invoice ${invoice.number}`,
    ...(banner === undefined ? {} : { banner }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    facts,
    sections,
    totals,
    warnings: invoice.warnings,
    footer: `Invoice id ${invoice.id} · rated ${formatInstant(invoice.ratedAt)} · catalog version ${invoice.catalogVersion}`,
  };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const STYLE = `
  *{box-sizing:border-box}
  body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1a1a1a;margin:0;background:#fff}
  main{max-width:820px;margin:0 auto;padding:32px}
  .issuer{color:#555;margin:0 0 4px}
  h1{font-size:28px;margin:0 0 12px}
  .banner{padding:10px 14px;margin:0 0 16px;font-weight:700;border:2px solid}
  .banner.draft{color:#7a5b00;background:#fff8db;border-color:#e0b400}
  .banner.void{color:#8b0000;background:#fdecec;border-color:#c62828}
  dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 24px}
  dl.facts dt{color:#555}
  dl.facts dd{margin:0}
  table{width:100%;border-collapse:collapse;margin:0 0 16px}
  thead{display:table-header-group}
  th,td{padding:6px 8px;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}
  th{background:#f4f4f4;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
  .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
  tr{page-break-inside:avoid;break-inside:avoid}
  tr.section th{background:#fff;text-transform:none;font-size:14px;border-bottom:2px solid #999}
  .label{display:inline-block;font-size:11px;font-weight:700;padding:0 6px;margin-right:6px;border-radius:3px;background:#e8eefc;color:#1d3f91}
  tr.adjustment .label{background:#fff0d9;color:#7a4b00}
  .details{color:#666;font-size:12px}
  table.totals{width:auto;margin-left:auto}
  table.totals td{border:none;padding:3px 8px}
  table.totals tr.total td{font-weight:700;font-size:16px;border-top:2px solid #333}
  .warnings{border-left:4px solid #e0b400;background:#fffbea;padding:8px 16px;margin:16px 0}
  .warnings h2{font-size:14px;margin:0 0 4px}
  .warnings ul{margin:0;padding-left:20px}
  footer{color:#777;font-size:12px;border-top:1px solid #ddd;padding-top:8px;margin-top:32px}
  @page{size:A4;margin:16mm}
  @media print{main{padding:0;max-width:none}body{font-size:11pt}}
`;

function rowHtml(row: InvoiceRowView, kind: string): string {
  const label = row.label === undefined ? '' : `<span class="label">${escapeHtml(row.label)}</span>`;
  const details = row.details.map((detail) => `<div class="details">${escapeHtml(detail)}</div>`).join('');
  return `<tr class="${kind}"><td>${label}${escapeHtml(row.description)}${details}</td><td class="num">${escapeHtml(row.quantity)}</td><td class="num">${escapeHtml(row.unitPrice)}</td><td class="num">${escapeHtml(row.amount)}</td></tr>`;
}

function sectionHtml(section: InvoiceSectionView): string {
  const kind = section.kind === 'adjustments' ? 'adjustment' : 'charge';
  const rows =
    section.rows.length === 0
      ? '<tr><td colspan="4" class="details">No charges.</td></tr>'
      : section.rows.map((row) => rowHtml(row, kind)).join('\n');
  return `<tbody><tr class="section"><th colspan="4" scope="rowgroup">${escapeHtml(section.title)}</th></tr>\n${rows}</tbody>`;
}

/** A complete, self-contained HTML5 page (inline CSS, no external resources, printable on A4). */
export function renderInvoiceHtml(invoice: Invoice, options: RenderInvoiceOptions = {}): string {
  const view = presentInvoice(invoice, options);
  const facts = view.facts
    .map((fact) => `<dt>${escapeHtml(fact.label)}</dt><dd>${escapeHtml(fact.value)}</dd>`)
    .join('');
  const totals = view.totals
    .map(
      (total) =>
        `<tr class="${total.kind}"><td>${escapeHtml(total.label)}</td><td class="num">${escapeHtml(total.value)}</td></tr>`,
    )
    .join('\n');
  const warnings =
    view.warnings.length === 0
      ? ''
      : `<section class="warnings"><h2>Warnings</h2><ul>${view.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(view.title)} · ${escapeHtml(invoice.tenant)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
${view.issuer === undefined ? '' : `<p class="issuer">${escapeHtml(view.issuer)}</p>`}
<h1>${escapeHtml(view.title)}</h1>
${view.banner === undefined ? '' : `<p class="banner ${view.banner.kind}" role="status">${escapeHtml(view.banner.text)}</p>`}
<dl class="facts">${facts}</dl>
</header>
<table class="lines">
<thead><tr><th scope="col">Description</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
${view.sections.map(sectionHtml).join('\n')}
</table>
<table class="totals">
${totals}
</table>
${warnings}
<footer>${escapeHtml(view.footer)}</footer>
</main>
</body>
</html>
`;
}
