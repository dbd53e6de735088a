import type { Quantity } from './quantity.js';
import { SCALE } from './quantity.js';

const STORED = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Reads a quantity that Tollgate itself stored (a counter, a limit): exact, and without the
 * input bounds of `parseQuantity`, since sums may exceed one event's maximum. Throws on text
 * that Tollgate would never have written.
 */
export function parseStoredQuantity(text: string): Quantity {
  const match = STORED.exec(text);
  if (!match) throw new RangeError(`not a stored quantity: ${text}`);
  const fraction = (match[3] ?? '').padEnd(SCALE, '0');
  if (fraction.length > SCALE) throw new RangeError(`stored quantity too precise: ${text}`);
  const value = BigInt(match[2] ?? '0') * 10n ** BigInt(SCALE) + BigInt(fraction || '0');
  return match[1] === '-' ? -value : value;
}
