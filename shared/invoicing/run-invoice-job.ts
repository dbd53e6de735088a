/**
 * The invoice worker's use-case: one tenant's period, drafted while its grace period runs and
 * finalized after. Exactly once: the invoice id is deterministic, a draft never overwrites a
 * final invoice (conditional write), and finalization is one transaction that also takes the
 * tenant's next invoice number and debits the credits, so a second run, a retry or two
 * concurrent workers end with the same single invoice and no gap in the numbers.
 */
import type { TenantProfile } from '../catalog/tenant-profile.js';
import { applyCredits } from '../pricing/credits.js';
import { toIso } from '../time/windows.js';
import { billingPeriodAt, dateMs } from './billing-period.js';
import { composeInvoice, subtotalMinor } from './compose-invoice.js';
import { deliverInvoice } from './deliver-invoice.js';
import { draftInvoice } from './draft-invoice.js';
import { type Invoice, invoiceIdOf, invoiceNumberOf } from './invoice.js';
import type { DeliveryDeps, InvoicingDeps } from './invoicing-deps.js';
import { InvoicingError } from './invoicing-error.js';
import type { InvoiceJob } from './ports.js';

/** Finalization retries when another invoice took the number or a grant changed meanwhile. */
export const MAX_FINALIZE_ATTEMPTS = 8;

export type InvoiceJobAction = 'drafted' | 'finalized' | 'already_final' | 'skipped';

export interface InvoiceJobOutcome {
  readonly action: InvoiceJobAction;
  readonly invoiceId: string;
  readonly number?: string;
  /** Why a job was skipped. */
  readonly reason?: string;
  /** Usage and invoice reads made (queries), for the benchmark. */
  readonly reads: number;
}

export interface InvoiceWorkerDeps extends InvoicingDeps {
  readonly delivery: DeliveryDeps;
}

async function requireTenant(deps: InvoicingDeps, tenant: string): Promise<TenantProfile> {
  const profile = await deps.tenants.getTenant(tenant);
  if (profile === undefined)
    throw new InvoicingError('unknown_tenant', `tenant: "${tenant}" has not been set up`);
  return profile;
}

export async function runInvoiceJob(job: InvoiceJob, deps: InvoiceWorkerDeps): Promise<InvoiceJobOutcome> {
  const id = invoiceIdOf(job.tenant, job.periodStart);
  let stored = await deps.invoices.get(id);
  let reads = 1;
  if (stored !== undefined && stored.status !== 'draft') {
    if (stored.status === 'finalized') await deliverInvoice(stored, deps.delivery);
    return {
      action: 'already_final',
      invoiceId: id,
      ...(stored.number === undefined ? {} : { number: stored.number }),
      reads,
    };
  }
  const profile = await requireTenant(deps, job.tenant);
  const catalog = await deps.catalog.active();
  if (catalog === undefined) throw new InvoicingError('no_active_catalog', 'catalog: no catalog is active');
  const billing = catalog.compiled.plan(profile.plan)?.billing;
  if (billing === undefined) {
    return {
      action: 'skipped',
      invoiceId: id,
      reason: `plan "${profile.plan}" has no billing section`,
      reads,
    };
  }
  const period = { start: Date.parse(job.periodStart), end: Date.parse(job.periodEnd) };
  const expected = billingPeriodAt(profile, billing, period.start);
  if (expected.start !== period.start || expected.end !== period.end) {
    throw new InvoicingError(
      'invalid_period',
      `periodStart: ${job.periodStart}..${job.periodEnd} is not a billing period of tenant "${job.tenant}" (expected ${toIso(expected.start)}..${toIso(expected.end)})`,
    );
  }
  if (profile.billingStart !== undefined && period.end <= dateMs(profile.billingStart)) {
    return { action: 'skipped', invoiceId: id, reason: `billing starts ${profile.billingStart}`, reads };
  }

  for (let attempt = 0; attempt < MAX_FINALIZE_ATTEMPTS; attempt++) {
    const draft = await draftInvoice(deps, catalog, profile, period, stored);
    reads += draft.reads;
    const finalize = Date.parse(job.asOf) >= Date.parse(draft.invoice.graceEndsAt);
    if (!finalize) {
      if (!(await deps.invoices.putDraft(draft.invoice))) return alreadyFinal(deps, id, reads);
      return { action: 'drafted', invoiceId: id, reads };
    }
    // Past the grace period the draft is not written first: finalizing takes a draft or nothing.

    const sequence = await deps.invoices.nextSequence(profile.tenant);
    const subtotal = subtotalMinor(draft.rated, draft.adjustments, draft.currency);
    const credits = applyCredits(draft.grants, {
      currency: draft.currency.code,
      periodEnd: draft.invoice.periodEnd,
      totalMinor: subtotal > 0n ? subtotal : 0n,
    });
    const number = invoiceNumberOf(profile.tenant, sequence);
    const final: Invoice = composeInvoice({
      id,
      tenant: profile.tenant,
      plan: profile.plan,
      currency: draft.currency,
      period,
      graceEndsAt: Date.parse(draft.invoice.graceEndsAt),
      rated: draft.rated,
      adjustments: draft.adjustments,
      credits: credits.applications,
      catalogVersion: catalog.version,
      status: 'finalized',
      now: deps.clock(),
      previous: draft.invoice,
      sequence: { sequence, number },
    });
    const debits = credits.applications.map((c) => ({
      tenant: profile.tenant,
      grantId: c.grantId,
      amountMinor: c.amountMinor,
    }));
    const outcome = await deps.invoices.finalize(final, debits);
    if (outcome.ok) {
      await deliverInvoice(final, deps.delivery);
      return { action: 'finalized', invoiceId: id, number, reads };
    }
    if (outcome.reason === 'not_draft') return alreadyFinal(deps, id, reads);
    stored = await deps.invoices.get(id);
    reads += 1;
  }
  throw new InvoicingError(
    'invalid_state',
    `invoice ${id}: still contended after ${MAX_FINALIZE_ATTEMPTS} attempts (invoice numbers or credit balances kept changing)`,
  );
}

async function alreadyFinal(deps: InvoiceWorkerDeps, id: string, reads: number): Promise<InvoiceJobOutcome> {
  const stored = await deps.invoices.get(id);
  if (stored?.status === 'finalized') await deliverInvoice(stored, deps.delivery);
  return {
    action: 'already_final',
    invoiceId: id,
    ...(stored?.number === undefined ? {} : { number: stored.number }),
    reads: reads + 1,
  };
}
