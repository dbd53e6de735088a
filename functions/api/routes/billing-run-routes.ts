/**
 * Billing runs over the API: what the scheduled planner does, on demand (admin) — for a missed
 * schedule, a backfill, or one tenant after a fix. The work is queued, not done, in the request.
 */
import * as z from 'zod';
import { isTenantId } from '../../../shared/catalog/tenant-profile.js';
import { planBillingRun } from '../../../shared/invoicing/plan-billing-run.js';
import { DAY_MS, toIso } from '../../../shared/time/windows.js';
import { parseQueryTime } from '../../../shared/usage/usage-query.js';
import { invalidInput, jsonResponse } from '../api-error.js';
import { readJsonBody } from '../route-context.js';
import { parseBody, withBillingDeps } from './invoice-routes.js';

/** How far ahead of the API's clock `asOf` may be (clock skew, a time zone's date). */
export const MAX_AS_OF_AHEAD_MS = DAY_MS;

const billingRunSchema = z.strictObject({
  asOf: z
    .string()
    .transform((text, ctx): number => {
      const ms = parseQueryTime(text.trim());
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an RFC 3339 time with offset (2026-12-01T00:00:00Z) or a date (2026-12-01), not "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  tenant: z.string().refine(isTenantId, 'must be 1–128 characters of A-Z a-z 0-9 . _ : @ -').optional(),
});

/**
 * `POST /v1/billing-runs` (admin), body (optional) `{asOf?, tenant?}`: sends one invoice job per
 * billable tenant (or for `tenant` only) for the last period closed at `asOf` (default now), and
 * answers 202 with the run's summary; the workers draft or finalize the invoices.
 */
export const postBillingRun = withBillingDeps(async ({ request, deps }, billing) => {
  const body = parseBody(
    billingRunSchema,
    readJsonBody(request, { optional: true }) ?? {},
    'invalid_billing_run',
    'invalid billing run',
  );
  const now = deps.clock();
  const maxAhead = billing.maxAsOfAheadMs ?? MAX_AS_OF_AHEAD_MS;
  if (body.asOf !== undefined && body.asOf > now + maxAhead) {
    throw invalidInput('invalid_billing_run', 'invalid billing run', [
      {
        path: 'asOf',
        message: `must not be more than ${Math.round(maxAhead / DAY_MS)} day(s) after now (${toIso(now)})`,
      },
    ]);
  }
  const summary = await planBillingRun(
    {
      ...(body.asOf === undefined ? {} : { asOf: body.asOf }),
      ...(body.tenant === undefined ? {} : { tenant: body.tenant }),
    },
    billing.planner,
  );
  deps.logger.info('billing run', {
    runId: summary.runId,
    asOf: summary.asOf,
    tenant: body.tenant,
    jobs: summary.jobs,
    skipped: summary.skippedCount,
    requestId: request.requestId,
  });
  return jsonResponse(202, summary);
});
