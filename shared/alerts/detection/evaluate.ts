/**
 * Detector quality on series with known incidents. Each case is replayed as the scheduled job
 * sees it: one run shortly after each hour of its evaluated month closes, with only the hours
 * closed by then. Pure.
 *
 * - An **alert** is a run of detections of one kind in consecutive hours (what one incident
 *   message covers); it is **true** when it overlaps an incident of the same kind that should
 *   alert, **false** otherwise.
 * - A spike counts as **caught** when flagged in its first or second closed hour (within one
 *   hour of its start); a drop when flagged within its first `dropConsecutiveHours + 1` closed
 *   hours (one hour of slack beyond the persistence a drop needs).
 * - A **tenant-month** is 720 evaluated hours of one series.
 */
import { HOUR_MS } from '../../time/windows.js';
import { type Detection, type DetectionKind, detectAnomaliesInHours } from './detector.js';
import type { DetectorOptions } from './detector-options.js';
import { type HourlySeries, toHourlyValues } from './hourly-series.js';

export interface GroundTruthIncident {
  readonly kind: DetectionKind;
  /** Epoch ms, inclusive. */
  readonly startMs: number;
  /** Epoch ms, exclusive. */
  readonly endMs: number;
  /** False for incidents that should stay silent (e.g. a tiny tenant's spike under minVolume). */
  readonly expectAlert: boolean;
}

export interface EvaluationCase {
  /** `clean` cases are the ones false alerts per tenant-month are measured on. */
  readonly category: string;
  readonly series: HourlySeries;
  /** The first evaluated hour (epoch ms): the first run is just after it closes. */
  readonly evaluateFromMs: number;
  /** End of the last evaluated hour (exclusive). */
  readonly evaluateToMs: number;
  readonly incidents: readonly GroundTruthIncident[];
}

export interface RecallStats {
  readonly incidents: number;
  /** Caught within the allowed delay. */
  readonly caught: number;
  /** Flagged, but later than the allowed delay. */
  readonly late: number;
  readonly recall: number;
  /** Mean hours from the incident's start to the hour flagged (0: its first hour), of those caught. */
  readonly meanDelayHours: number;
}

export interface FalseAlert {
  readonly tenant: string;
  readonly category: string;
  readonly kind: DetectionKind;
  readonly hourStart: number;
  readonly hours: number;
  readonly ratio: number;
  readonly baseline: Detection['baseline'];
}

export interface EvaluationReport {
  readonly options: DetectorOptions;
  readonly cases: number;
  readonly tenantMonths: { readonly clean: number; readonly all: number };
  readonly spikes: RecallStats;
  readonly drops: RecallStats;
  /** Alerts in all cases; `matched` overlap an injected incident that should alert. */
  readonly alerts: { readonly total: number; readonly matched: number; readonly unmatched: number };
  /** Matched alerts / all alerts. */
  readonly precision: number;
  readonly falseAlertsPerCleanTenantMonth: number;
  readonly falseAlertsPerTenantMonth: number;
  /** Alerts on cases of category `tiny`. */
  readonly tinyTenantAlerts: number;
  readonly falseAlerts: readonly FalseAlert[];
}

/** The scheduled run after an hour closes happens a few minutes later. */
const RUN_DELAY_MS = 5 * 60_000;
const MONTH_HOURS = 720;

interface Alert {
  readonly kind: DetectionKind;
  readonly firstHour: number;
  readonly lastHour: number;
  readonly first: Detection;
}

/** Every hour the job flags in the case's evaluated hours, one detection per kind and hour. */
function replay(testCase: EvaluationCase, options: DetectorOptions): Detection[] {
  const { points } = testCase.series;
  const firstMs = points.reduce((min, p) => Math.min(min, p.hourStart), testCase.evaluateFromMs);
  const hours = toHourlyValues(points, firstMs, testCase.evaluateToMs);
  const seen = new Map<string, Detection>();
  for (let hour = testCase.evaluateFromMs; hour < testCase.evaluateToMs; hour += HOUR_MS) {
    const nowMs = hour + HOUR_MS + RUN_DELAY_MS;
    for (const detection of detectAnomaliesInHours(testCase.series.key, hours, options, nowMs)) {
      if (detection.hourStart < testCase.evaluateFromMs) continue;
      const id = `${detection.kind}:${detection.hourStart}`;
      if (!seen.has(id)) seen.set(id, detection);
    }
  }
  return [...seen.values()];
}

/** Consecutive hours of one kind make one alert. */
function alertsOf(detections: readonly Detection[]): Alert[] {
  const sorted = [...detections].sort((a, b) => a.kind.localeCompare(b.kind) || a.hourStart - b.hourStart);
  const alerts: Alert[] = [];
  for (const detection of sorted) {
    const last = alerts.at(-1);
    if (
      last !== undefined &&
      last.kind === detection.kind &&
      detection.hourStart === last.lastHour + HOUR_MS
    ) {
      alerts[alerts.length - 1] = { ...last, lastHour: detection.hourStart };
    } else {
      alerts.push({
        kind: detection.kind,
        firstHour: detection.hourStart,
        lastHour: detection.hourStart,
        first: detection,
      });
    }
  }
  return alerts;
}

interface RecallTally {
  incidents: number;
  caught: number;
  late: number;
  delayHours: number;
}

function tally(): RecallTally {
  return { incidents: 0, caught: 0, late: 0, delayHours: 0 };
}

function statsOf(t: RecallTally): RecallStats {
  return {
    incidents: t.incidents,
    caught: t.caught,
    late: t.late,
    recall: t.incidents === 0 ? 1 : t.caught / t.incidents,
    meanDelayHours: t.caught === 0 ? 0 : t.delayHours / t.caught,
  };
}

/** Replays every case hour by hour and measures recall, precision and false alerts (see the top of this file). */
export function evaluateDetector(
  cases: readonly EvaluationCase[],
  options: DetectorOptions,
): EvaluationReport {
  const recall: Record<DetectionKind, RecallTally> = { spike: tally(), drop: tally() };
  const allowedHours: Record<DetectionKind, number> = { spike: 2, drop: options.dropConsecutiveHours + 1 };
  const falseAlerts: FalseAlert[] = [];
  let trueAlerts = 0;
  let cleanHours = 0;
  let allHours = 0;
  let tinyTenantAlerts = 0;

  for (const testCase of cases) {
    const evaluatedHours = (testCase.evaluateToMs - testCase.evaluateFromMs) / HOUR_MS;
    allHours += evaluatedHours;
    if (testCase.category === 'clean') cleanHours += evaluatedHours;
    const detections = replay(testCase, options);

    for (const incident of testCase.incidents) {
      if (!incident.expectAlert) continue;
      const counts = recall[incident.kind];
      counts.incidents++;
      const flagged = detections
        .filter(
          (d) => d.kind === incident.kind && d.hourStart >= incident.startMs && d.hourStart < incident.endMs,
        )
        .map((d) => d.hourStart);
      if (flagged.length === 0) continue;
      const delay = (Math.min(...flagged) - incident.startMs) / HOUR_MS;
      if (delay < allowedHours[incident.kind]) {
        counts.caught++;
        counts.delayHours += delay;
      } else {
        counts.late++;
      }
    }

    for (const alert of alertsOf(detections)) {
      if (testCase.category === 'tiny') tinyTenantAlerts++;
      const matches = testCase.incidents.some(
        (incident) =>
          incident.expectAlert &&
          incident.kind === alert.kind &&
          alert.firstHour < incident.endMs &&
          alert.lastHour >= incident.startMs,
      );
      if (matches) {
        trueAlerts++;
        continue;
      }
      falseAlerts.push({
        tenant: testCase.series.key.tenant,
        category: testCase.category,
        kind: alert.kind,
        hourStart: alert.firstHour,
        hours: (alert.lastHour - alert.firstHour) / HOUR_MS + 1,
        ratio: alert.first.ratio,
        baseline: alert.first.baseline,
      });
    }
  }

  const total = trueAlerts + falseAlerts.length;
  const cleanFalse = falseAlerts.filter((a) => a.category === 'clean').length;
  const tenantMonths = { clean: cleanHours / MONTH_HOURS, all: allHours / MONTH_HOURS };
  return {
    options,
    cases: cases.length,
    tenantMonths,
    spikes: statsOf(recall.spike),
    drops: statsOf(recall.drop),
    alerts: { total, matched: trueAlerts, unmatched: falseAlerts.length },
    precision: total === 0 ? 1 : trueAlerts / total,
    falseAlertsPerCleanTenantMonth: tenantMonths.clean === 0 ? 0 : cleanFalse / tenantMonths.clean,
    falseAlertsPerTenantMonth: tenantMonths.all === 0 ? 0 : falseAlerts.length / tenantMonths.all,
    tinyTenantAlerts,
    falseAlerts,
  };
}

function fixed(value: number, digits = 3): string {
  return value.toFixed(digits);
}

/** The report as a markdown table (for the README). */
export function formatEvaluation(report: EvaluationReport): string {
  const { spikes, drops, alerts, options } = report;
  const cleanFalse = report.falseAlerts.filter((a) => a.category === 'clean').length;
  const rows: [string, string, string][] = [
    [
      `5× spikes flagged within 1 hour of their start (recall, n = ${spikes.incidents})`,
      '≥ 0.95',
      `${fixed(spikes.recall)} (${spikes.caught} caught, ${spikes.late} late, mean delay ${fixed(spikes.meanDelayHours, 2)} h)`,
    ],
    [
      `Drops to ≤ 2% flagged within ${options.dropConsecutiveHours + 1} hours of their start (recall, n = ${drops.incidents})`,
      '≥ 0.9',
      `${fixed(drops.recall)} (${drops.caught} caught, ${drops.late} late, mean delay ${fixed(drops.meanDelayHours, 2)} h)`,
    ],
    [
      `False alerts per tenant-month, clean seasonal series (${fixed(report.tenantMonths.clean, 0)} tenant-months)`,
      '≤ 1',
      `${fixed(report.falseAlertsPerCleanTenantMonth)} (${cleanFalse} alerts)`,
    ],
    [
      `False alerts per tenant-month, all series (${fixed(report.tenantMonths.all, 0)} tenant-months)`,
      '—',
      `${fixed(report.falseAlertsPerTenantMonth)} (${alerts.unmatched} alerts)`,
    ],
    [
      'Precision (alerts matching an injected spike or drop)',
      '—',
      `${fixed(report.precision)} (${alerts.matched} of ${alerts.total})`,
    ],
    ['Alerts on tiny tenants (5× spike still under minVolume)', '0', String(report.tinyTenantAlerts)],
  ];
  const settings =
    `sensitivity ${options.sensitivity}, spikeRatio ${options.spikeRatio}, dropRatio ${options.dropRatio}, ` +
    `minVolume ${options.minVolume}, minHistoryHours ${options.minHistoryHours}, ` +
    `dropConsecutiveHours ${options.dropConsecutiveHours}`;
  return [
    '| Measure | Target | Measured |',
    '| --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Detector options: ${settings}.`,
  ].join('\n');
}
