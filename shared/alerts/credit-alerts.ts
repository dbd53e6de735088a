/**
 * Credit balance alerts: a tenant whose prepaid credits (in one currency) fall below a fifth of
 * what was granted is `credit_low`; at zero, `credit_depleted`. Both are incidents like any
 * other: opened once, resolved when a new grant lifts the balance. Pure.
 */

import type { CreditGrant } from '../invoicing/ports.js';
import { currencyOf, formatMinor, isKnownCurrency } from '../money/money.js';
import type { AlertKind } from './alert.js';
import type { HourFinding } from './incident.js';

/** Below this share of the granted credit (that is still usable) the balance is low. */
export const LOW_CREDIT_SHARE = { numerator: 1n, denominator: 5n } as const;

function usable(grant: CreditGrant, nowIso: string): boolean {
  return grant.effectiveAt <= nowIso && (grant.expiresAt === undefined || grant.expiresAt > nowIso);
}

/** One finding per currency and kind for the tenant's grants, judged at `nowIso` for `window`. */
export function creditFindings(
  tenant: string,
  grants: readonly CreditGrant[],
  nowIso: string,
  window: { readonly start: string; readonly end: string },
): HourFinding[] {
  const byCurrency = new Map<string, { granted: bigint; remaining: bigint }>();
  for (const grant of grants) {
    if (!usable(grant, nowIso) || !isKnownCurrency(grant.currency)) continue;
    const totals = byCurrency.get(grant.currency) ?? { granted: 0n, remaining: 0n };
    totals.granted += grant.amountMinor;
    totals.remaining += grant.remainingMinor;
    byCurrency.set(grant.currency, totals);
  }
  const findings: HourFinding[] = [];
  for (const [code, { granted, remaining }] of byCurrency) {
    if (granted <= 0n) continue;
    const currency = currencyOf(code);
    const left = formatMinor(remaining, currency);
    const total = formatMinor(granted, currency);
    const depleted = remaining <= 0n;
    const low = !depleted && remaining * LOW_CREDIT_SHARE.denominator < granted * LOW_CREDIT_SHARE.numerator;
    const ratio = Number(remaining) / Number(granted);
    for (const kind of ['credit_low', 'credit_depleted'] as const satisfies readonly AlertKind[]) {
      const anomalous = kind === 'credit_low' ? low : depleted;
      findings.push({
        incidentKey: `${tenant}|${kind}|${code}`,
        kind,
        tenant,
        dimensions: { currency: code },
        unit: code,
        window,
        ...(anomalous
          ? {
              anomaly: {
                severity: kind === 'credit_depleted' ? 'critical' : 'warning',
                observed: left,
                expected: total,
                ratio: Math.round(ratio * 1000) / 1000,
              },
            }
          : {}),
        normal: kind === 'credit_low' ? !low && !depleted : !depleted,
        texts: () => ({
          title:
            kind === 'credit_depleted'
              ? `${tenant}: prepaid credit used up (${code} 0 of ${total} left)`
              : `${tenant}: prepaid credit low (${code} ${left} of ${total} left)`,
          summary:
            kind === 'credit_depleted'
              ? `${tenant} has used all ${code} ${total} of its usable credit grants; its next invoices are owed in full.`
              : `${tenant} has ${code} ${left} left of ${code} ${total} in usable credit grants (under a fifth).`,
          action:
            'Grant more credit (POST /v1/tenants/{tenant}/credits, tollgate credits grant) or tell the customer its invoices will no longer be covered.',
        }),
      });
    }
  }
  return findings;
}
