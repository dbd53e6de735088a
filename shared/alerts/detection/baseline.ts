/**
 * The expected value of one hour and the spread of ordinary noise around it, from the hours
 * before it only. See the top of detector.ts for the method; this file is its arithmetic.
 *
 * Works on a window of dense hourly values (`w`), where `historyStart` is the first hour with
 * usage: hours before it are unknown, never zero, so leading zeros are not history. Pure.
 */

/** Which earlier hours the expected value comes from. */
export type BaselineKind = 'hour_of_week' | 'hour_of_day' | 'recent_hours';

export interface Baseline {
  readonly kind: BaselineKind;
  /** Seasonal median × level factor. */
  readonly expected: number;
  /** One robust standard deviation of ordinary noise at this hour (floored, never 0). */
  readonly spread: number;
}

const WEEK = 168;
const DAY = 24;
/** Same hour-of-week, up to 4 weeks back; used with at least 3 of them. */
const WEEKLY_OFFSETS = [WEEK, 2 * WEEK, 3 * WEEK, 4 * WEEK] as const;
const WEEKLY_MIN_SAMPLES = 3;
/** Same hour-of-day, up to 7 days back; used with at least 2 of them. */
const DAILY_OFFSETS = [DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY, 7 * DAY] as const;
const DAILY_MIN_SAMPLES = 2;
/** Otherwise the previous 48 hours, at least 24 of them. */
const RECENT_HOURS = 48;
const RECENT_MIN_SAMPLES = 24;
/** The level factor compares the last 24 hours with their own seasonal medians… */
const LEVEL_HOURS = 24;
/** …when at least this many of them are ordinary hours with a seasonal median worth comparing with… */
const LEVEL_MIN_HOURS = 8;
/**
 * …and is clamped: a quiet day (a holiday at 20%) must not make the return to normal a spike,
 * nor a busy one hide the next spike.
 */
const LEVEL_MIN = 2 / 3;
const LEVEL_MAX = 3 / 2;
/** MAD × 1.4826 estimates the standard deviation of normal noise. */
const MAD_TO_SD = 1.4826;
/** Spread floors: 5% of expected, and a tenth of the minimum volume. */
const SPREAD_FLOOR_OF_EXPECTED = 0.05;
const SPREAD_FLOOR_OF_MIN_VOLUME = 0.1;

/** How far back `baselineAt` reads, in hours before the hour it is asked about. */
export const BASELINE_LOOKBACK_HOURS = 4 * WEEK + LEVEL_HOURS;

/** Sorts the first `n` entries of `a` in place (insertion sort: n is at most 48 here). */
function sortPrefix(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}

/** Median of the first `n` (> 0) entries of `a`; reorders them. */
function medianOf(a: Float64Array, n: number): number {
  sortPrefix(a, n);
  const mid = n >> 1;
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

/** Median absolute deviation of the first `n` entries of `a` from `center`; overwrites them. */
function madOf(a: Float64Array, n: number, center: number): number {
  for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - center);
  return medianOf(a, n);
}

/** Collects `w[t - offset]` for the offsets whose hour is in history; returns how many. */
function collect(
  w: ArrayLike<number>,
  historyStart: number,
  t: number,
  offsets: readonly number[],
  into: Float64Array,
): number {
  let n = 0;
  for (const offset of offsets) {
    const u = t - offset;
    if (u < historyStart) break;
    into[n++] = w[u]!;
  }
  return n;
}

/** What the baseline needs from the detector options. */
export interface BaselineLimits {
  readonly minVolume: number;
  readonly spikeRatio: number;
  readonly dropRatio: number;
}

type Seasonality = 'hour_of_week' | 'hour_of_day';

/** Scratch space, allocated once per `baselineAt` call. */
interface Scratch {
  readonly samples: Float64Array;
  readonly days: Float64Array;
}

/**
 * The seasonal median of hour `u`, or `undefined` without samples. Hour-of-week samples that
 * are themselves a spike or a drop against the median of the same hour on the previous 7 days
 * are left out (unless all are), so two past outages in the same hour-of-week cannot make
 * ordinary usage look like a spike.
 */
function seasonalMedian(
  w: ArrayLike<number>,
  historyStart: number,
  u: number,
  seasonality: Seasonality,
  limits: BaselineLimits,
  scratch: Scratch,
): number | undefined {
  const { samples, days } = scratch;
  if (seasonality === 'hour_of_day') {
    const n = collect(w, historyStart, u, DAILY_OFFSETS, samples);
    return n === 0 ? undefined : medianOf(samples, n);
  }
  const n = collect(w, historyStart, u, WEEKLY_OFFSETS, samples);
  if (n === 0) return undefined;
  const d = collect(w, historyStart, u, DAILY_OFFSETS, days);
  if (d === 0) return medianOf(samples, n);
  const daily = medianOf(days, d);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const sample = samples[i]!;
    if (sample >= limits.dropRatio * daily && sample <= limits.spikeRatio * daily) days[kept++] = sample;
  }
  return kept === 0 ? medianOf(samples, n) : medianOf(days, kept);
}

/**
 * The baseline of hour `t` of `w`, from hours `[historyStart, t)`; `undefined` when there are
 * fewer than 24 hours of history. Every threshold is relative (to the series or to minVolume),
 * so scaling the series and minVolume together scales the baseline by the same factor.
 */
export function baselineAt(
  w: ArrayLike<number>,
  historyStart: number,
  t: number,
  limits: BaselineLimits,
): Baseline | undefined {
  const scratch: Scratch = {
    samples: new Float64Array(RECENT_HOURS),
    days: new Float64Array(DAILY_OFFSETS.length),
  };
  const spreadFloor = (expected: number) =>
    Math.max(SPREAD_FLOOR_OF_EXPECTED * expected, SPREAD_FLOOR_OF_MIN_VOLUME * limits.minVolume);

  let seasonality: Seasonality;
  if (collect(w, historyStart, t, WEEKLY_OFFSETS, scratch.samples) >= WEEKLY_MIN_SAMPLES) {
    seasonality = 'hour_of_week';
  } else if (collect(w, historyStart, t, DAILY_OFFSETS, scratch.samples) >= DAILY_MIN_SAMPLES) {
    seasonality = 'hour_of_day';
  } else {
    const { samples } = scratch;
    const n = Math.min(RECENT_HOURS, t - historyStart);
    if (n < RECENT_MIN_SAMPLES) return undefined;
    for (let i = 0; i < n; i++) samples[i] = w[t - 1 - i]!;
    const expected = medianOf(samples, n);
    const spread = MAD_TO_SD * madOf(samples, n, expected);
    return { kind: 'recent_hours', expected, spread: Math.max(spread, spreadFloor(expected)) };
  }
  const seasonal = seasonalMedian(w, historyStart, t, seasonality, limits, scratch)!;

  // Level: how the last 24 hours compare with their own seasonal medians (growth, a quiet
  // week). Their scatter around that level is the noise, pooled over 24 hours rather than read
  // from 2–4 samples of one hour. Hours that are themselves a spike or a drop against their
  // seasonal median are left out, so a long incident neither becomes the level nor the noise.
  const ratios = new Float64Array(LEVEL_HOURS);
  const smallest = SPREAD_FLOOR_OF_MIN_VOLUME * limits.minVolume;
  let m = 0;
  for (let u = Math.max(historyStart, t - LEVEL_HOURS); u < t; u++) {
    const median = seasonalMedian(w, historyStart, u, seasonality, limits, scratch);
    if (median === undefined || median < smallest) continue;
    const ratio = w[u]! / median;
    if (ratio >= limits.dropRatio && ratio <= limits.spikeRatio) ratios[m++] = ratio;
  }
  if (m < LEVEL_MIN_HOURS) {
    // Too few hours to measure a level on: no level, and the spread of this hour's samples.
    const n = collect(
      w,
      historyStart,
      t,
      seasonality === 'hour_of_week' ? WEEKLY_OFFSETS : DAILY_OFFSETS,
      scratch.samples,
    );
    const spread = MAD_TO_SD * madOf(scratch.samples, n, seasonal);
    return { kind: seasonality, expected: seasonal, spread: Math.max(spread, spreadFloor(seasonal)) };
  }
  const typical = medianOf(ratios, m);
  // Without weekly seasonality a low level may be a weekend, not a decline: it may only raise.
  const lowest = seasonality === 'hour_of_week' ? LEVEL_MIN : 1;
  const level = Math.min(LEVEL_MAX, Math.max(lowest, typical));
  const expected = seasonal * level;
  const spread = MAD_TO_SD * madOf(ratios, m, typical) * seasonal;
  return { kind: seasonality, expected, spread: Math.max(spread, spreadFloor(expected)) };
}
