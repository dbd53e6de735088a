/**
 * Anomaly detection on one hourly series (a tenant's meter, or its spend). Pure: the caller
 * passes the clock (`nowMs`) and the series; nothing here reads the time or the environment.
 *
 * The method, for each closed hour evaluated (by default the one that just closed):
 *
 * 1. **Seasonal median.** With at least 3 weeks of history, the median of the same hour-of-week
 *    in the previous 4 weeks (weekends and business hours are then part of the baseline), leaving
 *    out weeks whose value was itself a spike or a drop against the same hour of the last 7
 *    days (so two past outages in that hour cannot outvote the rest); else, with at least 2 days,
 *    the median of the same hour-of-day in the previous 7 days; else the median of the previous
 *    48 hours (only reachable with minHistoryHours < 48).
 * 2. **Level factor, for growth and quiet weeks.** Each of the previous 24 hours is divided by its
 *    own seasonal median; hours whose ratio is itself beyond spikeRatio or dropRatio are left
 *    out, and the median of the remaining ratios, clamped to [2/3, 3/2], multiplies the seasonal
 *    median. Gradual growth (+5%/week) is followed within a day, while a sustained spike or
 *    outage never becomes its own baseline, and the return to normal after a quiet day (a
 *    holiday at 20%) is not a spike. With hour-of-day seasonality the factor may only raise the
 *    baseline ([1, 3/2]): a low level there may be a weekend, and lowering the baseline for it
 *    would make Monday morning a spike.
 * 3. **Spread: how big ordinary noise is.** 1.4826 × the MAD of those ratios, times the seasonal
 *    median (noise pooled over a day, rather than read from 2–4 samples of one hour), floored at
 *    5% of expected and at minVolume / 10 so a flat series cannot make any wobble an anomaly.
 *    The score is the robust z: (observed − expected) / spread.
 * 4. **Rules.** A spike: observed ≥ spikeRatio × expected, observed ≥ minVolume and z ≥
 *    sensitivity. A drop: observed ≤ dropRatio × expected with expected ≥ minVolume in each of
 *    the last `dropConsecutiveHours` closed hours, and the z of the shortfall summed over the
 *    drop's consecutive hours so far (up to 24) ≥ sensitivity: evidence adds up while a drop
 *    lasts, so a noisy series' outage is flagged an hour or two later, not never. Nothing is flagged before
 *    `minHistoryHours` of history, counted from the series' first non-zero hour: leading zeros
 *    are no history.
 *
 * Both a ratio and a z are required: the ratio keeps ordinary swings of a steady series quiet,
 * the z keeps erratic series quiet. Ratios divide by expected floored at minVolume / 100, so a
 * series waking up from zero gets a large but finite ratio. Measured quality on synthetic
 * series: README.md in this folder.
 */
import { HOUR_MS } from '../../time/windows.js';
import { BASELINE_LOOKBACK_HOURS, type Baseline, type BaselineKind, baselineAt } from './baseline.js';
import type { DetectorOptions } from './detector-options.js';
import { type HourlySeries, type HourlyValues, type SeriesKey, toHourlyValues } from './hourly-series.js';

export type DetectionKind = 'spike' | 'drop';
export type DetectionSeverity = 'warning' | 'critical';

/** One anomalous closed hour of one series. */
export interface Detection {
  readonly kind: DetectionKind;
  readonly key: SeriesKey;
  /** Epoch ms of the start of the anomalous hour. */
  readonly hourStart: number;
  readonly observed: number;
  readonly expected: number;
  /** observed / expected, with expected floored at minVolume / 100. */
  readonly ratio: number;
  /** Robust z: a spike's excess, or a drop's shortfall over its consecutive hours, in spreads. */
  readonly score: number;
  /** Critical: a spike of at least 2 × spikeRatio, or a drop to dropRatio / 5 or less (~zero). */
  readonly severity: DetectionSeverity;
  /** Which history the expected value came from. */
  readonly baseline: BaselineKind;
}

/** Within the band again: ratio under spikeRatio / 1.5 and over dropRatio × 2 (hysteresis). */
const RESOLVE_SPIKE_DIVISOR = 1.5;
const RESOLVE_DROP_FACTOR = 2;
const CRITICAL_SPIKE_FACTOR = 2;
const CRITICAL_DROP_DIVISOR = 5;
const RATIO_FLOOR_OF_MIN_VOLUME = 0.01;
/** A drop's score sums its shortfall over up to this many consecutive drop hours. */
const MAX_DROP_EVIDENCE_HOURS = 24;

/**
 * The hours a run reads, `[fromMs, toMs)`: toMs is the end of the latest closed hour, fromMs far
 * enough back for the baselines of every hour judged (a drop looks back over up to 24 hours).
 */
export function detectionWindow(
  options: DetectorOptions,
  nowMs: number,
  hoursEvaluated: number = options.evaluateHours,
): { fromMs: number; toMs: number } {
  const toMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const dropHours = Math.max(options.dropConsecutiveHours, MAX_DROP_EVIDENCE_HOURS);
  const hours = hoursEvaluated + dropHours - 1 + BASELINE_LOOKBACK_HOURS;
  return { fromMs: toMs - hours * HOUR_MS, toMs };
}

/** The run's window of `hours` as dense values (0 where `hours` has none), and its first hour with usage. */
interface Window {
  readonly fromMs: number;
  readonly w: Float64Array;
  /** Index in `w` of the first non-zero hour; `w.length` when there is none. */
  readonly historyStart: number;
}

function windowOf(hours: HourlyValues, fromMs: number, toMs: number): Window {
  const w = new Float64Array((toMs - fromMs) / HOUR_MS);
  const offset = Math.round((fromMs - hours.firstHourStart) / HOUR_MS);
  const lo = Math.max(0, -offset);
  const hi = Math.min(w.length, hours.values.length - offset);
  for (let i = lo; i < hi; i++) w[i] = hours.values[i + offset]!;
  let historyStart = 0;
  while (historyStart < w.length && w[historyStart] === 0) historyStart++;
  return { fromMs, w, historyStart };
}

interface HourVerdict {
  readonly t: number;
  readonly observed: number;
  readonly baseline: Baseline;
  readonly ratio: number;
}

/** observed / expected, expected floored at minVolume / 100. */
function ratioOf(observed: number, baseline: Baseline, options: DetectorOptions): number {
  return observed / Math.max(baseline.expected, RATIO_FLOOR_OF_MIN_VOLUME * options.minVolume);
}

function judgeHour(win: Window, t: number, options: DetectorOptions): HourVerdict | undefined {
  if (t < 0 || t - win.historyStart < options.minHistoryHours) return undefined;
  const baseline = baselineAt(win.w, win.historyStart, t, options);
  if (baseline === undefined) return undefined;
  const observed = win.w[t]!;
  return { t, observed, baseline, ratio: ratioOf(observed, baseline, options) };
}

function spikeAt(
  win: Window,
  hour: HourVerdict,
  key: SeriesKey,
  options: DetectorOptions,
): Detection | undefined {
  return spikeOf(key, win.fromMs + hour.t * HOUR_MS, hour.observed, hour.baseline, options);
}

/**
 * The spike rule on one observation against its baseline: observed ≥ minVolume, ratio ≥
 * spikeRatio and z ≥ sensitivity. Exported for windows other than a closed hour (the detector
 * run's sliding hour at the start of an hour).
 */
export function spikeOf(
  key: SeriesKey,
  hourStart: number,
  observed: number,
  baseline: Baseline,
  options: DetectorOptions,
): Detection | undefined {
  const ratio = ratioOf(observed, baseline, options);
  if (observed < options.minVolume || ratio < options.spikeRatio) return undefined;
  const score = (observed - baseline.expected) / baseline.spread;
  if (score < options.sensitivity) return undefined;
  return {
    kind: 'spike',
    key,
    hourStart,
    observed,
    expected: baseline.expected,
    ratio,
    score,
    severity: ratio >= CRITICAL_SPIKE_FACTOR * options.spikeRatio ? 'critical' : 'warning',
    baseline: baseline.kind,
  };
}

function isDropHour(hour: HourVerdict | undefined, options: DetectorOptions): hour is HourVerdict {
  return hour !== undefined && hour.baseline.expected >= options.minVolume && hour.ratio <= options.dropRatio;
}

function dropAt(
  win: Window,
  hour: HourVerdict,
  key: SeriesKey,
  options: DetectorOptions,
): Detection | undefined {
  if (!isDropHour(hour, options)) return undefined;
  let shortfall = 0;
  let variance = 0;
  let hours = 0;
  for (let earlier: HourVerdict | undefined = hour; hours < MAX_DROP_EVIDENCE_HOURS; hours++) {
    if (!isDropHour(earlier, options)) break;
    shortfall += earlier.baseline.expected - earlier.observed;
    variance += earlier.baseline.spread ** 2;
    earlier = judgeHour(win, earlier.t - 1, options);
  }
  if (hours < options.dropConsecutiveHours) return undefined;
  const score = shortfall / Math.sqrt(variance);
  if (score < options.sensitivity) return undefined;
  return {
    kind: 'drop',
    key,
    hourStart: win.fromMs + hour.t * HOUR_MS,
    observed: hour.observed,
    expected: hour.baseline.expected,
    ratio: hour.ratio,
    score,
    severity: hour.ratio <= options.dropRatio / CRITICAL_DROP_DIVISOR ? 'critical' : 'warning',
    baseline: hour.baseline.kind,
  };
}

/**
 * `detectAnomalies` on dense hourly values (see `toHourlyValues`): the form to use when one
 * series is evaluated at many times, as the quality evaluation does. Hours at or after the
 * latest closed hour's end are ignored, so passing a longer series never looks ahead.
 */
export function detectAnomaliesInHours(
  key: SeriesKey,
  hours: HourlyValues,
  options: DetectorOptions,
  nowMs: number,
): Detection[] {
  const { fromMs, toMs } = detectionWindow(options, nowMs);
  const win = windowOf(hours, fromMs, toMs);
  const detections: Detection[] = [];
  for (let t = win.w.length - options.evaluateHours; t < win.w.length; t++) {
    const hour = judgeHour(win, t, options);
    if (hour === undefined) continue;
    const found = spikeAt(win, hour, key, options) ?? dropAt(win, hour, key, options);
    if (found !== undefined) detections.push(found);
  }
  return detections;
}

/**
 * The anomalous hours among the latest `options.evaluateHours` closed hours at `nowMs` (an hour
 * is closed once `nowMs` is at or past its end), oldest first. Points after the latest closed
 * hour, such as the current partial hour, are ignored. Throws `HourlySeriesError` for a point
 * not on a whole hour or with a value that is not a finite number ≥ 0.
 */
export function detectAnomalies(series: HourlySeries, options: DetectorOptions, nowMs: number): Detection[] {
  const { fromMs, toMs } = detectionWindow(options, nowMs);
  return detectAnomaliesInHours(series.key, toHourlyValues(series.points, fromMs, toMs), options, nowMs);
}

/** `isNormal` on dense hourly values (see `detectAnomaliesInHours`). */
export function isNormalInHours(hours: HourlyValues, options: DetectorOptions, nowMs: number): boolean {
  const { fromMs, toMs } = detectionWindow(options, nowMs, 1);
  const win = windowOf(hours, fromMs, toMs);
  const hour = judgeHour(win, win.w.length - 1, options);
  if (hour === undefined) return true;
  if (Math.max(hour.observed, hour.baseline.expected) < options.minVolume) return true;
  return (
    hour.ratio < options.spikeRatio / RESOLVE_SPIKE_DIVISOR &&
    hour.ratio > options.dropRatio * RESOLVE_DROP_FACTOR
  );
}

/**
 * True when the latest closed hour at `nowMs` is back within the band, with hysteresis so an
 * incident does not flap: its ratio is under spikeRatio / 1.5 and over dropRatio × 2. An hour
 * below minVolume, or without enough history to judge, is normal. Used to resolve incidents.
 */
export function isNormal(series: HourlySeries, options: DetectorOptions, nowMs: number): boolean {
  const { fromMs, toMs } = detectionWindow(options, nowMs, 1);
  return isNormalInHours(toHourlyValues(series.points, fromMs, toMs), options, nowMs);
}

/**
 * The baseline of the hour starting at `hourStart` (the current one, say), from the hours
 * before it; `undefined` without enough history to judge. Points at or after `hourStart` are
 * ignored.
 */
export function baselineInHour(
  series: HourlySeries,
  options: DetectorOptions,
  hourStart: number,
): Baseline | undefined {
  const { fromMs, toMs } = detectionWindow(options, hourStart + HOUR_MS, 1);
  const points = series.points.filter((p) => p.hourStart < hourStart);
  const win = windowOf(toHourlyValues(points, fromMs, toMs), fromMs, toMs);
  return judgeHour(win, win.w.length - 1, options)?.baseline;
}

/**
 * True when usage at `perHour` (a rate measured over the last minutes, scaled to an hour) is
 * back within a spike's band: under minVolume, or under spikeRatio / 1.5 × expected (the same
 * hysteresis as `isNormal`). Without an expected value, only under minVolume.
 */
export function isRateNormal(
  perHour: number,
  expected: number | undefined,
  options: DetectorOptions,
): boolean {
  if (perHour < options.minVolume) return true;
  if (expected === undefined) return false;
  const floor = Math.max(expected, RATIO_FLOOR_OF_MIN_VOLUME * options.minVolume);
  return perHour / floor < options.spikeRatio / RESOLVE_SPIKE_DIVISOR;
}
