/**
 * The detector's use-case, run every few minutes: for every tenant, the hourly series of its
 * meters (total, per model, per workspace) and of its spend over the last four weeks; the
 * latest closed hour of each checked for a spike or a drop; each incident stepped (open, update,
 * resolve or nothing) and its message published. Idempotent per hour: running it twice, or
 * after a crash, sends nothing twice (messages still owed are sent first).
 */
import type { Meter } from '../catalog/catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { ActiveCatalogSource, TenantLister } from '../invoicing/invoicing-deps.js';
import { groupKeyOf, rollupIdOf } from '../metering/counter-keys.js';
import { DAY_MS, HOUR_MS, toIso } from '../time/windows.js';
import type { RollupRow, UsageReader } from '../usage/ports.js';
import type { Alert, AlertKind, AlertSeverity } from './alert.js';
import { alertMessageOf } from './alert-message.js';
import { type Detection, detectAnomalies, isNormal } from './detection/detector.js';
import type { DetectorOptions } from './detection/detector-options.js';
import { fillHours, type HourlySeries } from './detection/hourly-series.js';
import {
  DEFAULT_INCIDENT_OPTIONS,
  type HourFinding,
  type IncidentOptions,
  stepIncident,
} from './incident.js';
import type { AlertPublisher, AlertStore } from './ports.js';
import { isWatchable, spendSeries, usageSeries } from './usage-series.js';

/** History read for each run: four weeks gives hour-of-week seasonality. */
export const HISTORY_MS = 28 * DAY_MS;

/**
 * A spike can open an alert before its hour closes: once this much of the current hour has
 * passed, the hour's usage so far is projected to the whole hour and checked for a spike (only:
 * a partial hour says little about a drop). So a runaway agent pages within minutes, not at the
 * top of the next hour; the closed hour then carries the incident on as usual.
 */
export const PROJECT_AFTER_MS = 10 * 60_000;

export interface DetectionDeps {
  readonly catalog: ActiveCatalogSource;
  readonly tenants: TenantLister;
  readonly usage: UsageReader;
  readonly alerts: AlertStore;
  readonly publisher: AlertPublisher;
  readonly clock: () => number;
  readonly detector: DetectorOptions;
  /** Spend series are compared with this minimum volume (currency units per hour) instead. */
  readonly minSpendPerHour: number;
  readonly incidents?: IncidentOptions;
  /** Check the current partial hour for spikes (default true); see `PROJECT_AFTER_MS`. */
  readonly projectCurrentHour?: boolean;
}

export interface DetectionSummary {
  readonly tenants: number;
  readonly series: number;
  readonly hour: string;
  readonly opened: number;
  readonly updated: number;
  readonly resolved: number;
  readonly republished: number;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 4 : 2).replace(/\.?0+$/, '');
}

function describe(key: HourlySeries['key'], unit: string): string {
  const dims = Object.entries(key.dimensions).map(([k, v]) => `${k} ${v}`);
  const what = key.meter === 'spend' ? 'spend' : key.meter;
  return `${what}${dims.length > 0 ? ` (${dims.join(', ')})` : ''}${unit === '' ? '' : ''}`;
}

function textsFor(
  kind: AlertKind,
  tenant: string,
  subject: string,
  unit: string,
  projectedFromMinutes?: number,
) {
  return (alert: {
    severity: AlertSeverity;
    observed: string;
    expected?: string;
    ratio?: number;
    startedAt: string;
  }) => {
    const ratio = alert.ratio === undefined ? '' : `${alert.ratio.toFixed(1)}×`;
    const since = `${alert.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
    const spike = kind.endsWith('_spike');
    return {
      title: spike
        ? `${tenant}: ${subject} is ${ratio} its normal level`
        : `${tenant}: ${subject} dropped to ${ratio} of its normal level`,
      summary:
        projectedFromMinutes === undefined
          ? `${subject} was ${alert.observed} ${unit} in the last hour against ${alert.expected ?? '?'} ${unit} expected for that hour, since ${since}.`
          : `${subject} is on pace for ${alert.observed} ${unit} this hour (projected from its first ${projectedFromMinutes} minutes) against ${alert.expected ?? '?'} ${unit} expected, since ${since}.`,
      action: spike
        ? 'Check for a runaway agent, a retry loop or unbatched embeddings in this tenant; its entitlements and the upcoming invoice show what it costs.'
        : 'Check the producer of these events: a broken SDK, a revoked ingest key or a stopped service loses revenue. Quarantine (GET /v1/quarantine) shows rejected events.',
    };
  };
}

function findingsOf(
  series: HourlySeries,
  unit: string,
  detection: Detection | undefined,
  normal: boolean,
  hour: number,
  recent: number[],
  projectedFromMinutes?: number,
): HourFinding[] {
  const { key } = series;
  const spend = key.meter === 'spend';
  const kinds: AlertKind[] = spend ? ['spend_spike', 'spend_drop'] : ['usage_spike', 'usage_drop'];
  return kinds.map((kind): HourFinding => {
    const matches = detection !== undefined && kind.endsWith(`_${detection.kind}`);
    const subject = describe(key, unit);
    return {
      incidentKey: `${key.tenant}|${kind}|${key.meter}|${groupKeyOf(key.dimensions)}`,
      kind,
      tenant: key.tenant,
      meter: key.meter,
      dimensions: key.dimensions,
      unit,
      window: { start: toIso(hour), end: toIso(hour + HOUR_MS) },
      ...(matches && detection !== undefined
        ? {
            anomaly: {
              severity: detection.severity,
              observed: formatNumber(detection.observed),
              expected: formatNumber(detection.expected),
              ratio: detection.ratio,
            },
          }
        : {}),
      normal,
      recent,
      texts: textsFor(kind, key.tenant, subject, unit, projectedFromMinutes),
    };
  });
}

async function publishOwed(alert: Alert, deps: DetectionDeps): Promise<Alert> {
  if (alert.pendingEvent === undefined) return alert;
  await deps.publisher.publish(alertMessageOf(alert, alert.pendingEvent));
  const { pendingEvent: _, ...rest } = alert;
  const cleared: Alert = { ...rest, version: alert.version + 1 };
  // Lost to a concurrent writer: it owes (and will send) its own message.
  await deps.alerts.update(cleared);
  return cleared;
}

export async function runDetection(deps: DetectionDeps): Promise<DetectionSummary> {
  const now = deps.clock();
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS; // the latest closed hour
  const from = hour + HOUR_MS - HISTORY_MS;
  const to = hour + 2 * HOUR_MS; // through the current partial hour (for projected spikes)
  const active = await deps.catalog.active();
  const counts = { tenants: 0, series: 0, opened: 0, updated: 0, resolved: 0, republished: 0 };
  if (active === undefined) return { ...counts, hour: toIso(hour) };
  const { compiled } = active;
  const meters = new Map(compiled.catalog.meters.map((m) => [m.key, m]));
  const incidentOptions = deps.incidents ?? DEFAULT_INCIDENT_OPTIONS;

  const tenant = async (profile: TenantProfile): Promise<void> => {
    counts.tenants += 1;
    const rollups = new Map<string, RollupRow[]>();
    const rowsOf = async (meter: Meter): Promise<RollupRow[]> => {
      const id = rollupIdOf(meter);
      let rows = rollups.get(id);
      if (rows === undefined) {
        rows = await deps.usage.rollupRows(profile.tenant, id, toIso(from), toIso(to));
        rollups.set(id, rows);
      }
      return rows;
    };
    const series: { series: HourlySeries; unit: string; minVolume?: number }[] = [];
    for (const meter of compiled.catalog.meters) {
      if (!isWatchable(meter)) continue;
      for (const s of usageSeries(profile.tenant, meter, await rowsOf(meter)))
        series.push({ series: s, unit: meter.unit });
    }
    const billing = compiled.plan(profile.plan)?.billing;
    if (billing !== undefined) {
      for (const price of billing.prices) {
        const meter = meters.get(price.meter);
        if (meter !== undefined && isWatchable(meter)) await rowsOf(meter);
      }
      const spend = spendSeries(profile.tenant, billing, meters, (m) => rollups.get(rollupIdOf(m)) ?? []);
      series.push({ series: spend, unit: billing.currency, minVolume: deps.minSpendPerHour });
    }
    const open = new Map(
      (await deps.alerts.list({ tenant: profile.tenant, state: 'open', limit: 1000 })).alerts.map((a) => [
        a.incidentKey,
        a,
      ]),
    );
    for (const { series: s, unit, minVolume } of series) {
      counts.series += 1;
      const options = minVolume === undefined ? deps.detector : { ...deps.detector, minVolume };
      const detection = detectAnomalies(s, options, now).find((d) => d.hourStart === hour);
      const normal = isNormal(s, options, now);
      const recent = fillHours(s.points, hour + HOUR_MS - DAY_MS, hour + HOUR_MS).map(
        (p) => Math.round(p.value * 1000) / 1000,
      );
      for (const finding of findingsOf(s, unit, detection, normal, hour, recent)) {
        let current = open.get(finding.incidentKey);
        if (current === undefined && finding.anomaly === undefined) continue;
        current ??= await deps.alerts.current(finding.incidentKey);
        if (current?.pendingEvent !== undefined) {
          current = await publishOwed(current, deps);
          counts.republished += 1;
        }
        const step = stepIncident(current, finding, toIso(now), incidentOptions);
        if (step.action === 'none') continue;
        const written =
          step.action === 'open' ? await deps.alerts.open(step.alert) : await deps.alerts.update(step.alert);
        if (!written) continue; // another run got there first; it sends the message
        if (step.action === 'record') continue;
        counts[step.action === 'open' ? 'opened' : step.action === 'update' ? 'updated' : 'resolved'] += 1;
        await publishOwed(step.alert, deps);
      }
      const projected = projectedSpike(s, options, now, deps.projectCurrentHour ?? true);
      if (projected !== undefined) {
        const [spike] = findingsOf(
          s,
          unit,
          projected.detection,
          false,
          projected.hour,
          recent,
          projected.minutes,
        );
        if (spike !== undefined && open.get(spike.incidentKey) === undefined) {
          const current = await deps.alerts.current(spike.incidentKey);
          const step =
            current?.state === 'open' ? undefined : stepIncident(current, spike, toIso(now), incidentOptions);
          if (step?.action === 'open' && (await deps.alerts.open(step.alert))) {
            counts.opened += 1;
            await publishOwed(step.alert, deps);
          }
        }
      }
    }
  };

  let cursor: string | undefined;
  do {
    const page = await deps.tenants.listTenantProfiles(cursor === undefined ? {} : { cursor });
    for (const profile of page.profiles) await tenant(profile);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { ...counts, hour: toIso(hour) };
}

/** A spike in the current partial hour, its usage so far projected to the whole hour. */
function projectedSpike(
  series: HourlySeries,
  options: DetectorOptions,
  now: number,
  enabled: boolean,
): { detection: Detection; hour: number; minutes: number } | undefined {
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const elapsed = now - hour;
  if (!enabled || elapsed < PROJECT_AFTER_MS) return undefined;
  const scale = HOUR_MS / elapsed;
  const points = series.points.map((p) =>
    p.hourStart === hour ? { hourStart: p.hourStart, value: p.value * scale } : p,
  );
  const detection = detectAnomalies({ key: series.key, points }, options, hour + HOUR_MS).find(
    (d) => d.hourStart === hour && d.kind === 'spike',
  );
  return detection === undefined ? undefined : { detection, hour, minutes: Math.floor(elapsed / 60_000) };
}
