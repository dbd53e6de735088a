/**
 * Factories for invoices, so tests never paste invoice JSON. Everything is deterministic.
 *
 *   const invoice = anInvoice();                        // acme's finalized November 2026 invoice
 *   const draft = aDraftInvoice({ tenant: 'globex' });
 *   const big = anInvoice({ lines: Array.from({ length: 200 }, (_, i) => aUsageLine({ key: `m${i}` })) });
 *
 * The default invoice (USD, tenant `acme`, plan `pro`, period 2026-11-01 to 2026-11-30):
 *
 *   Pro plan (fee)                  1          × 49.00      = 49.00
 *   Input tokens, gpt-4o            1,234,567  × 0.0000025  =  3.0864175 → 3.09
 *   Output tokens, gpt-4o           350,000    × 0.00001    =  3.50
 *   Late input tokens for October   20,000     × 0.0000025  =  0.05 (adjustment)
 *   subtotal 49.00 + 3.09 + 3.50 + 0.05 = 55.64; credits 10.00; total 45.64
 *   periodCharges (exact, adjustments excluded) 49 + 3.0864175 + 3.5 = 55.5864175
 *
 * When `lines` is overridden and `subtotal` is not, subtotal and total are recomputed from the
 * lines' amounts (total = subtotal - credits, never below zero).
 */
import {
  type Invoice,
  type InvoiceLine,
  invoiceIdOf,
  invoiceNumberOf,
} from '../../shared/invoicing/invoice.js';
import { currencyOf, formatMinor, parseScaled } from '../../shared/money/money.js';

export const INVOICE_TENANT = 'acme';
export const INVOICE_PERIOD_START = '2026-11-01T00:00:00.000Z';
export const INVOICE_PERIOD_END = '2026-12-01T00:00:00.000Z';
export const INVOICE_FINALIZED_AT = '2026-12-03T09:15:00.000Z';
const PREVIOUS_PERIOD_START = '2026-10-01T00:00:00.000Z';

/** Overrides; a value of `undefined` removes an optional field (e.g. `number` on a draft). */
export type Overrides<T> = { readonly [K in keyof T]?: T[K] | undefined };

function apply<T extends object>(base: T, overrides: Overrides<T>): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out as T;
}

/** A fee line: the plan's monthly subscription. */
export function aFeeLine(overrides: Overrides<InvoiceLine> = {}): InvoiceLine {
  return apply<InvoiceLine>(
    {
      key: 'platform_fee',
      kind: 'fee',
      description: 'Pro plan',
      plan: 'pro',
      quantity: '1',
      unitPrice: '49',
      amount: '49.00',
      preciseAmount: '49',
    },
    overrides,
  );
}

/** A rate-card usage line: input tokens of `gpt-4o`. */
export function aUsageLine(overrides: Overrides<InvoiceLine> = {}): InvoiceLine {
  return apply<InvoiceLine>(
    {
      key: 'input_tokens:gpt-4o',
      kind: 'usage',
      description: 'Input tokens',
      plan: 'pro',
      meter: 'input_tokens',
      group: { model: 'gpt-4o' },
      quantity: '1234567',
      unitPrice: '0.0000025',
      amount: '3.09',
      preciseAmount: '3.0864175',
    },
    overrides,
  );
}

/** An adjustment line: `tenant`'s input tokens that arrived after its October invoice was finalized. */
export function anAdjustmentLine(
  overrides: Overrides<InvoiceLine> = {},
  tenant = INVOICE_TENANT,
): InvoiceLine {
  const adjusted = invoiceIdOf(tenant, PREVIOUS_PERIOD_START);
  return apply<InvoiceLine>(
    {
      key: `adjustment:${adjusted}:input_tokens:gpt-4o`,
      kind: 'adjustment',
      description: 'Input tokens (late usage)',
      meter: 'input_tokens',
      group: { model: 'gpt-4o' },
      quantity: '20000',
      unitPrice: '0.0000025',
      amount: '0.05',
      preciseAmount: '0.05',
      servicePeriodStart: PREVIOUS_PERIOD_START,
      servicePeriodEnd: INVOICE_PERIOD_START,
      adjusts: {
        invoiceId: adjusted,
        number: invoiceNumberOf(tenant, 3),
        periodStart: PREVIOUS_PERIOD_START,
        periodEnd: INVOICE_PERIOD_START,
      },
    },
    overrides,
  );
}

function sumAmounts(amounts: readonly string[], minorUnits: number): bigint {
  return amounts.reduce((sum, amount) => {
    const parsed = parseScaled(amount, minorUnits, true);
    if (!parsed.ok) throw new RangeError(`factory: bad amount "${amount}": ${parsed.message}`);
    return sum + parsed.value;
  }, 0n);
}

/** A valid finalized invoice (see the table above); `overrides` replace or remove fields. */
export function anInvoice(overrides: Overrides<Invoice> = {}): Invoice {
  const tenant = overrides.tenant ?? INVOICE_TENANT;
  const periodStart = overrides.periodStart ?? INVOICE_PERIOD_START;
  const base: Invoice = {
    id: invoiceIdOf(tenant, periodStart),
    tenant,
    status: 'finalized',
    number: invoiceNumberOf(tenant, 4),
    sequence: 4,
    currency: 'USD',
    plan: 'pro',
    periodStart,
    periodEnd: INVOICE_PERIOD_END,
    graceEndsAt: '2026-12-03T00:00:00.000Z',
    lines: [
      aFeeLine(),
      aUsageLine(),
      aUsageLine({
        key: 'output_tokens:gpt-4o',
        description: 'Output tokens',
        meter: 'output_tokens',
        quantity: '350000',
        unitPrice: '0.00001',
        amount: '3.50',
        preciseAmount: '3.5',
      }),
      anAdjustmentLine({}, tenant),
    ],
    subtotal: '55.64',
    credits: '10.00',
    creditApplications: [{ grantId: 'welcome-2026', name: 'Welcome credit', amount: '10.00' }],
    total: '45.64',
    periodCharges: '55.5864175',
    warnings: [],
    catalogVersion: 3,
    ratedAt: INVOICE_FINALIZED_AT,
    createdAt: '2026-12-01T00:05:00.000Z',
    finalizedAt: INVOICE_FINALIZED_AT,
    history: [
      { at: '2026-12-01T00:05:00.000Z', status: 'draft' },
      { at: INVOICE_FINALIZED_AT, status: 'finalized' },
    ],
  };
  const invoice = apply(base, overrides);
  if (overrides.lines === undefined || overrides.subtotal !== undefined) return invoice;
  const currency = currencyOf(invoice.currency);
  const subtotal = sumAmounts(
    invoice.lines.map((line) => line.amount),
    currency.minorUnits,
  );
  const credits = sumAmounts([invoice.credits], currency.minorUnits);
  const total = subtotal > credits ? subtotal - credits : 0n;
  return apply(invoice, {
    subtotal: formatMinor(subtotal, currency),
    ...(overrides.total === undefined ? { total: formatMinor(total, currency) } : {}),
  });
}

/** The same period still open: no number, not finalized, only the draft in its history. */
export function aDraftInvoice(overrides: Overrides<Invoice> = {}): Invoice {
  return anInvoice({
    status: 'draft',
    number: undefined,
    sequence: undefined,
    finalizedAt: undefined,
    ratedAt: '2026-12-01T06:00:00.000Z',
    history: [{ at: '2026-12-01T00:05:00.000Z', status: 'draft' }],
    ...overrides,
  });
}

/** The default invoice, voided on 2026-12-10 with `reason`. */
export function aVoidInvoice(
  reason = 'Billed on the wrong plan',
  overrides: Overrides<Invoice> = {},
): Invoice {
  const voidedAt = '2026-12-10T14:00:00.000Z';
  const finalized = anInvoice();
  return anInvoice({
    status: 'void',
    voidedAt,
    voidReason: reason,
    history: [...finalized.history, { at: voidedAt, status: 'void', reason }],
    ...overrides,
  });
}
