/**
 * Resolving a spike minutes after it ends. The counters are hourly, so whole normal hours are
 * slow to come: a runaway agent stopped at 10:05 leaves 10:00–11:00 anomalous, and two normal
 * hours after it resolve the incident at 13:00. Instead each run notes, on the open alert, every
 * series' usage so far since the current hour began (`RateWatch`); the next run measures the
 * rate in between (usage added ÷ time passed, scaled to an hour) and compares it with the
 * current hour's expected usage. Once the rate has been back within the band (hysteresis as for
 * hours) for `resolveAfterQuietMinutes`, the incident resolves, and it owns the hours through
 * the current one: the closed hour that still holds the spike does not open it again. Pure.
 */
import { HOUR_MS, toIso } from '../time/windows.js';
import type { Alert, RateWatch } from './alert.js';
import { isRateNormal } from './detection/detector.js';
import type { DetectorOptions } from './detection/detector-options.js';
import type { HourlyPoint } from './detection/hourly-series.js';
import type { IncidentOptions, IncidentStep } from './incident.js';

/** Runs closer together than this do not measure a rate (the watch stays as it was). */
export const MIN_WATCH_INTERVAL_MS = 30_000;

/** One series of the incident (a meter of its event type, or the spend). */
export interface WatchedSeries {
  /** Unique within the incident: the meter key, or `spend`. */
  readonly id: string;
  readonly points: readonly HourlyPoint[];
  /** The current hour's expected usage (`baselineInHour`); undefined without enough history. */
  readonly expected: number | undefined;
  readonly options: DetectorOptions;
}

/** Whether `kind` resolves by its recent rate: spikes only (a drop resolves by whole hours). */
export function resolvesByRate(alert: Alert): boolean {
  return alert.state === 'open' && (alert.kind === 'usage_spike' || alert.kind === 'spend_spike');
}

function totalSince(points: readonly HourlyPoint[], hourStart: number): number {
  let total = 0;
  for (const p of points) if (p.hourStart >= hourStart) total += p.value;
  return total;
}

/** The next step of an open spike given its series now: note the watch, or resolve. */
export function stepQuiet(
  open: Alert,
  series: readonly WatchedSeries[],
  nowMs: number,
  options: Pick<IncidentOptions, 'resolveAfterQuietMinutes'>,
): IncidentStep {
  if (series.length === 0) return { action: 'none' };
  const hour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const watch: RateWatch = {
    at: toIso(nowMs),
    hour: toIso(hour),
    values: Object.fromEntries(series.map((s) => [s.id, totalSince(s.points, hour)])),
  };
  const { watch: previous, ...rest } = open;
  const base = { ...rest, version: open.version + 1 };
  const since = previous === undefined ? Number.NaN : Date.parse(previous.at);
  // First sight, or a clock gone backwards: start watching from here.
  if (previous === undefined || !(since < nowMs)) return { action: 'record', alert: { ...base, watch } };
  const elapsed = nowMs - since;
  if (elapsed < MIN_WATCH_INTERVAL_MS) return { action: 'none' };
  const from = Date.parse(previous.hour);
  const quiet = series.every((s) => {
    const before = previous.values[s.id];
    if (before === undefined) return false; // a series new to the incident: judged from the next run
    const perHour = (Math.max(0, totalSince(s.points, from) - before) * HOUR_MS) / elapsed;
    return isRateNormal(perHour, s.expected, s.options);
  });
  if (!quiet) return { action: 'record', alert: { ...base, watch } };
  const quietSince = previous.quietSince ?? previous.at;
  if (nowMs - Date.parse(quietSince) < options.resolveAfterQuietMinutes * 60_000) {
    return { action: 'record', alert: { ...base, watch: { ...watch, quietSince } } };
  }
  const nowIso = toIso(nowMs);
  return {
    action: 'resolve',
    event: 'alert.resolved',
    alert: {
      ...base,
      state: 'resolved',
      // The hours through the current one belong to this incident: none of them reopens it.
      evaluatedHour: toIso(Math.max(hour, Date.parse(open.evaluatedHour))),
      resolvedAt: quietSince,
      updatedAt: nowIso,
      pendingEvent: 'alert.resolved',
      history: [...open.history, { at: nowIso, event: 'alert.resolved', severity: open.severity }],
    },
  };
}
