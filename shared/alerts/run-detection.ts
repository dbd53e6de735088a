/**
 * The detector's use-case, run every few minutes: for every tenant, the hourly series of its
 * meters (total, per model, per workspace) and of its spend over the last four weeks; the
 * latest closed hour of each checked for a spike or a drop; each incident stepped (open, update,
 * resolve or nothing) and its message published. Idempotent per hour: running it twice, or
 * after a crash, sends nothing twice (messages still owed are sent first).
 */
import type { Meter } from '../catalog/catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { Invoice } from '../invoicing/invoice.js';
import type { ActiveCatalogSource, TenantLister } from '../invoicing/invoicing-deps.js';
import type { CreditStore } from '../invoicing/ports.js';
import { groupKeyOf, rollupIdOf } from '../metering/counter-keys.js';
import { DAY_MS, HOUR_MS, toIso } from '../time/windows.js';
import type { RollupRow, UsageReader } from '../usage/ports.js';
import type { Alert } from './alert.js';
import { alertMessageOf } from './alert-message.js';
import { creditFindings } from './credit-alerts.js';
import { baselineInHour, type Detection, detectAnomalies, isNormal, spikeOf } from './detection/detector.js';
import type { DetectorOptions } from './detection/detector-options.js';
import { fillHours, type HourlySeries } from './detection/hourly-series.js';
import {
  DEFAULT_INCIDENT_OPTIONS,
  type HourFinding,
  type IncidentOptions,
  stepIncident,
} from './incident.js';
import type { AlertPublisher, AlertStore } from './ports.js';
import { resolvesByRate, stepQuiet, type WatchedSeries } from './quiet-resolution.js';
import { type Evaluated, groupFindings, incidentKeyFor, SPEND_GROUP } from './series-findings.js';
import { spendThresholdFindings } from './spend-thresholds.js';
import { isWatchable, spendSeries, usageSeries } from './usage-series.js';

/** History read for each run: four weeks gives hour-of-week seasonality. */
export const HISTORY_MS = 28 * DAY_MS;

/**
 * A spike can open an alert before its hour closes: once this much of the current hour has
 * passed, the hour's usage so far is projected to the whole hour and checked for a spike (only:
 * a partial hour says little about a drop); before it, the sliding hour ending now is checked.
 * So a runaway agent pages within minutes, not at the top of the next hour; the closed hour then
 * carries the incident on as usual.
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
  /** Credit grants, for `credit_low` / `credit_depleted` alerts; absent: no credit alerts. */
  readonly credits?: Pick<CreditStore, 'listGrants'>;
  /** The tenant's upcoming invoice, for spend threshold alerts (tenants with `spendAlerts`). */
  readonly upcoming?: (tenant: string) => Promise<Invoice | undefined>;
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
    const series: { series: HourlySeries; unit: string; group: string; minVolume?: number }[] = [];
    for (const meter of compiled.catalog.meters) {
      if (!isWatchable(meter)) continue;
      for (const s of usageSeries(profile.tenant, meter, await rowsOf(meter)))
        series.push({ series: s, unit: meter.unit, group: meter.eventType });
    }
    const billing = compiled.plan(profile.plan)?.billing;
    if (billing !== undefined) {
      for (const price of billing.prices) {
        const meter = meters.get(price.meter);
        if (meter !== undefined && isWatchable(meter)) await rowsOf(meter);
      }
      const spend = spendSeries(profile.tenant, billing, meters, (m) => rollups.get(rollupIdOf(m)) ?? []);
      series.push({
        series: spend,
        unit: billing.currency,
        group: SPEND_GROUP,
        minVolume: deps.minSpendPerHour,
      });
    }
    const open = new Map(
      (await deps.alerts.list({ tenant: profile.tenant, state: 'open', limit: 1000 })).alerts.map((a) => [
        a.incidentKey,
        a,
      ]),
    );
    const evaluated: Evaluated[] = series.map(({ series: s, unit, minVolume, group }) => {
      counts.series += 1;
      const options = minVolume === undefined ? deps.detector : { ...deps.detector, minVolume };
      const projected = projectedSpike(s, options, now, deps.projectCurrentHour ?? true);
      return {
        series: s,
        unit,
        group,
        dimKey: groupKeyOf(s.key.dimensions),
        detection: detectAnomalies(s, options, now).find((d) => d.hourStart === hour),
        options,
        ...(projected === undefined ? {} : { projected }),
        normal: isNormal(s, options, now),
        recent: fillHours(s.points, hour + HOUR_MS - DAY_MS, hour + HOUR_MS).map(
          (p) => Math.round(p.value * 1000) / 1000,
        ),
      };
    });
    let spikesOpen = [...open.values()].some(resolvesByRate);
    // `provisional`: the current hour so far, projected (see stepIncident); read afresh, since
    // this run may have written the incident already.
    const step = async (finding: HourFinding, provisional: boolean): Promise<void> => {
      let current = provisional ? undefined : open.get(finding.incidentKey);
      if (current === undefined && finding.anomaly === undefined) return;
      current ??= await deps.alerts.current(finding.incidentKey);
      if (current?.pendingEvent !== undefined) {
        current = await publishOwed(current, deps);
        counts.republished += 1;
      }
      const next = stepIncident(current, finding, toIso(now), incidentOptions, provisional);
      if (next.action === 'none') return;
      const written =
        next.action === 'open' ? await deps.alerts.open(next.alert) : await deps.alerts.update(next.alert);
      if (!written || next.action === 'record') return; // another run got there first; it sends the message
      counts[next.action === 'open' ? 'opened' : next.action === 'update' ? 'updated' : 'resolved'] += 1;
      if (resolvesByRate(next.alert)) spikesOpen = true;
      await publishOwed(next.alert, deps);
    };
    for (const finding of groupFindings(evaluated, hour)) await step(finding, false);
    if (deps.credits !== undefined) {
      const grants = await deps.credits.listGrants(profile.tenant);
      const window = { start: toIso(hour), end: toIso(hour + HOUR_MS) };
      for (const finding of creditFindings(profile.tenant, grants, toIso(now), window))
        await step(finding, false);
    }
    const thresholds = profile.spendAlerts ?? [];
    const openSpend = [...open.values()].filter((a) => a.kind === 'spend_threshold');
    if (deps.upcoming !== undefined && (thresholds.length > 0 || openSpend.length > 0)) {
      const invoice = await deps.upcoming(profile.tenant);
      if (invoice !== undefined) {
        const window = { start: toIso(hour), end: toIso(hour + HOUR_MS) };
        for (const finding of spendThresholdFindings(
          profile.tenant,
          invoice,
          thresholds,
          openSpend,
          window,
        )) {
          await step(finding, false);
        }
      }
    }
    // The current hour so far, projected: spikes only, to open an incident or report it worse.
    const projectedHour = hour + HOUR_MS;
    for (const finding of groupFindings(evaluated, projectedHour, true)) {
      if (finding.anomaly !== undefined) await step(finding, true);
    }
    // Open spikes: their rate since the last run, to resolve minutes after they end.
    if (!spikesOpen) return;
    const current = await deps.alerts.list({ tenant: profile.tenant, state: 'open', limit: 1000 });
    for (const alert of current.alerts.filter(resolvesByRate)) {
      const watched: WatchedSeries[] = evaluated
        .filter((e) => incidentKeyFor(profile.tenant, alert.kind, e.group, e.dimKey) === alert.incidentKey)
        .map((e) => ({
          id: e.series.key.meter,
          points: e.series.points,
          expected: baselineInHour(e.series, e.options, hour + HOUR_MS)?.expected,
          options: e.options,
        }));
      const next = stepQuiet(alert, watched, now, incidentOptions);
      if (next.action === 'none' || !(await deps.alerts.update(next.alert))) continue;
      if (next.action === 'resolve') {
        counts.resolved += 1;
        await publishOwed(next.alert, deps);
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

/**
 * A spike in the current partial hour. From `PROJECT_AFTER_MS` on, the hour's usage so far
 * projected to the whole hour; before it (too little of the hour to scale up ×6 or more) the
 * sliding hour ending now: the hour so far plus the previous hour's pro rata remainder, against
 * the two hours' expected values blended the same way (so the first minutes after a busy hour
 * that ends sharply, as business hours do, are not a spike), and only while the hour so far is
 * itself at a spike's pace.
 */
function projectedSpike(
  series: HourlySeries,
  options: DetectorOptions,
  now: number,
  enabled: boolean,
): { detection: Detection; hour: number; minutes: number; sliding: boolean; soFar: number } | undefined {
  if (!enabled) return undefined;
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const elapsed = now - hour;
  const minutes = Math.floor(elapsed / 60_000);
  const usageIn = (start: number) =>
    series.points.reduce((sum, p) => (p.hourStart === start ? sum + p.value : sum), 0);
  const soFar = usageIn(hour);
  if (elapsed >= PROJECT_AFTER_MS) {
    const scale = HOUR_MS / elapsed;
    const points = series.points.map((p) =>
      p.hourStart === hour ? { hourStart: p.hourStart, value: p.value * scale } : p,
    );
    const detection = detectAnomalies({ key: series.key, points }, options, hour + HOUR_MS).find(
      (d) => d.hourStart === hour && d.kind === 'spike',
    );
    return detection === undefined ? undefined : { detection, hour, minutes, sliding: false, soFar };
  }
  const current = baselineInHour(series, options, hour);
  const previous = baselineInHour(series, options, hour - HOUR_MS);
  if (current === undefined || previous === undefined) return undefined;
  const share = elapsed / HOUR_MS;
  // The spike must be going on now: the hour so far at a spike's pace by itself, so the tail of
  // a spike that ended (or was resolved) in the previous hour does not open a new one.
  if (soFar < options.spikeRatio * current.expected * share) return undefined;
  const observed = soFar + usageIn(hour - HOUR_MS) * (1 - share);
  const blend = (a: number, b: number) => a * share + b * (1 - share);
  const detection = spikeOf(
    series.key,
    hour,
    observed,
    {
      kind: current.kind,
      expected: blend(current.expected, previous.expected),
      spread: blend(current.spread, previous.spread),
    },
    options,
  );
  return detection === undefined ? undefined : { detection, hour, minutes, sliding: true, soFar };
}
