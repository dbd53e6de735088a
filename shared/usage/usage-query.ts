/**
 * The usage query: which meter of which tenant, over which range, in which windows, grouped by
 * which dimensions. Parsed once from loose input (query-string text) with errors that name the
 * parameter; everything after this works on a valid `UsageQuery`.
 */
import type { Meter } from '../catalog/catalog.js';
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import { parseRfc3339Millis } from '../contract/event-time.js';
import { DAY_MS, HOUR_MS, MAX_TIME_MS, MIN_TIME_MS, parseDate } from '../time/windows.js';
import { UsageError } from './usage-error.js';

export const WINDOW_SIZES = ['HOUR', 'DAY'] as const;
export type WindowSize = (typeof WINDOW_SIZES)[number];

/** The longest range one query may span. */
export const MAX_RANGE_DAYS = 400;

/** Without `from`: this long before `to`. */
export const DEFAULT_RANGE_MS: Readonly<Record<WindowSize, number>> = { HOUR: DAY_MS, DAY: 30 * DAY_MS };

/** Loose input, as a query string or CLI flags give it. */
export interface UsageQueryInput {
  readonly tenant: string;
  readonly meter?: string | undefined;
  /** RFC 3339 with offset, or a date `YYYY-MM-DD` (midnight UTC). Inclusive; aligned down to the hour. */
  readonly from?: string | undefined;
  /** As `from`. Exclusive; aligned up to the hour. Default: the end of the current hour. */
  readonly to?: string | undefined;
  /** Dimension names, as a list or comma-separated text. */
  readonly groupBy?: string | readonly string[] | undefined;
  /** `HOUR` (default) or `DAY` (UTC days); case-insensitive. */
  readonly windowSize?: string | undefined;
}

export interface UsageQuery {
  readonly tenant: string;
  readonly meter: Meter;
  /** Epoch ms, on an hour boundary, inclusive. */
  readonly fromMs: number;
  /** Epoch ms, on an hour boundary, exclusive, after `fromMs`. */
  readonly toMs: number;
  readonly windowSize: WindowSize;
  /** A subset of the meter's groupBy dimensions, in the order asked; empty for totals per window. */
  readonly groupBy: readonly string[];
}

function utcMidnight(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** Epoch ms of an RFC 3339 time or a `YYYY-MM-DD` date, or `undefined`. */
export function parseQueryTime(text: string): number | undefined {
  const date = parseDate(text);
  const ms = date === undefined ? parseRfc3339Millis(text) : utcMidnight(date.year, date.month, date.day);
  return Number.isNaN(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS - HOUR_MS ? undefined : ms;
}

function timeParameter(name: 'from' | 'to', text: string): number {
  const ms = parseQueryTime(text.trim());
  if (ms === undefined) {
    throw new UsageError(
      'invalid_parameter',
      name,
      `${name}: must be an RFC 3339 time with offset (2026-11-29T21:00:00Z) or a date (2026-11-29), not "${text}"`,
    );
  }
  return ms;
}

function windowSizeParameter(text: string | undefined): WindowSize {
  if (text === undefined || text.trim() === '') return 'HOUR';
  const upper = text.trim().toUpperCase();
  const size = WINDOW_SIZES.find((s) => s === upper);
  if (size === undefined) {
    throw new UsageError('invalid_parameter', 'windowSize', `windowSize: must be HOUR or DAY, not "${text}"`);
  }
  return size;
}

function groupByParameter(input: UsageQueryInput['groupBy'], meter: Meter): string[] {
  if (input === undefined) return [];
  const names = (typeof input === 'string' ? input.split(',') : [...input]).map((name) => name.trim());
  if (names.length === 1 && names[0] === '') return [];
  const dimensions = meter.groupBy.length === 0 ? 'none' : meter.groupBy.join(', ');
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') {
      throw new UsageError(
        'invalid_parameter',
        'groupBy',
        'groupBy: must be dimension names separated by ","',
      );
    }
    if (!meter.groupBy.includes(name)) {
      throw new UsageError(
        'invalid_parameter',
        'groupBy',
        `groupBy: "${name}" is not a dimension of meter "${meter.key}" (dimensions: ${dimensions})`,
      );
    }
    if (seen.has(name)) {
      throw new UsageError('invalid_parameter', 'groupBy', `groupBy: "${name}" is listed twice`);
    }
    seen.add(name);
  }
  return names;
}

/**
 * Validates a usage query against the catalog. Times are aligned to whole hours (`from` down,
 * `to` up); `to` defaults to the end of the hour containing `nowMs`, `from` to
 * `DEFAULT_RANGE_MS` before `to`. Throws `UsageError` naming the parameter.
 */
export function parseUsageQuery(input: UsageQueryInput, catalog: CompiledCatalog, nowMs: number): UsageQuery {
  const meterKey = input.meter?.trim() ?? '';
  if (meterKey === '') throw new UsageError('missing_parameter', 'meter', 'meter: is required (a meter key)');
  const meter = catalog.meter(meterKey);
  if (meter === undefined) {
    const known = catalog.catalog.meters.map((m) => m.key).join(', ') || 'none';
    throw new UsageError('unknown_meter', 'meter', `meter: unknown meter "${meterKey}" (meters: ${known})`);
  }
  const windowSize = windowSizeParameter(input.windowSize);
  const groupBy = groupByParameter(input.groupBy, meter);
  const rawTo = input.to === undefined ? nowMs : timeParameter('to', input.to);
  const toMs = Math.ceil(rawTo / HOUR_MS) * HOUR_MS;
  const rawFrom =
    input.from === undefined ? toMs - DEFAULT_RANGE_MS[windowSize] : timeParameter('from', input.from);
  const fromMs = Math.floor(rawFrom / HOUR_MS) * HOUR_MS;
  if (rawTo <= rawFrom) {
    throw input.to === undefined
      ? new UsageError(
          'invalid_range',
          'from',
          `from: must be before to (by default the end of the current hour)`,
        )
      : new UsageError('invalid_range', 'to', `to: must be after from (from ${input.from}, to ${input.to})`);
  }
  if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS) {
    const days = Math.ceil((toMs - fromMs) / DAY_MS);
    throw new UsageError(
      'range_too_large',
      'from',
      `from: the range from..to spans ${days} days; a query may span at most ${MAX_RANGE_DAYS} days`,
    );
  }
  return { tenant: input.tenant, meter, fromMs, toMs, windowSize, groupBy };
}
