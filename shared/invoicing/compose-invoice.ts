/**
 * Turns rated lines into an invoice: each line rounded once to the currency's minor units (its
 * precise amount kept beside it), late-usage adjustments for earlier finalized periods, credits
 * applied to what is owed. Pure.
 */
import { formatQuantity, quantityOf } from '../decimal/quantity.js';
import {
  type Currency,
  formatMinor,
  formatPrecise,
  formatUnitPrice,
  type MinorAmount,
  PRECISE_SCALE,
  type PreciseAmount,
  parseScaled,
  roundToMinor,
} from '../money/money.js';
import { type TimeWindow, toIso } from '../time/windows.js';
import type {
  CreditApplication,
  Invoice,
  InvoiceHistoryEntry,
  InvoiceLine,
  InvoiceStatus,
} from './invoice.js';
import type { RatedLine, RatedPeriod } from './rate-period.js';

/** A precise amount from its decimal string (as stored on a line). */
export function parsePrecise(text: string): PreciseAmount {
  const parsed = parseScaled(text, PRECISE_SCALE, true);
  if (!parsed.ok) throw new RangeError(`not a precise amount: "${text}" (${parsed.message})`);
  return parsed.value;
}

export interface AdjustmentLine extends RatedLine {
  readonly adjusts: NonNullable<InvoiceLine['adjusts']>;
}

/** A finalized invoice of an earlier period, and its period rated again with today's usage. */
export interface RevisitedPeriod {
  readonly invoice: Invoice;
  readonly rerated: RatedPeriod;
}

/**
 * Adjustment lines for usage that reached earlier, finalized periods after their invoices were
 * final: per period, what it is worth now less what was billed for it (its own charges plus
 * the adjustments later invoices already made for it). Re-rating the whole period, not the
 * late quantities alone, keeps tiers and allowances right.
 */
export function lateUsageAdjustments(
  revisited: readonly RevisitedPeriod[],
  laterInvoices: readonly Invoice[],
): AdjustmentLine[] {
  const lines: AdjustmentLine[] = [];
  for (const { invoice, rerated } of revisited) {
    let billed = parsePrecise(invoice.periodCharges);
    for (const later of laterInvoices) {
      if (later.id === invoice.id || later.status !== 'finalized') continue;
      for (const line of later.lines) {
        if (line.kind === 'adjustment' && line.adjusts?.invoiceId === invoice.id)
          billed += parsePrecise(line.preciseAmount);
      }
    }
    const delta = rerated.charges - billed;
    if (delta === 0n) continue;
    const from = invoice.periodStart.slice(0, 10);
    const to = toIso(Date.parse(invoice.periodEnd) - 1).slice(0, 10);
    lines.push({
      key: `adjustment:${invoice.id}`,
      kind: 'adjustment',
      description: `Adjustment: usage that arrived after invoice ${invoice.number ?? invoice.id} (${from} to ${to}) was final`,
      quantity: quantityOf(1),
      amount: delta,
      servicePeriodStart: invoice.periodStart,
      servicePeriodEnd: invoice.periodEnd,
      adjusts: {
        invoiceId: invoice.id,
        ...(invoice.number === undefined ? {} : { number: invoice.number }),
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
      },
    });
  }
  return lines;
}

function invoiceLine(line: RatedLine | AdjustmentLine, currency: Currency): InvoiceLine {
  return {
    key: line.key,
    kind: line.kind,
    description: line.description,
    ...(line.plan === undefined ? {} : { plan: line.plan }),
    ...(line.meter === undefined ? {} : { meter: line.meter }),
    ...(line.group === undefined ? {} : { group: line.group }),
    quantity: formatQuantity(line.quantity),
    ...(line.unitPrice === undefined ? {} : { unitPrice: formatUnitPrice(line.unitPrice) }),
    amount: formatMinor(roundToMinor(line.amount, currency), currency),
    preciseAmount: formatPrecise(line.amount, currency),
    ...(line.servicePeriodStart === undefined ? {} : { servicePeriodStart: line.servicePeriodStart }),
    ...(line.servicePeriodEnd === undefined ? {} : { servicePeriodEnd: line.servicePeriodEnd }),
    ...('adjusts' in line && line.adjusts !== undefined ? { adjusts: line.adjusts } : {}),
    ...(line.unpriced ? { unpriced: true as const } : {}),
  };
}

export interface ComposeInput {
  readonly id: string;
  readonly tenant: string;
  readonly plan: string;
  readonly currency: Currency;
  readonly period: TimeWindow;
  readonly graceEndsAt: number;
  readonly rated: RatedPeriod;
  readonly adjustments: readonly AdjustmentLine[];
  /** Credits to apply, in minor units (from `applyCredits`). */
  readonly credits: readonly { grantId: string; name: string; amountMinor: MinorAmount }[];
  readonly catalogVersion: number;
  readonly status: InvoiceStatus;
  readonly now: number;
  /** The stored draft this replaces, for its creation time and history. */
  readonly previous?: Invoice;
  readonly sequence?: { readonly sequence: number; readonly number: string };
}

/** The amount to which credits may apply: the rounded lines' sum, when positive. */
export function subtotalMinor(
  rated: RatedPeriod,
  adjustments: readonly AdjustmentLine[],
  currency: Currency,
): MinorAmount {
  return [...rated.lines, ...adjustments].reduce(
    (sum, line) => sum + roundToMinor(line.amount, currency),
    0n,
  );
}

export function composeInvoice(input: ComposeInput): Invoice {
  const { currency } = input;
  const lines = [...input.rated.lines, ...input.adjustments].map((line) => invoiceLine(line, currency));
  const subtotal = subtotalMinor(input.rated, input.adjustments, currency);
  const credits = input.credits.reduce((sum, c) => sum + c.amountMinor, 0n);
  const now = toIso(input.now);
  const history: InvoiceHistoryEntry[] = [...(input.previous?.history ?? [])];
  if (history.at(-1)?.status !== input.status) history.push({ at: now, status: input.status });
  const creditApplications: CreditApplication[] = input.credits.map((c) => ({
    grantId: c.grantId,
    name: c.name,
    amount: formatMinor(c.amountMinor, currency),
  }));
  return {
    id: input.id,
    tenant: input.tenant,
    status: input.status,
    ...(input.sequence === undefined
      ? {}
      : { number: input.sequence.number, sequence: input.sequence.sequence }),
    currency: currency.code,
    plan: input.plan,
    periodStart: toIso(input.period.start),
    periodEnd: toIso(input.period.end),
    graceEndsAt: toIso(input.graceEndsAt),
    lines,
    subtotal: formatMinor(subtotal, currency),
    credits: formatMinor(credits, currency),
    creditApplications,
    total: formatMinor(subtotal - credits, currency),
    periodCharges: formatPrecise(input.rated.charges, currency),
    warnings: [...input.rated.warnings],
    catalogVersion: input.catalogVersion,
    ratedAt: now,
    createdAt: input.previous?.createdAt ?? now,
    ...(input.status === 'finalized' ? { finalizedAt: now } : {}),
    history,
  };
}
