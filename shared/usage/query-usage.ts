/**
 * Answers a usage query from hourly rollup rows: re-windowed to hours or UTC days, regrouped
 * to the asked dimensions, combined by the meter's aggregation (see meter-accumulator.ts).
 */
import type { Aggregation } from '../catalog/catalog.js';
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import { parseRfc3339Millis } from '../contract/event-time.js';
import { formatQuantity } from '../decimal/quantity.js';
import { rollupIdOf } from '../metering/counter-keys.js';
import { dayWindow, hourWindow, toIso } from '../time/windows.js';
import { accumulatorFor, type MeterAccumulator } from './meter-accumulator.js';
import type { RollupRow, UsageReader } from './ports.js';
import { UsageError } from './usage-error.js';
import { parseUsageQuery, type UsageQuery, type UsageQueryInput, type WindowSize } from './usage-query.js';

/** An answer with more rows than this is refused: ask for DAY windows, fewer dimensions or a shorter range. */
export const MAX_USAGE_ROWS = 20_000;

export interface UsageReportRow {
  /** ISO-8601 UTC; the window clipped to [from, to). */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The asked groupBy dimensions → value (`''` when events lacked it); `{}` without groupBy. */
  readonly group: Readonly<Record<string, string>>;
  /** Decimal string. */
  readonly value: string;
}

export interface UsageReport {
  readonly tenant: string;
  readonly meter: string;
  readonly unit: string;
  readonly aggregation: Aggregation;
  readonly windowSize: WindowSize;
  readonly groupBy: readonly string[];
  /** ISO-8601 UTC, inclusive, on an hour boundary. */
  readonly from: string;
  /** ISO-8601 UTC, exclusive, on an hour boundary. */
  readonly to: string;
  /** The meter's value over the whole range (decimal string; "0" when nothing was recorded). */
  readonly total: string;
  /** Windows and groups with recorded usage, by window start then group. */
  readonly rows: readonly UsageReportRow[];
  /**
   * Present (true) when a UNIQUE_COUNT's distinct values outgrew a counter item in the range:
   * the counts are then lower bounds.
   */
  readonly approximate?: true;
}

interface Bucket {
  readonly start: number;
  readonly end: number;
  readonly group: Record<string, string>;
  readonly groupKey: string;
  readonly accumulator: MeterAccumulator;
}

/** Builds the report of a validated query from the rollup rows of its meter (pure). */
export function summarizeUsage(query: UsageQuery, rows: readonly RollupRow[]): UsageReport {
  const { meter, fromMs, toMs, windowSize, groupBy } = query;
  const empty = accumulatorFor(meter);
  const total = empty();
  const buckets = new Map<string, Bucket>();
  let approximate = false;
  for (const row of rows) {
    const startMs = parseRfc3339Millis(row.windowStart);
    if (Number.isNaN(startMs) || startMs < fromMs || startMs >= toMs) continue;
    if (row.overflowed?.has(meter.key)) approximate = true;
    const window = windowSize === 'DAY' ? dayWindow(startMs) : hourWindow(startMs);
    const group = Object.fromEntries(groupBy.map((name) => [name, row.group[name] ?? '']));
    // Values in the asked order: identifies the group and orders rows by the first dimension asked.
    const groupKey = groupBy.map((name) => group[name]).join('\u0000');
    const id = `${window.start}\u0000${groupKey}`;
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = {
        start: Math.max(window.start, fromMs),
        end: Math.min(window.end, toMs),
        group,
        groupKey,
        accumulator: empty(),
      };
      buckets.set(id, bucket);
    }
    if (bucket.accumulator.add(row)) total.add(row);
  }
  const filled = [...buckets.values()]
    .map((bucket) => ({ bucket, value: bucket.accumulator.value() }))
    .filter((entry) => entry.value !== undefined);
  if (filled.length > MAX_USAGE_ROWS) {
    throw new UsageError(
      'too_many_rows',
      'windowSize',
      `windowSize: the answer would have ${filled.length} rows, more than ${MAX_USAGE_ROWS}; use windowSize=DAY, fewer groupBy dimensions or a shorter from..to`,
    );
  }
  filled.sort((a, b) =>
    a.bucket.start !== b.bucket.start
      ? a.bucket.start - b.bucket.start
      : a.bucket.groupKey < b.bucket.groupKey
        ? -1
        : a.bucket.groupKey > b.bucket.groupKey
          ? 1
          : 0,
  );
  const reportRows = filled.map(
    ({ bucket, value }): UsageReportRow => ({
      windowStart: toIso(bucket.start),
      windowEnd: toIso(bucket.end),
      group: bucket.group,
      value: formatQuantity(value ?? 0n),
    }),
  );
  return {
    tenant: query.tenant,
    meter: meter.key,
    unit: meter.unit,
    aggregation: meter.aggregation,
    windowSize,
    groupBy: [...groupBy],
    from: toIso(fromMs),
    to: toIso(toMs),
    total: formatQuantity(total.value() ?? 0n),
    rows: reportRows,
    ...(approximate ? { approximate: true as const } : {}),
  };
}

/**
 * Validates `input` against the catalog (see `parseUsageQuery`), reads the meter's rollup rows
 * for the range and summarizes them. Throws `UsageError` naming the parameter.
 */
export async function queryUsage(
  reader: UsageReader,
  catalog: CompiledCatalog,
  input: UsageQueryInput,
  nowMs: number,
): Promise<UsageReport> {
  const query = parseUsageQuery(input, catalog, nowMs);
  const rows = await reader.rollupRows(
    query.tenant,
    rollupIdOf(query.meter),
    toIso(query.fromMs),
    toIso(query.toMs),
  );
  return summarizeUsage(query, rows);
}
