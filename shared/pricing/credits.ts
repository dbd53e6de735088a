/**
 * Credits: prepaid or granted balances that pay invoices. A grant is in one currency, has a
 * remaining balance in minor units, becomes usable at `effectiveAt` and, optionally, lapses at
 * `expiresAt`. Pure: the caller debits the grants in the transaction that finalizes the invoice.
 */
import type { MinorAmount } from '../money/money.js';
import { PricingError } from './pricing-error.js';

export interface CreditGrantBalance {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
  readonly remainingMinor: MinorAmount;
  /** Lower is used first. */
  readonly priority: number;
  /** ISO-8601; the grant pays periods that end after it. */
  readonly effectiveAt: string;
  /** ISO-8601; the grant pays periods that end at or before it. */
  readonly expiresAt?: string;
}

export interface CreditableInvoice {
  readonly currency: string;
  /** ISO-8601 end of the service period (exclusive). */
  readonly periodEnd: string;
  /** The invoice total before credits, minor units. */
  readonly totalMinor: MinorAmount;
}

export interface CreditApplicationResult {
  readonly grantId: string;
  readonly name: string;
  /** > 0, minor units. */
  readonly amountMinor: MinorAmount;
}

export interface AppliedCredits {
  readonly applications: CreditApplicationResult[];
  /** The sum of the applications; ≤ the invoice total and never negative. */
  readonly appliedMinor: MinorAmount;
}

function instant(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new PricingError('invalid_timestamp', `${field} "${iso}" is not an ISO-8601 date-time`);
  return ms;
}

/** Grants in the order they are used: priority ascending, then the earliest expiry (none last), then id. */
export function orderGrants(grants: readonly CreditGrantBalance[]): CreditGrantBalance[] {
  const expiry = (grant: CreditGrantBalance): number =>
    grant.expiresAt === undefined ? Number.POSITIVE_INFINITY : instant(grant.expiresAt, 'expiresAt');
  return [...grants].sort((a, b) => {
    if (a.priority !== b.priority) return a.priority - b.priority;
    const byExpiry = expiry(a) - expiry(b);
    if (byExpiry !== 0 && !Number.isNaN(byExpiry)) return byExpiry;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/**
 * Applies the eligible grants to the invoice in `orderGrants` order, each up to its remaining
 * balance, until the total is paid. Eligible: same currency, remaining > 0, effective before
 * the period ends, and not expiring before it ends (`expiresAt ≥ periodEnd`). Never applies more
 * than the total (a total ≤ 0 gets no credits) or than a grant's remaining balance.
 */
export function applyCredits(
  grants: readonly CreditGrantBalance[],
  invoice: CreditableInvoice,
): AppliedCredits {
  const periodEnd = instant(invoice.periodEnd, 'periodEnd');
  const eligible = grants.filter(
    (grant) =>
      grant.currency === invoice.currency &&
      grant.remainingMinor > 0n &&
      instant(grant.effectiveAt, 'effectiveAt') < periodEnd &&
      (grant.expiresAt === undefined || instant(grant.expiresAt, 'expiresAt') >= periodEnd),
  );
  let left = invoice.totalMinor > 0n ? invoice.totalMinor : 0n;
  const applications: CreditApplicationResult[] = [];
  for (const grant of orderGrants(eligible)) {
    if (left === 0n) break;
    const amountMinor = grant.remainingMinor < left ? grant.remainingMinor : left;
    applications.push({ grantId: grant.id, name: grant.name, amountMinor });
    left -= amountMinor;
  }
  return { applications, appliedMinor: applications.reduce((sum, a) => sum + a.amountMinor, 0n) };
}

/**
 * The usable balance per currency at `atIso`: the remaining balances of grants that are
 * effective (`effectiveAt ≤ at`) and not expired (`expiresAt > at`). Currencies without such a
 * grant are absent.
 */
export function creditBalance(
  grants: readonly CreditGrantBalance[],
  atIso: string,
): Record<string, MinorAmount> {
  const at = instant(atIso, 'at');
  const balances = new Map<string, MinorAmount>();
  for (const grant of grants) {
    const usable =
      grant.remainingMinor > 0n &&
      instant(grant.effectiveAt, 'effectiveAt') <= at &&
      (grant.expiresAt === undefined || instant(grant.expiresAt, 'expiresAt') > at);
    if (usable) balances.set(grant.currency, (balances.get(grant.currency) ?? 0n) + grant.remainingMinor);
  }
  return Object.fromEntries(balances);
}
