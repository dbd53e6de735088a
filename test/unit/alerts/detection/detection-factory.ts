import { type Detection, detectAnomalies } from '../../../../shared/alerts/detection/detector.js';
import type { DetectorOptions } from '../../../../shared/alerts/detection/detector-options.js';
import type { HourlySeries, SeriesKey } from '../../../../shared/alerts/detection/hourly-series.js';
import { HOUR_MS } from '../../../../shared/time/windows.js';

export const DAY_HOURS = 24;
export const WEEK_HOURS = 168;

/** Monday 2025-03-03T00:00Z. */
export const START_MS = Date.UTC(2025, 2, 3);

export const KEY: SeriesKey = { tenant: 'acme', meter: 'output_tokens', dimensions: { model: 'gpt-4o' } };

/** The start of hour `index` of a series starting at `START_MS`. */
export function hour(index: number): number {
  return START_MS + index * HOUR_MS;
}

/** A series from dense values, the first at `START_MS`. */
export function seriesOf(values: readonly number[], key: SeriesKey = KEY): HourlySeries {
  return { key, points: values.map((value, i) => ({ hourStart: hour(i), value })) };
}

/** `hours` hours of `level` each. */
export function flat(level: number, hours: number): number[] {
  return Array.from({ length: hours }, () => level);
}

/** `values` with hours `[from, from + hours)` replaced by `value(original)`. */
export function inject(
  values: readonly number[],
  from: number,
  hours: number,
  value: (original: number) => number,
): number[] {
  return values.map((v, i) => (i >= from && i < from + hours ? value(v) : v));
}

/** When the scheduled job runs for hour `index`: five minutes after it closes. */
export function runAfter(index: number): number {
  return hour(index + 1) + 5 * 60_000;
}

/** Every detection the job makes when run once after each of the hours `[from, to)` closes. */
export function replayHours(
  series: HourlySeries,
  options: DetectorOptions,
  from: number,
  to: number,
): Detection[] {
  const detections: Detection[] = [];
  for (let i = from; i < to; i++) detections.push(...detectAnomalies(series, options, runAfter(i)));
  return detections;
}

/** The hours (indices from `START_MS`) and kinds the job flags. */
export function flagged(detections: readonly Detection[]): string[] {
  return detections.map((d) => `${d.kind}@${(d.hourStart - START_MS) / HOUR_MS}`);
}
