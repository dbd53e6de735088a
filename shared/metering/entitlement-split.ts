import { type Quantity, ZERO } from '../decimal/quantity.js';

export type EntitlementMode = 'hard' | 'soft';

/** How a delta of usage divides against what is left of a limit. */
export interface UsageSplit {
  /** Counted inside the limit (billed as included usage). */
  readonly included: Quantity;
  /** Above the limit of a soft entitlement (billed as overage). */
  readonly overage: Quantity;
  /** Above the limit of a hard entitlement (recorded, never counted as used). */
  readonly rejected: Quantity;
}

/**
 * Splits `delta` against `limit` given `used` so far. Applying splits one after another gives
 * the same totals as one split of their sum, so a batch can be split as a whole.
 */
export function splitUsage(
  used: Quantity,
  delta: Quantity,
  limit: Quantity,
  mode: EntitlementMode,
): UsageSplit {
  const room = limit > used ? limit - used : ZERO;
  const included = delta < room ? delta : room;
  const rest = delta - included;
  return mode === 'hard'
    ? { included, overage: ZERO, rejected: rest }
    : { included, overage: rest, rejected: ZERO };
}

export interface EntitlementTotals {
  readonly used: Quantity;
  readonly overage: Quantity;
  readonly rejected: Quantity;
}

/**
 * Threshold percents reached by the demand so far (used + overage + rejected): a hard cap's
 * 100 % is reached when `used` meets the limit; thresholds above 100 are reached by demand
 * beyond it. Nothing is reached before any usage.
 */
export function reachedThresholds(
  totals: EntitlementTotals,
  limit: Quantity,
  thresholds: readonly number[],
): number[] {
  const demand = totals.used + totals.overage + totals.rejected;
  if (demand <= ZERO) return [];
  return thresholds.filter((percent) => demand * 100n >= BigInt(percent) * limit);
}

/** Reached thresholds not yet published nor claimed for publishing this period. */
export function thresholdsToClaim(
  totals: EntitlementTotals,
  limit: Quantity,
  thresholds: readonly number[],
  alreadyClaimed: ReadonlySet<number>,
): number[] {
  return reachedThresholds(totals, limit, thresholds).filter((percent) => !alreadyClaimed.has(percent));
}

/** A hard entitlement blocks further usage once `used` has met its limit. */
export function isBlocked(mode: EntitlementMode, used: Quantity, limit: Quantity): boolean {
  return mode === 'hard' && used >= limit;
}
