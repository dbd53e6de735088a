/**
 * Exact, non-negative decimal quantities (token counts, GPU-seconds, GB-hours).
 *
 * A `Quantity` is a bigint of units of 10^-SCALE. Every quantity in Tollgate — an event's
 * value, a counter, a limit — uses this one representation, so sums of 10^12 tokens or of
 * 0.25 GB stay exact. Numbers never pass through IEEE-754 floating point once parsed.
 */
export type Quantity = bigint;

/** Fractional digits kept exactly. Values with more are rejected, never rounded. */
export const SCALE = 12;
/** At most this many significant digits in one input value (the event contract). */
export const MAX_SIGNIFICANT_DIGITS = 18;
/** Upper bound for one input value: 10^18. Counters may exceed it; inputs may not. */
export const MAX_INPUT: Quantity = 10n ** BigInt(18 + SCALE);

const ONE = 10n ** BigInt(SCALE);
export const ZERO: Quantity = 0n;

export type QuantityParseFailure =
  | 'not_a_number'
  | 'negative'
  | 'not_finite'
  | 'too_many_digits'
  | 'too_precise'
  | 'too_large';

export type QuantityParseResult =
  | { readonly ok: true; readonly value: Quantity }
  | { readonly ok: false; readonly failure: QuantityParseFailure };

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string ("12", "0.25", "1.5e3") exactly. */
export function parseQuantity(text: string): QuantityParseResult {
  const trimmed = text.trim();
  if (trimmed === 'NaN') return { ok: false, failure: 'not_finite' };
  if (/^[+-]?Infinity$/.test(trimmed)) return { ok: false, failure: 'not_finite' };
  if (trimmed.startsWith('-')) {
    const magnitude = parseQuantity(trimmed.slice(1));
    if (!magnitude.ok) return magnitude;
    return magnitude.value === ZERO ? magnitude : { ok: false, failure: 'negative' };
  }
  const match = DECIMAL.exec(trimmed);
  if (!match) return { ok: false, failure: 'not_a_number' };
  const intPart = match[1] ?? '';
  const fracPart = match[2] ?? '';
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  const digits = (intPart + fracPart).replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (significant.length === 0) return { ok: true, value: ZERO };
  if (significant.length > MAX_SIGNIFICANT_DIGITS) return { ok: false, failure: 'too_many_digits' };
  // value = digits * 10^(exponent - fracPart.length); scaled = value * 10^SCALE
  const shift = exponent - fracPart.length + SCALE;
  const trailingZeros = digits.length - significant.length;
  if (shift + trailingZeros < 0) return { ok: false, failure: 'too_precise' };
  if (shift > 60) return { ok: false, failure: 'too_large' };
  const value =
    shift >= 0
      ? BigInt(digits) * 10n ** BigInt(shift)
      : BigInt(significant) * 10n ** BigInt(shift + trailingZeros);
  if (value > MAX_INPUT) return { ok: false, failure: 'too_large' };
  return { ok: true, value };
}

/**
 * Converts a JSON number to a quantity. Only numbers whose shortest round-trip form has at
 * most 15 significant digits are exact in a double; longer ones must be read from their
 * source text (see `parseQuantity`), and are reported here as `too_many_digits`.
 */
export function quantityFromNumber(value: number): QuantityParseResult {
  if (!Number.isFinite(value)) return { ok: false, failure: 'not_finite' };
  if (value < 0) return { ok: false, failure: 'negative' };
  if (Number.isSafeInteger(value)) {
    const q = BigInt(value) * ONE;
    return q > MAX_INPUT ? { ok: false, failure: 'too_large' } : { ok: true, value: q };
  }
  const text = String(value);
  const mantissa = text
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '');
  if (mantissa.replace(/0+$/, '').length > 15) return { ok: false, failure: 'too_many_digits' };
  return parseQuantity(text);
}

/** A quantity from a whole number of units (for COUNT and tests). */
export function quantityOf(units: bigint | number): Quantity {
  return BigInt(units) * ONE;
}

/** Canonical decimal string: no exponent, no trailing zeros ("1200", "0.25"). */
export function formatQuantity(value: Quantity): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const int = abs / ONE;
  const frac = abs % ONE;
  const sign = negative ? '-' : '';
  if (frac === 0n) return `${sign}${int}`;
  return `${sign}${int}.${frac.toString().padStart(SCALE, '0').replace(/0+$/, '')}`;
}

export function minQuantity(a: Quantity, b: Quantity): Quantity {
  return a < b ? a : b;
}

export function maxQuantity(a: Quantity, b: Quantity): Quantity {
  return a > b ? a : b;
}

/** Sum of many quantities. */
export function sumQuantities(values: Iterable<Quantity>): Quantity {
  let total = ZERO;
  for (const v of values) total += v;
  return total;
}

/** `part / whole` as a whole percentage, rounded down (for threshold crossings). */
export function percentOf(part: Quantity, whole: Quantity): bigint {
  if (whole <= 0n) return part > 0n ? 10_000n : 0n;
  return (part * 100n) / whole;
}
