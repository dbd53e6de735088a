/**
 * Money, exactly. Three representations, all bigint, never floating point:
 *
 * - `UnitPrice`: a price per unit in major units × 10^12 (`PRICE_SCALE`), so `$0.0000025` per
 *   token is `2_500_000n`. Parsed from decimal strings with at most 12 decimal places.
 * - `PreciseAmount`: major units × 10^24 (`PRECISE_SCALE`). A `Quantity` (scale 12) times a
 *   `UnitPrice` (scale 12) is exactly a `PreciseAmount`; sums of them stay exact. Only a percent
 *   discount or a proration by days divides, and that one division is rounded half-up at 10^-24.
 * - `MinorAmount`: the invoice currency's minor units (cents; yen have none, dinars three).
 *
 * Rounding happens once per invoice line, from `PreciseAmount` to `MinorAmount`, with the
 * currency's rounding mode (half-up unless the catalog says otherwise). See docs/adr/0007.
 */
import { SCALE as QUANTITY_SCALE, type Quantity } from '../decimal/quantity.js';

export type UnitPrice = bigint;
export type PreciseAmount = bigint;
export type MinorAmount = bigint;

export const PRICE_SCALE = 12;
export const PRECISE_SCALE = QUANTITY_SCALE + PRICE_SCALE;
const PRICE_ONE = 10n ** BigInt(PRICE_SCALE);

export const ROUNDING_MODES = ['half_up', 'half_even', 'down', 'up'] as const;
/**
 * - `half_up`: to the nearest, ties away from zero (2.345 → 2.35, -2.345 → -2.35).
 * - `half_even`: to the nearest, ties to the even neighbour (banker's rounding).
 * - `down`: toward zero. `up`: away from zero.
 */
export type RoundingMode = (typeof ROUNDING_MODES)[number];

export interface Currency {
  /** ISO 4217 code, e.g. `USD`. */
  readonly code: string;
  /** ISO 4217 minor units: 2 for USD, 0 for JPY, 3 for KWD. */
  readonly minorUnits: number;
  readonly rounding: RoundingMode;
}

/** ISO 4217 minor units of the currencies Tollgate knows. */
export const ISO_4217_MINOR_UNITS: Readonly<Record<string, number>> = {
  AED: 2,
  ARS: 2,
  AUD: 2,
  BGN: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  MYR: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  PLN: 2,
  QAR: 2,
  RON: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UAH: 2,
  UGX: 0,
  USD: 2,
  VND: 0,
  XAF: 0,
  XOF: 0,
  ZAR: 2,
};

export const DEFAULT_ROUNDING: RoundingMode = 'half_up';

export type MoneyErrorCode = 'unknown_currency' | 'invalid_amount' | 'currency_mismatch';

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
  readonly code: MoneyErrorCode;
  constructor(code: MoneyErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isKnownCurrency(code: string): boolean {
  return Object.hasOwn(ISO_4217_MINOR_UNITS, code);
}

/** The currency `code` with `rounding`; throws `MoneyError` (`unknown_currency`). */
export function currencyOf(code: string, rounding: RoundingMode = DEFAULT_ROUNDING): Currency {
  const minorUnits = ISO_4217_MINOR_UNITS[code];
  if (minorUnits === undefined || !Object.hasOwn(ISO_4217_MINOR_UNITS, code)) {
    throw new MoneyError('unknown_currency', `unknown ISO 4217 currency "${code}"`);
  }
  return { code, minorUnits, rounding };
}

const DECIMAL = /^(-)?(\d{1,24})(?:\.(\d+))?$/;

export type DecimalParseResult =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly message: string };

/** Parses a plain decimal string (`"0.0000025"`, `"-3"`) into units of 10^-scale, exactly. */
export function parseScaled(text: string, scale: number, allowNegative = false): DecimalParseResult {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return { ok: false, message: 'must be a decimal number such as "12.50"' };
  const negative = match[1] === '-';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return { ok: false, message: `must have at most ${scale} decimal places` };
  const magnitude =
    BigInt(match[2] ?? '0') * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
  if (negative && magnitude !== 0n && !allowNegative) return { ok: false, message: 'must be ≥ 0' };
  return { ok: true, value: negative ? -magnitude : magnitude };
}

/** A unit price from a decimal string of major units with at most 12 decimal places. */
export function parseUnitPrice(text: string): DecimalParseResult {
  return parseScaled(text, PRICE_SCALE);
}

/** A money amount in major units (`"49.00"`) as a precise amount; at most 12 decimal places. */
export function parsePreciseAmount(text: string, allowNegative = false): DecimalParseResult {
  const parsed = parseScaled(text, PRICE_SCALE, allowNegative);
  return parsed.ok ? { ok: true, value: parsed.value * PRICE_ONE } : parsed;
}

/** `quantity × unitPrice`, exact. */
export function multiplyPrice(quantity: Quantity, price: UnitPrice): PreciseAmount {
  return quantity * price;
}

/** A unit price as a precise amount (the price of exactly one unit). */
export function unitPriceAmount(price: UnitPrice): PreciseAmount {
  return price * PRICE_ONE;
}

/** `numerator / denominator` rounded with `mode` (denominator > 0). */
export function divideRounded(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be > 0');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const remainder = magnitude % denominator;
  if (remainder !== 0n) {
    const twice = remainder * 2n;
    const roundAway =
      mode === 'up' ||
      (mode === 'half_up' && twice >= denominator) ||
      (mode === 'half_even' && (twice > denominator || (twice === denominator && quotient % 2n === 1n)));
    if (roundAway) quotient += 1n;
  }
  return negative ? -quotient : quotient;
}

/** `amount × numerator / denominator` at precise scale, rounded half-up (proration, percents). */
export function scaleAmount(amount: PreciseAmount, numerator: bigint, denominator: bigint): PreciseAmount {
  return divideRounded(amount * numerator, denominator, 'half_up');
}

/** Rounds a precise amount to the currency's minor units with its rounding mode. */
export function roundToMinor(amount: PreciseAmount, currency: Currency): MinorAmount {
  const divisor = 10n ** BigInt(PRECISE_SCALE - currency.minorUnits);
  return divideRounded(amount, divisor, currency.rounding);
}

/** A minor amount as a precise amount (exact). */
export function minorToPrecise(amount: MinorAmount, currency: Currency): PreciseAmount {
  return amount * 10n ** BigInt(PRECISE_SCALE - currency.minorUnits);
}

function formatScaled(value: bigint, scale: number, minDigits: number): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const one = 10n ** BigInt(scale);
  const whole = magnitude / one;
  let fraction = scale === 0 ? '' : (magnitude % one).toString().padStart(scale, '0');
  while (fraction.length > minDigits && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** Minor units as a decimal string of major units with exactly the currency's digits (`"12.30"`, JPY `"1230"`). */
export function formatMinor(amount: MinorAmount, currency: Currency): string {
  return formatScaled(amount, currency.minorUnits, currency.minorUnits);
}

/** A precise amount as a decimal string of major units, trailing zeros trimmed to at least the currency's digits. */
export function formatPrecise(amount: PreciseAmount, currency?: Currency): string {
  return formatScaled(amount, PRECISE_SCALE, currency?.minorUnits ?? 0);
}

/** A unit price as a decimal string of major units, trailing zeros trimmed (`"0.0000025"`). */
export function formatUnitPrice(price: UnitPrice): string {
  return formatScaled(price, PRICE_SCALE, 0);
}

/**
 * Splits `total` minor units over `weights` by largest remainder: each share is the floor of
 * its exact part, and the leftover units go to the largest remainders (ties to the earlier
 * weight). The shares always sum to `total`. Weights must be ≥ 0 with a positive sum.
 */
export function allocate(total: MinorAmount, weights: readonly bigint[]): MinorAmount[] {
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (weights.some((w) => w < 0n) || sum <= 0n)
    throw new RangeError('weights must be ≥ 0 with a positive sum');
  const negative = total < 0n;
  const magnitude = negative ? -total : total;
  const shares = weights.map((w) => (magnitude * w) / sum);
  const remainders = weights.map((w, index) => ({ index, remainder: (magnitude * w) % sum }));
  let leftover = magnitude - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  for (const { index } of remainders) {
    if (leftover === 0n) break;
    shares[index] = (shares[index] ?? 0n) + 1n;
    leftover -= 1n;
  }
  return negative ? shares.map((s) => -s) : shares;
}
