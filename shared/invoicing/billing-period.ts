/**
 * Which days a tenant is billed for, and under which plan: the billing period (calendar month,
 * or a month from the tenant's anniversary), the plan segments within it (a mid-period plan
 * change splits it at a UTC day), and the trial. Pure time math; see README.md.
 */
import type { Plan } from '../catalog/catalog.js';
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { PlanBilling } from '../pricing/plan-billing.js';
import { DAY_MS, parseDate, periodWindow, type TimeWindow } from '../time/windows.js';
import { InvoicingError } from './invoicing-error.js';

/** Default grace period: usage arriving up to 12 h after a period's end still lands on its invoice. */
export const DEFAULT_GRACE_HOURS = 12;

/** Midnight UTC of a `YYYY-MM-DD` date (the date must be valid). */
export function dateMs(date: string): number {
  const parsed = parseDate(date);
  if (parsed === undefined) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  const at = new Date(0);
  at.setUTCFullYear(parsed.year, parsed.month - 1, parsed.day);
  return at.getTime();
}

/** The billing period containing `timeMs` for a plan's billing settings. */
export function billingPeriodAt(profile: TenantProfile, billing: PlanBilling, timeMs: number): TimeWindow {
  if (billing.anchor === 'anniversary') {
    const anchor = profile.billingAnchor ?? profile.billingStart;
    return periodWindow('BILLING_PERIOD', timeMs, anchor);
  }
  return periodWindow('MONTH', timeMs);
}

/** The period that ended last at or before `timeMs`. */
export function lastClosedPeriod(profile: TenantProfile, billing: PlanBilling, timeMs: number): TimeWindow {
  const current = billingPeriodAt(profile, billing, timeMs);
  return billingPeriodAt(profile, billing, current.start - 1);
}

export function graceHoursOf(profile: TenantProfile, defaultGraceHours: number): number {
  return profile.graceHours ?? defaultGraceHours;
}

/** A stretch of the period under one plan. */
export interface PlanSegment {
  readonly plan: Plan;
  readonly start: number;
  readonly end: number;
  /** Part of the tenant's trial: nothing is charged. */
  readonly trial: boolean;
}

/** Whole UTC days in [start, end) (segments always start and end on a day boundary or a period edge). */
export function daysIn(start: number, end: number): bigint {
  return BigInt(Math.round((end - start) / DAY_MS));
}

/** The plan in force at each instant of `period`, as segments; plans missing from the catalog throw. */
export function planSegments(
  profile: TenantProfile,
  catalog: CompiledCatalog,
  period: TimeWindow,
): PlanSegment[] {
  const changes =
    profile.planHistory === undefined || profile.planHistory.length === 0
      ? [{ plan: profile.plan, from: Number.NEGATIVE_INFINITY }]
      : profile.planHistory.map((change) => ({ plan: change.plan, from: dateMs(change.from) }));
  const billingStart = profile.billingStart === undefined ? undefined : dateMs(profile.billingStart);
  const segments: PlanSegment[] = [];
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i];
    if (change === undefined) continue;
    const next = changes[i + 1]?.from ?? Number.POSITIVE_INFINITY;
    let start = Math.max(change.from, period.start);
    const end = Math.min(next, period.end);
    if (billingStart !== undefined) start = Math.max(start, billingStart);
    if (start >= end) continue;
    const plan = catalog.plan(change.plan);
    if (plan === undefined)
      throw new InvoicingError('unknown_plan', `plan: "${change.plan}" is not in the active catalog`);
    const trialDays = plan.billing?.trialDays ?? 0;
    if (trialDays > 0 && billingStart !== undefined) {
      const trialEnd = billingStart + trialDays * DAY_MS;
      if (trialEnd > start) {
        segments.push({ plan, start, end: Math.min(trialEnd, end), trial: true });
        if (trialEnd < end) segments.push({ plan, start: trialEnd, end, trial: false });
        continue;
      }
    }
    segments.push({ plan, start, end, trial: false });
  }
  return segments;
}
