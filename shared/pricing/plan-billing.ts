/**
 * A plan's billing: what a tenant on the plan pays each period. Read from the plan's `billing`
 * section of the catalog (`plan-billing-schema.ts`); cross-item checks in
 * `check-plan-billing.ts`. A plan without billing bills nothing.
 */
import type { Catalog } from '../catalog/catalog.js';
import { type Currency, currencyOf, DEFAULT_ROUNDING, type RoundingMode } from '../money/money.js';
import type { Discount, FlatFee, MinimumCommitment, UsagePrice } from './price-component.js';

export const BILLING_CADENCES = ['monthly'] as const;
export type BillingCadence = (typeof BILLING_CADENCES)[number];

/**
 * Where billing periods start: `calendar` on the 1st of each UTC month; `anniversary` on the
 * tenant's billing anchor's day of month (clamped to the month's end).
 */
export const BILLING_ANCHORS = ['calendar', 'anniversary'] as const;
export type BillingAnchor = (typeof BILLING_ANCHORS)[number];

export const MAX_TRIAL_DAYS = 365;

export interface PlanBilling {
  /** ISO 4217 code of every amount in this plan. */
  readonly currency: string;
  readonly cadence: BillingCadence;
  readonly anchor: BillingAnchor;
  /** Days from the tenant's start during which nothing is charged (0–365). */
  readonly trialDays: number;
  readonly fees: readonly FlatFee[];
  readonly prices: readonly UsagePrice[];
  readonly minimumCommitment?: MinimumCommitment;
  /** Applied to the period's subtotal, in order. */
  readonly discounts: readonly Discount[];
}

/** Per-currency settings in the catalog's top-level `currencies`. */
export interface CurrencySettings {
  readonly rounding: RoundingMode;
}

/** The plan's currency, with the catalog's rounding override for it (default half-up). */
export function currencyForPlan(
  catalog: Pick<Catalog, 'currencies'>,
  billing: Pick<PlanBilling, 'currency'>,
): Currency {
  const settings = catalog.currencies;
  const override =
    settings !== undefined && Object.hasOwn(settings, billing.currency)
      ? settings[billing.currency]
      : undefined;
  return currencyOf(billing.currency, override?.rounding ?? DEFAULT_ROUNDING);
}
