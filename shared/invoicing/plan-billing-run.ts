/**
 * The planner's use-case: finds every tenant whose billing period has closed and sends one job
 * per tenant-period to the worker queue. It decides nothing about drafts or finality (the worker
 * does, against the job's `asOf`), so sending a job twice is harmless.
 */
import type { TenantProfile } from '../catalog/tenant-profile.js';
import { toIso } from '../time/windows.js';
import { dateMs, lastClosedPeriod } from './billing-period.js';
import type { PlannerDeps } from './invoicing-deps.js';
import { InvoicingError } from './invoicing-error.js';
import type { InvoiceJob } from './ports.js';

export interface BillingRunRequest {
  /** The run's clock (epoch ms); default now. */
  readonly asOf?: number;
  /** Only this tenant; default every tenant. */
  readonly tenant?: string;
}

export interface BillingRunSummary {
  readonly runId: string;
  readonly asOf: string;
  /** Jobs sent to the worker queue. */
  readonly jobs: number;
  readonly tenants: number;
  /** Tenants not invoiced, with why (at most 100 listed). */
  readonly skipped: readonly { readonly tenant: string; readonly reason: string }[];
  readonly skippedCount: number;
}

const SEND_CHUNK = 500;
const MAX_LISTED_SKIPS = 100;

export async function planBillingRun(
  request: BillingRunRequest,
  deps: PlannerDeps,
): Promise<BillingRunSummary> {
  const asOf = request.asOf ?? deps.clock();
  const runId = deps.newRunId();
  const catalog = await deps.catalog.active();
  if (catalog === undefined) throw new InvoicingError('no_active_catalog', 'catalog: no catalog is active');
  const skipped: { tenant: string; reason: string }[] = [];
  let skippedCount = 0;
  let jobs = 0;
  let tenants = 0;
  let pending: InvoiceJob[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await deps.queue.send(pending);
    jobs += pending.length;
    pending = [];
  };
  const consider = async (profile: TenantProfile): Promise<void> => {
    tenants += 1;
    const skip = (reason: string): void => {
      skippedCount += 1;
      if (skipped.length < MAX_LISTED_SKIPS) skipped.push({ tenant: profile.tenant, reason });
    };
    const billing = catalog.compiled.plan(profile.plan)?.billing;
    if (billing === undefined) return skip(`plan "${profile.plan}" has no billing section`);
    const period = lastClosedPeriod(profile, billing, asOf);
    if (profile.billingStart !== undefined && period.end <= dateMs(profile.billingStart)) {
      return skip(`billing starts ${profile.billingStart}`);
    }
    pending.push({
      tenant: profile.tenant,
      periodStart: toIso(period.start),
      periodEnd: toIso(period.end),
      asOf: toIso(asOf),
      runId,
    });
    if (pending.length >= SEND_CHUNK) await flush();
  };

  if (request.tenant !== undefined) {
    const profile = await deps.tenants.getTenant(request.tenant);
    if (profile === undefined)
      throw new InvoicingError('unknown_tenant', `tenant: "${request.tenant}" has not been set up`);
    await consider(profile);
  } else {
    let cursor: string | undefined;
    do {
      const page = await deps.tenants.listTenantProfiles(cursor === undefined ? {} : { cursor });
      for (const profile of page.profiles) await consider(profile);
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  await flush();
  return { runId, asOf: toIso(asOf), jobs, tenants, skipped, skippedCount };
}
