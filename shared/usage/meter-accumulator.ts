/**
 * How rollup rows of one meter combine into one value, by the meter's aggregation:
 * - SUM, COUNT: add;
 * - MAX: the largest;
 * - LATEST: the value whose `t_{meter}` time is latest;
 * - UNIQUE_COUNT: the size of the union of the `u_{meter}` sets (a day's distinct agents are
 *   not the sum of its hours').
 * The same rule combines hours into days, groups into coarser groups, and everything into a
 * total, so every level of a report agrees with the others.
 */
import type { Meter } from '../catalog/catalog.js';
import { parseRfc3339Millis } from '../contract/event-time.js';
import { type Quantity, quantityOf } from '../decimal/quantity.js';
import { latestTimeAttribute, uniqueAttribute, valueAttribute } from '../metering/counter-keys.js';
import type { RollupRow } from './ports.js';

export interface MeterAccumulator {
  /** Adds a row; false when the row holds nothing for this meter. */
  add(row: RollupRow): boolean;
  /** The combined value; `undefined` until a row with data was added. */
  value(): Quantity | undefined;
}

function sumAccumulator(attribute: string): MeterAccumulator {
  let total: Quantity | undefined;
  return {
    add(row) {
      const value = row.values.get(attribute);
      if (value === undefined) return false;
      total = (total ?? 0n) + value;
      return true;
    },
    value: () => total,
  };
}

function maxAccumulator(attribute: string): MeterAccumulator {
  let max: Quantity | undefined;
  return {
    add(row) {
      const value = row.values.get(attribute);
      if (value === undefined) return false;
      if (max === undefined || value > max) max = value;
      return true;
    },
    value: () => max,
  };
}

/** Orders LATEST candidates: by instant, then by the time text, then by value (deterministic). */
function isLater(
  a: { ms: number; time: string; value: Quantity },
  b: { ms: number; time: string; value: Quantity },
): boolean {
  if (a.ms !== b.ms) return a.ms > b.ms;
  if (a.time !== b.time) return a.time > b.time;
  return a.value > b.value;
}

function latestAccumulator(valueAttr: string, timeAttr: string): MeterAccumulator {
  let best: { ms: number; time: string; value: Quantity } | undefined;
  return {
    add(row) {
      const value = row.values.get(valueAttr);
      if (value === undefined) return false;
      const time = row.times.get(timeAttr) ?? '';
      const parsed = parseRfc3339Millis(time);
      const candidate = { ms: Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed, time, value };
      if (best === undefined || isLater(candidate, best)) best = candidate;
      return true;
    },
    value: () => best?.value,
  };
}

function uniqueAccumulator(attribute: string): MeterAccumulator {
  let union: Set<string> | undefined;
  return {
    add(row) {
      const values = row.sets.get(attribute);
      if (values === undefined) return false;
      union ??= new Set();
      for (const value of values) union.add(value);
      return true;
    },
    value: () => (union === undefined ? undefined : quantityOf(union.size)),
  };
}

/** A factory of empty accumulators for `meter`. */
export function accumulatorFor(meter: Meter): () => MeterAccumulator {
  switch (meter.aggregation) {
    case 'SUM':
    case 'COUNT':
      return () => sumAccumulator(valueAttribute(meter.key));
    case 'MAX':
      return () => maxAccumulator(valueAttribute(meter.key));
    case 'LATEST':
      return () => latestAccumulator(valueAttribute(meter.key), latestTimeAttribute(meter.key));
    case 'UNIQUE_COUNT':
      return () => uniqueAccumulator(uniqueAttribute(meter.key));
  }
}
