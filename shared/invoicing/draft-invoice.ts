/**
 * Drafts a tenant's invoice for a period: rates its usage, adds adjustments for late usage in
 * earlier finalized periods, and previews the credits it would use. The worker stores it (as a
 * draft) or finalizes it; the API shows it as the upcoming invoice.
 */
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { Currency } from '../money/money.js';
import { applyCredits } from '../pricing/credits.js';
import { HOUR_MS, type TimeWindow, toIso } from '../time/windows.js';
import { graceHoursOf } from './billing-period.js';
import {
  type AdjustmentLine,
  composeInvoice,
  lateUsageAdjustments,
  type RevisitedPeriod,
  subtotalMinor,
} from './compose-invoice.js';
import { type Invoice, invoiceIdOf } from './invoice.js';
import type { InvoicingDeps } from './invoicing-deps.js';
import type { CreditGrant } from './ports.js';
import type { RatedPeriod } from './rate-period.js';
import { rateTenantPeriod } from './rate-tenant-period.js';

/** How many earlier finalized invoices are re-rated for late usage (the dedup horizon is 35 days). */
export const ADJUSTMENT_LOOKBACK = 2;

export interface InvoiceDraft {
  readonly invoice: Invoice;
  readonly currency: Currency;
  readonly rated: RatedPeriod;
  readonly adjustments: readonly AdjustmentLine[];
  readonly grants: readonly CreditGrant[];
  readonly reads: number;
}

/** Late-usage adjustments for the tenant's last finalized invoices before `period`. */
async function adjustmentsBefore(
  deps: InvoicingDeps,
  catalog: CompiledCatalog,
  profile: TenantProfile,
  period: TimeWindow,
): Promise<{ lines: AdjustmentLine[]; reads: number }> {
  const page = await deps.invoices.listByTenant(profile.tenant, { limit: ADJUSTMENT_LOOKBACK + 4 });
  let reads = 1;
  const earlier = page.invoices.filter((inv) => Date.parse(inv.periodEnd) <= period.start);
  const finalized = earlier.filter((inv) => inv.status === 'finalized').slice(0, ADJUSTMENT_LOOKBACK);
  const revisited: RevisitedPeriod[] = [];
  for (const invoice of finalized) {
    const window = { start: Date.parse(invoice.periodStart), end: Date.parse(invoice.periodEnd) };
    const rating = await rateTenantPeriod(deps.usage, catalog, profile, window);
    reads += rating.reads;
    revisited.push({ invoice, rerated: rating.rated });
  }
  return { lines: lateUsageAdjustments(revisited, earlier), reads };
}

/** The tenant's invoice for `period` as it stands at `now` (status draft; nothing is written). */
export async function draftInvoice(
  deps: InvoicingDeps,
  catalog: { version: number; compiled: CompiledCatalog },
  profile: TenantProfile,
  period: TimeWindow,
  previous?: Invoice,
): Promise<InvoiceDraft> {
  const now = deps.clock();
  const rating = await rateTenantPeriod(deps.usage, catalog.compiled, profile, period);
  const adjustments = await adjustmentsBefore(deps, catalog.compiled, profile, period);
  const grants = await deps.credits.listGrants(profile.tenant);
  const subtotal = subtotalMinor(rating.rated, adjustments.lines, rating.currency);
  const credits = applyCredits(grants, {
    currency: rating.currency.code,
    periodEnd: toIso(period.end),
    totalMinor: subtotal > 0n ? subtotal : 0n,
  });
  const invoice = composeInvoice({
    id: invoiceIdOf(profile.tenant, toIso(period.start)),
    tenant: profile.tenant,
    plan: profile.plan,
    currency: rating.currency,
    period,
    graceEndsAt: period.end + graceHoursOf(profile, deps.defaultGraceHours) * HOUR_MS,
    rated: rating.rated,
    adjustments: adjustments.lines,
    credits: credits.applications,
    catalogVersion: catalog.version,
    status: 'draft',
    now,
    ...(previous === undefined ? {} : { previous }),
  });
  return {
    invoice,
    currency: rating.currency,
    rated: rating.rated,
    adjustments: adjustments.lines,
    grants,
    reads: rating.reads + adjustments.reads + 1,
  };
}
