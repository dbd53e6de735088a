/** Exact values for pricing tests, written as the decimal strings a person reads. */
import { parseQuantity, type Quantity } from '../../../shared/decimal/quantity.js';
import {
  PRECISE_SCALE,
  type PreciseAmount,
  parseScaled,
  parseUnitPrice,
  type UnitPrice,
} from '../../../shared/money/money.js';
import type { GroupQuantity, PricedLine } from '../../../shared/pricing/price-component.js';

function expectOk<T>(result: { ok: true; value: T } | { ok: false }, text: string): T {
  if (!result.ok) throw new Error(`bad test value "${text}"`);
  return result.value;
}

/** A quantity: `units('1000')`, `units('0.25')`. */
export function units(text: string): Quantity {
  return expectOk(parseQuantity(text), text);
}

/** A unit price in major units: `perUnit('0.0000025')`. */
export function perUnit(text: string): UnitPrice {
  return expectOk(parseUnitPrice(text), text);
}

/** A precise amount in major units (up to 24 decimals), possibly negative: `money('2.50')`, `money('-5')`. */
export function money(text: string): PreciseAmount {
  return expectOk(parseScaled(text, PRECISE_SCALE, true), text);
}

/** The meter's total, ungrouped. */
export function total(text: string): GroupQuantity[] {
  return [{ group: {}, quantity: units(text) }];
}

/** Usage per group: `grouped([{ model: 'gpt-4o' }, '1000'], …)`. */
export function grouped(...rows: [Record<string, string>, string][]): GroupQuantity[] {
  return rows.map(([group, quantity]) => ({ group, quantity: units(quantity) }));
}

export function sumAmounts(lines: readonly PricedLine[]): PreciseAmount {
  return lines.reduce((sum, line) => sum + line.amount, 0n);
}

/** The `code` of the error `run` throws. */
export function thrownCode(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  throw new Error('expected an error, but none was thrown');
}
