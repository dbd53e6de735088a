import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import {
  allocate,
  type Currency,
  currencyOf,
  divideRounded,
  formatMinor,
  formatPrecise,
  formatUnitPrice,
  MoneyError,
  minorToPrecise,
  multiplyPrice,
  PRECISE_SCALE,
  parsePreciseAmount,
  parseUnitPrice,
  type RoundingMode,
  roundToMinor,
  scaleAmount,
  unitPriceAmount,
} from '../../../shared/money/money.js';

const usd = currencyOf('USD');
const withRounding = (rounding: RoundingMode, code = 'USD'): Currency => currencyOf(code, rounding);
/** A precise amount from a decimal string of major units (any number of decimals up to 24). */
const precise = (text: string): bigint => {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const value =
    BigInt(whole) * 10n ** BigInt(PRECISE_SCALE) + BigInt(fraction.padEnd(PRECISE_SCALE, '0') || '0');
  return negative ? -value : value;
};

describe('parseUnitPrice and formatUnitPrice', () => {
  it.each([
    ['0.0000025', 2_500_000n, '0.0000025'],
    ['2', 2_000_000_000_000n, '2'],
    ['0.000000000001', 1n, '0.000000000001'],
    ['1.500000', 1_500_000_000_000n, '1.5'],
    [' 0.02 ', 20_000_000_000n, '0.02'],
  ])('reads "%s" exactly and writes it back canonically', (text, value, canonical) => {
    expect(parseUnitPrice(text)).toEqual({ ok: true, value });
    expect(formatUnitPrice(value)).toBe(canonical);
  });

  it.each([
    ['0.0000000000001', 'must have at most 12 decimal places'],
    ['-1', 'must be ≥ 0'],
    ['1e-6', 'must be a decimal number such as "12.50"'],
    ['', 'must be a decimal number such as "12.50"'],
    ['.5', 'must be a decimal number such as "12.50"'],
  ])('rejects "%s": %s', (text, message) => {
    expect(parseUnitPrice(text)).toEqual({ ok: false, message });
  });
});

describe('parsePreciseAmount', () => {
  it('reads major units at 10^-24, and negatives only when allowed', () => {
    expect(parsePreciseAmount('49.00')).toEqual({ ok: true, value: 49n * 10n ** 24n });
    expect(parsePreciseAmount('-5')).toEqual({ ok: false, message: 'must be ≥ 0' });
    expect(parsePreciseAmount('-5', true)).toEqual({ ok: true, value: -5n * 10n ** 24n });
  });
});

describe('multiplyPrice', () => {
  it('multiplies exactly: 10^12 tokens × $0.0000025 = $2,500,000', () => {
    const amount = multiplyPrice(quantityOf(10n ** 12n), 2_500_000n);
    expect(formatPrecise(amount, usd)).toBe('2500000.00');
    // one unit of a price is that price
    expect(multiplyPrice(quantityOf(1), 7n)).toBe(unitPriceAmount(7n));
  });
});

describe('roundToMinor', () => {
  it.each<[string, RoundingMode, string]>([
    // ties: 2.345 → half-up 2.35, half-even 2.34 (4 is even), down 2.34, up 2.35
    ['2.345', 'half_up', '2.35'],
    ['2.345', 'half_even', '2.34'],
    ['2.355', 'half_even', '2.36'],
    ['2.345', 'down', '2.34'],
    ['2.345', 'up', '2.35'],
    // negative ties mirror positive ones (away from zero for half-up)
    ['-2.345', 'half_up', '-2.35'],
    ['-2.345', 'half_even', '-2.34'],
    ['-2.345', 'down', '-2.34'],
    ['-2.345', 'up', '-2.35'],
    // not a tie: nearest wins for both half modes
    ['2.3451', 'half_even', '2.35'],
    ['2.3449999', 'half_up', '2.34'],
    // down and up go toward / away from zero even for tiny fractions
    ['0.000000000000000000000001', 'up', '0.01'],
    ['0.009999999', 'down', '0.00'],
    ['-0.000000000000000000000001', 'up', '-0.01'],
    // exact amounts are unchanged
    ['12.30', 'up', '12.30'],
  ])('rounds $%s %s to $%s', (amount, mode, expected) => {
    const currency = withRounding(mode);
    expect(formatMinor(roundToMinor(precise(amount), currency), currency)).toBe(expected);
  });

  it.each<[string, string, string]>([
    // yen have no minor units: ¥1,230.5 → ¥1,231 (half-up)
    ['JPY', '1230.5', '1231'],
    ['JPY', '1230.4999', '1230'],
    // dinars have three: 1.2345 KWD → 1.235
    ['KWD', '1.2345', '1.235'],
    ['USD', '1.2345', '1.23'],
  ])('rounds to the %s minor units: %s → %s', (code, amount, expected) => {
    const currency = currencyOf(code);
    expect(formatMinor(roundToMinor(precise(amount), currency), currency)).toBe(expected);
  });
});

describe('currencyOf', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['BHD', 3],
  ])('knows %s has %i minor units', (code, minorUnits) => {
    expect(currencyOf(code)).toEqual({ code, minorUnits, rounding: 'half_up' });
  });

  it.each(['XYZ', 'usd', 'toString', ''])('rejects "%s" with unknown_currency', (code) => {
    expect(() => currencyOf(code)).toThrow(MoneyError);
    expect(() => currencyOf(code)).toThrow(expect.objectContaining({ code: 'unknown_currency' }));
  });
});

describe('formatting', () => {
  it.each([
    ['USD', 1230n, '12.30'],
    ['USD', -5n, '-0.05'],
    ['USD', 0n, '0.00'],
    ['JPY', 1230n, '1230'],
    ['KWD', 1234n, '1.234'],
  ])('formatMinor(%s, %s) = %s', (code, amount, expected) => {
    expect(formatMinor(amount, currencyOf(code))).toBe(expected);
  });

  it('formatPrecise trims trailing zeros down to the currency’s digits', () => {
    expect(formatPrecise(precise('16.333333333333333333333333'), usd)).toBe('16.333333333333333333333333');
    expect(formatPrecise(precise('49'), usd)).toBe('49.00');
    expect(formatPrecise(precise('49.5'))).toBe('49.5');
    expect(formatPrecise(precise('-0.25'), usd)).toBe('-0.25');
  });

  it('minorToPrecise is the exact inverse of rounding an exact minor amount', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (m, code) => {
          const currency = currencyOf(code);
          expect(roundToMinor(minorToPrecise(m, currency), currency)).toBe(m);
        },
      ),
    );
  });
});

describe('divideRounded and scaleAmount', () => {
  it.each<[bigint, bigint, RoundingMode, bigint]>([
    // 7 / 2 = 3.5
    [7n, 2n, 'half_up', 4n],
    [7n, 2n, 'half_even', 4n],
    [5n, 2n, 'half_even', 2n],
    [7n, 2n, 'down', 3n],
    [-7n, 2n, 'half_up', -4n],
    [-7n, 2n, 'up', -4n],
    // 10 / 3 = 3.33…
    [10n, 3n, 'up', 4n],
  ])('%i / %i (%s) = %i', (numerator, denominator, mode, expected) => {
    expect(divideRounded(numerator, denominator, mode)).toBe(expected);
  });

  it('rejects a denominator ≤ 0', () => {
    expect(() => divideRounded(1n, 0n, 'half_up')).toThrow(RangeError);
  });

  it('scales an amount by a fraction, half-up at 10^-24', () => {
    // $1 × 2/3 = $0.666…667
    expect(scaleAmount(precise('1'), 2n, 3n)).toBe(precise('0.666666666666666666666667'));
  });
});

describe('rounding once per line', () => {
  it('the rounded lines and the rounded sum differ by at most one minor unit per line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 28n), max: 10n ** 28n }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom<RoundingMode>('half_up', 'half_even', 'down', 'up'),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (lines, mode, code) => {
          const currency = withRounding(mode, code);
          const sumOfRounded = lines.reduce((sum, line) => sum + roundToMinor(line, currency), 0n);
          const roundedSum = roundToMinor(
            lines.reduce((sum, line) => sum + line, 0n),
            currency,
          );
          const difference =
            sumOfRounded > roundedSum ? sumOfRounded - roundedSum : roundedSum - sumOfRounded;
          expect(difference).toBeLessThanOrEqual(BigInt(lines.length));
        },
      ),
    );
  });
});

describe('allocate', () => {
  it.each<[bigint, bigint[], bigint[]]>([
    // $1.00 over three equal weights: 33 + 33 + 33 = 99, the 1 left goes to the first
    [100n, [1n, 1n, 1n], [34n, 33n, 33n]],
    // $10.00 by 1:3 = 250 + 750 exactly
    [1000n, [1n, 3n], [250n, 750n]],
    // 5 over 3:3:4 → exact 1.5, 1.5, 2: floors 1 + 1 + 2 = 4; the 1 left to the largest remainder (ties: earlier)
    [5n, [3n, 3n, 4n], [2n, 1n, 2n]],
    // a zero weight gets nothing
    [7n, [0n, 1n], [0n, 7n]],
    // negative totals split the same way, negated
    [-100n, [1n, 1n, 1n], [-34n, -33n, -33n]],
    [0n, [2n, 5n], [0n, 0n]],
  ])('splits %i over %s as %s', (total, weights, expected) => {
    expect(allocate(total, weights)).toEqual(expected);
  });

  it.each([[[]], [[0n, 0n]], [[1n, -1n, 2n]]])('rejects the weights [%s]', (weights) => {
    expect(() => allocate(100n, weights)).toThrow(RangeError);
  });

  it('never loses or invents a cent, and each share is within 1 of its exact part', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }),
        (total, raw) => {
          const weights = raw.some((w) => w > 0n) ? raw : [...raw, 1n];
          const shares = allocate(total, weights);
          const sum = weights.reduce((a, b) => a + b, 0n);
          expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
          shares.forEach((share, i) => {
            // |share × sum − total × weight| < sum  ⇔  |share − exact part| < 1
            const error = share * sum - total * (weights[i] ?? 0n);
            expect(error < sum && error > -sum).toBe(true);
          });
        },
      ),
    );
  });
});
