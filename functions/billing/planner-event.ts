import * as z from 'zod';
import { TENANT_ID_PATTERN } from '../../shared/catalog/tenant-profile.js';
import type { BillingRunRequest } from '../../shared/invoicing/plan-billing-run.js';

const schema = z.object({
  source: z.string().optional(),
  asOf: z.iso.datetime({ offset: true }).optional(),
  tenant: z.string().regex(TENANT_ID_PATTERN).optional(),
});

export class InvalidPlannerEventError extends Error {
  override readonly name = 'InvalidPlannerEventError';
  readonly code = 'invalid_planner_event';
}

/** The schedule's input (`{"source":"schedule"}`) or a manual `{ asOf?, tenant? }`; errors name the field. */
export function parsePlannerEvent(event: unknown): BillingRunRequest {
  const result = schema.safeParse(event ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidPlannerEventError(`${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}`);
  }
  const { asOf, tenant } = result.data;
  return {
    ...(asOf === undefined ? {} : { asOf: Date.parse(asOf) }),
    ...(tenant === undefined ? {} : { tenant }),
  };
}
