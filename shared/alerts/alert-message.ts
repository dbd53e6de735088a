/** The message of an alert event (the alerts topic's JSON, docs/alerts.md). Pure. */
import type { Alert, AlertEvent, AlertMessage } from './alert.js';

export function alertMessageOf(alert: Alert, event: AlertEvent): AlertMessage {
  const usagePath =
    alert.meter === undefined || alert.meter === 'spend'
      ? undefined
      : `/v1/tenants/${encodeURIComponent(alert.tenant)}/usage?meter=${encodeURIComponent(alert.meter)}&from=${alert.startedAt.slice(0, 10)}&windowSize=HOUR${Object.keys(alert.dimensions).length > 0 ? `&groupBy=${Object.keys(alert.dimensions).join(',')}` : ''}`;
  return {
    version: 1,
    type: event,
    alertId: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    state: alert.state,
    tenant: alert.tenant,
    ...(alert.meter === undefined ? {} : { meter: alert.meter }),
    dimensions: alert.dimensions,
    unit: alert.unit,
    observed: alert.observed,
    ...(alert.expected === undefined ? {} : { expected: alert.expected }),
    ...(alert.ratio === undefined ? {} : { ratio: Math.round(alert.ratio * 100) / 100 }),
    window: alert.window,
    startedAt: alert.startedAt,
    updatedAt: alert.updatedAt,
    ...(alert.resolvedAt === undefined ? {} : { resolvedAt: alert.resolvedAt }),
    title: alert.title,
    summary: alert.summary,
    action: alert.action,
    ...(alert.recent === undefined ? {} : { recent: alert.recent }),
    links: { alert: `/v1/alerts/${alert.id}`, ...(usagePath === undefined ? {} : { usage: usagePath }) },
  };
}
