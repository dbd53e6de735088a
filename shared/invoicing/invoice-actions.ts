/** What the API does with invoices beyond reading them: the upcoming invoice, and voiding. */
import { type Currency, currencyOf, parseScaled } from '../money/money.js';
import { toIso } from '../time/windows.js';
import { billingPeriodAt } from './billing-period.js';
import { draftInvoice } from './draft-invoice.js';
import type { Invoice } from './invoice.js';
import type { InvoicingDeps } from './invoicing-deps.js';
import { InvoicingError } from './invoicing-error.js';
import type { CreditDebit, InvoiceStore } from './ports.js';

/**
 * The running draft of the tenant's current period: what it would owe if the period ended now,
 * including adjustments for late usage in finalized periods and the credits it would use.
 */
export async function upcomingInvoice(deps: InvoicingDeps, tenant: string): Promise<Invoice> {
  const profile = await deps.tenants.getTenant(tenant);
  if (profile === undefined)
    throw new InvoicingError('unknown_tenant', `tenant: "${tenant}" has not been set up`);
  const catalog = await deps.catalog.active();
  if (catalog === undefined) throw new InvoicingError('no_active_catalog', 'catalog: no catalog is active');
  const billing = catalog.compiled.plan(profile.plan)?.billing;
  if (billing === undefined) {
    throw new InvoicingError(
      'not_billable',
      `plan: "${profile.plan}" has no billing section; tenant "${tenant}" is not invoiced`,
    );
  }
  const period = billingPeriodAt(profile, billing, deps.clock());
  return (await draftInvoice(deps, catalog, profile, period)).invoice;
}

function minorOf(amount: string, currency: Currency): bigint {
  const parsed = parseScaled(amount, currency.minorUnits, true);
  if (!parsed.ok) throw new RangeError(`not an amount in ${currency.code}: ${amount}`);
  return parsed.value;
}

export const MAX_VOID_REASON = 500;

/**
 * Voids a finalized invoice with a reason, giving back the credits it used; the void is kept in
 * the invoice's history. Its number stays taken (numbering stays gap-free).
 */
export async function voidInvoice(
  deps: { readonly invoices: InvoiceStore; readonly clock: () => number },
  id: string,
  reason: string,
): Promise<Invoice> {
  const invoice = await deps.invoices.get(id);
  if (invoice === undefined) throw new InvoicingError('invoice_not_found', `id: no invoice "${id}"`);
  if (invoice.status !== 'finalized') {
    throw new InvoicingError(
      'invalid_state',
      `status: invoice ${id} is ${invoice.status}; only a finalized invoice can be voided`,
    );
  }
  const now = toIso(deps.clock());
  const voided: Invoice = {
    ...invoice,
    status: 'void',
    voidedAt: now,
    voidReason: reason,
    history: [...invoice.history, { at: now, status: 'void', reason }],
  };
  const currency = currencyOf(invoice.currency);
  const refunds: CreditDebit[] = invoice.creditApplications.map((c) => ({
    tenant: invoice.tenant,
    grantId: c.grantId,
    amountMinor: minorOf(c.amount, currency),
  }));
  if (!(await deps.invoices.voidInvoice(voided, refunds))) {
    throw new InvoicingError(
      'invalid_state',
      `status: invoice ${id} changed while it was being voided; read it again`,
    );
  }
  return voided;
}
