/**
 * Readable text for invoice line descriptions: quantities with thousands separators and tier
 * ranges. Descriptions are for people; lines are identified by their `key`.
 */
import { formatQuantity, type Quantity, SCALE } from '../decimal/quantity.js';
import type { UsagePrice } from './price-component.js';

const ONE = 10n ** BigInt(SCALE);

/** A quantity with thousands separators: `1,000,000`, `2,500.25`. */
export function formatCount(quantity: Quantity): string {
  const [whole = '0', fraction] = formatQuantity(quantity).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** The name a usage price's lines start with: its `name`, else its meter key. */
export function priceLabel(price: UsagePrice): string {
  return price.name ?? price.meter;
}

/**
 * The range of a tier that starts after `from` (the previous tier's `upTo`, or undefined for the
 * first tier) and ends at `upTo` (undefined: unbounded). Whole-unit boundaries read as counts
 * (`1,000,001–5,000,000`); fractional ones as `over 0.5 up to 2`.
 */
export function describeTierRange(from: Quantity | undefined, upTo: Quantity | undefined): string {
  if (from === undefined) return upTo === undefined ? 'all units' : `up to ${formatCount(upTo)}`;
  if (upTo === undefined) return `over ${formatCount(from)}`;
  if (from % ONE === 0n && upTo % ONE === 0n && upTo > from)
    return `${formatCount(from + ONE)}–${formatCount(upTo)}`;
  return `over ${formatCount(from)} up to ${formatCount(upTo)}`;
}
