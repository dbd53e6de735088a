/**
 * Spend threshold alerts: the upcoming invoice's total reaching an amount the tenant set
 * (`spendAlerts`), once per amount and billing period. The incident of a period resolves when
 * the period is over. Pure.
 */
import type { Invoice } from '../invoicing/invoice.js';
import { parseScaled } from '../money/money.js';
import type { Alert } from './alert.js';
import type { HourFinding } from './incident.js';

const SCALE = 4;

function amountOf(text: string): bigint | undefined {
  const parsed = parseScaled(text, SCALE, true);
  return parsed.ok ? parsed.value : undefined;
}

export function spendThresholdFindings(
  tenant: string,
  invoice: Invoice,
  thresholds: readonly string[],
  openAlerts: readonly Alert[],
  window: { readonly start: string; readonly end: string },
): HourFinding[] {
  const total = amountOf(invoice.total) ?? 0n;
  const amounts = thresholds.map((t) => ({ text: t, value: amountOf(t) ?? 0n })).filter((t) => t.value > 0n);
  let highest = 0n;
  for (const t of amounts) if (t.value > highest) highest = t.value;
  const findings: HourFinding[] = amounts.map((threshold) => {
    const reached = total >= threshold.value;
    const texts = () => ({
      title: `${tenant}: upcoming invoice reached ${invoice.currency} ${threshold.text}`,
      summary: `${tenant}'s invoice for ${invoice.periodStart.slice(0, 10)} to ${invoice.periodEnd.slice(0, 10)} stands at ${invoice.currency} ${invoice.total}, past the ${invoice.currency} ${threshold.text} alert amount.`,
      action:
        'Check the tenant’s usage and whether it expects this spend; raise the alert amount if so (spendAlerts on the tenant).',
    });
    return {
      incidentKey: `${tenant}|spend_threshold|${invoice.periodStart}|${threshold.text}`,
      kind: 'spend_threshold',
      tenant,
      meter: 'spend',
      dimensions: { period: invoice.periodStart.slice(0, 10) },
      unit: invoice.currency,
      window,
      ...(reached
        ? {
            anomaly: {
              severity: threshold.value === highest ? 'critical' : 'warning',
              observed: invoice.total,
              expected: threshold.text,
              ratio: Number(total) / Number(threshold.value),
            },
          }
        : {}),
      normal: false,
      texts,
    };
  });
  // Incidents of earlier periods are over: their period ended.
  for (const alert of openAlerts) {
    if (alert.kind !== 'spend_threshold' || alert.incidentKey.includes(`|${invoice.periodStart}|`)) continue;
    findings.push({
      incidentKey: alert.incidentKey,
      kind: 'spend_threshold',
      tenant,
      ...(alert.meter === undefined ? {} : { meter: alert.meter }),
      dimensions: alert.dimensions,
      unit: alert.unit,
      window,
      normal: true,
      texts: () => ({ title: alert.title, summary: alert.summary, action: alert.action }),
    });
  }
  return findings;
}
