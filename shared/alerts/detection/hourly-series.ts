/**
 * The input of anomaly detection: one series of hourly totals per tenant × meter (or `spend`)
 * × dimension values, read from the hourly counters.
 *
 * Values are plain JS numbers on purpose: they feed statistics (medians, ratios, z-scores), never
 * an invoice. Money and quantities stay decimals everywhere else; a detector that is off in the
 * 15th significant digit still flags the same hours.
 */
import { HOUR_MS } from '../../time/windows.js';
import { HourlySeriesError } from './detection-error.js';

/** Which series: a tenant's meter (or `spend`, the rated cost per hour) for some dimension values. */
export interface SeriesKey {
  readonly tenant: string;
  /** A meter key, or `'spend'` for the rated amount per hour. */
  readonly meter: string;
  /** The dimension values of the series (e.g. `{ model: 'gpt-4o' }`); `{}` for the tenant's total. */
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface HourlyPoint {
  /** Epoch ms of the start of the UTC hour (a multiple of one hour). */
  readonly hourStart: number;
  /** Usage or spend in that hour; a statistic, not money (see the top of this file). */
  readonly value: number;
}

export interface HourlySeries {
  readonly key: SeriesKey;
  /** In any order; an hour without a point had no usage; points of the same hour add up. */
  readonly points: readonly HourlyPoint[];
}

/** A dense run of hours: `values[i]` is the hour starting at `firstHourStart + i` hours. */
export interface HourlyValues {
  readonly firstHourStart: number;
  readonly values: ArrayLike<number>;
}

function assertHour(timeMs: number, what: string): void {
  if (!Number.isSafeInteger(timeMs) || timeMs % HOUR_MS !== 0) {
    throw new HourlySeriesError(`${what} must be epoch milliseconds on a whole UTC hour: ${timeMs}`);
  }
}

/**
 * The hours `[fromMs, toMs)` as dense values, 0 where `points` has none; points of the same hour
 * add up and points outside the range are ignored. Throws `HourlySeriesError` for a bound or a
 * point that is not on a whole hour, or a value that is not a finite number ≥ 0.
 */
export function toHourlyValues(points: readonly HourlyPoint[], fromMs: number, toMs: number): HourlyValues {
  assertHour(fromMs, 'fromMs');
  assertHour(toMs, 'toMs');
  if (toMs < fromMs) throw new HourlySeriesError(`toMs (${toMs}) is before fromMs (${fromMs})`);
  const values = new Float64Array((toMs - fromMs) / HOUR_MS);
  for (const point of points) {
    assertHour(point.hourStart, 'a point hourStart');
    if (!Number.isFinite(point.value) || point.value < 0) {
      throw new HourlySeriesError(
        `the value of the hour ${new Date(point.hourStart).toISOString()} must be a finite number ≥ 0: ${point.value}`,
      );
    }
    if (point.hourStart < fromMs || point.hourStart >= toMs) continue;
    const index = (point.hourStart - fromMs) / HOUR_MS;
    values[index] = (values[index] ?? 0) + point.value;
  }
  return { firstHourStart: fromMs, values };
}

/** One point per hour of `[fromMs, toMs)`, oldest first, 0 for hours without usage (see `toHourlyValues`). */
export function fillHours(points: readonly HourlyPoint[], fromMs: number, toMs: number): HourlyPoint[] {
  const { values } = toHourlyValues(points, fromMs, toMs);
  return Array.from(values, (value, i) => ({ hourStart: fromMs + i * HOUR_MS, value }));
}
