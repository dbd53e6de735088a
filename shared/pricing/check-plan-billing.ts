/**
 * Checks on a plan's billing that span items or need the catalog's meters: each price's meter
 * exists, a rate card's dimension is one of its meter's groupBy dimensions, keys are unique,
 * tiers ascend with only the last unbounded, and package sizes are positive. Any aggregation may
 * be priced: a MAX, LATEST or UNIQUE_COUNT meter is priced on the period's value.
 */

import type { ConfigIssue, Meter } from '../catalog/catalog.js';
import { duplicatePositions } from '../catalog/catalog-schema.js';
import { formatQuantity } from '../decimal/quantity.js';
import type { PlanBilling } from './plan-billing.js';
import type { PriceTier } from './price-component.js';

function duplicateKeyIssues(
  kind: string,
  listPath: string,
  keys: readonly string[],
  hint = '',
): ConfigIssue[] {
  return duplicatePositions(keys).map(([key, indexes]) => ({
    path: `${listPath}.${key}`,
    message: `duplicate ${kind} key "${key}" (${indexes.map((i) => `${listPath}[${i}]`).join(', ')})${hint}`,
  }));
}

function tierIssues(tiers: readonly PriceTier[], tiersPath: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (tiers.length === 0) return [{ path: tiersPath, message: 'must list at least one tier' }];
  let previous: bigint | undefined;
  tiers.forEach((tier, index) => {
    const path = `${tiersPath}[${index}].upTo`;
    const isLast = index === tiers.length - 1;
    if (tier.upTo === undefined) {
      if (!isLast)
        issues.push({
          path,
          message: 'only the last tier may be unbounded (omit upTo on the last tier only)',
        });
      return;
    }
    if (isLast) {
      issues.push({
        path,
        message: `the last tier must be unbounded: remove upTo (${formatQuantity(tier.upTo)}) or add a tier after it`,
      });
    }
    if (tier.upTo <= 0n) {
      issues.push({ path, message: 'must be > 0' });
    } else if (previous !== undefined && tier.upTo <= previous) {
      issues.push({
        path,
        message: `must be greater than the previous tier's upTo (${formatQuantity(previous)})`,
      });
    }
    previous = tier.upTo;
  });
  return issues;
}

/**
 * The problems of `billing` against the catalog's `meters`; issue paths start at `planPath`
 * (e.g. `plans.pro.billing`) and name prices, fees and discounts by key.
 */
export function checkPlanBilling(
  billing: PlanBilling,
  meters: readonly Meter[],
  planPath: string,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byKey = new Map(meters.map((meter) => [meter.key, meter]));
  const pricesPath = `${planPath}.prices`;
  issues.push(
    ...duplicateKeyIssues(
      'price',
      pricesPath,
      billing.prices.map((price) => price.key),
      "; a price without a key takes its meter's key, so give each price of one meter its own key",
    ),
  );
  issues.push(
    ...duplicateKeyIssues(
      'fee',
      `${planPath}.fees`,
      billing.fees.map((fee) => fee.key),
    ),
  );
  issues.push(
    ...duplicateKeyIssues(
      'discount',
      `${planPath}.discounts`,
      billing.discounts.map((discount) => discount.key),
    ),
  );
  for (const price of billing.prices) {
    const path = `${pricesPath}.${price.key}`;
    const meter = byKey.get(price.meter);
    if (meter === undefined) {
      issues.push({ path: `${path}.meter`, message: `unknown meter "${price.meter}"` });
    } else if (price.type === 'rate_card' && !meter.groupBy.includes(price.dimension)) {
      const dimensions = meter.groupBy.length === 0 ? 'none' : meter.groupBy.join(', ');
      issues.push({
        path: `${path}.dimension`,
        message: `"${price.dimension}" is not a groupBy dimension of meter "${meter.key}" (dimensions: ${dimensions})`,
      });
    }
    if (price.type === 'graduated' || price.type === 'volume') {
      issues.push(...tierIssues(price.tiers, `${path}.tiers`));
    }
    if (price.type === 'package' && price.packageSize <= 0n) {
      issues.push({ path: `${path}.packageSize`, message: 'must be > 0' });
    }
  }
  return issues;
}
