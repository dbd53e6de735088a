import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatQuantity,
  MAX_INPUT,
  parseQuantity,
  type Quantity,
  quantityFromNumber,
  quantityOf,
  SCALE,
  sumQuantities,
} from '../../../shared/decimal/quantity.js';

function parsed(text: string): Quantity {
  const result = parseQuantity(text);
  if (!result.ok) throw new Error(`${text}: ${result.failure}`);
  return result.value;
}

/** `digits` with a decimal point inserted `fractionDigits` from the right ("12345", 2 → "123.45"). */
function decimalText(digits: string, fractionDigits: number): string {
  if (fractionDigits === 0) return digits;
  const padded = digits.padStart(fractionDigits + 1, '0');
  return `${padded.slice(0, -fractionDigits)}.${padded.slice(-fractionDigits)}`;
}

/** A decimal the contract accepts: up to 18 significant digits, up to 12 fractional digits. */
const contractDecimal = fc
  .record({
    significand: fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }),
    fractionDigits: fc.integer({ min: 0, max: SCALE }),
  })
  .map(({ significand, fractionDigits }) => ({
    text: decimalText(significand.toString(), fractionDigits),
    units: significand * 10n ** BigInt(SCALE - fractionDigits),
  }));

describe('parseQuantity', () => {
  it.each([
    ['0', 0n],
    ['12', 12n * 10n ** 12n],
    ['0.25', 25n * 10n ** 10n],
    ['1.5e3', 1500n * 10n ** 12n],
    ['1E-12', 1n],
    ['000123.4500', 12345n * 10n ** 10n],
    ['-0', 0n],
    ['123456789012345678', 123456789012345678n * 10n ** 12n],
    ['1000000000000000000', MAX_INPUT],
  ])('reads %s exactly', (text, units) => {
    expect(parseQuantity(text)).toEqual({ ok: true, value: units });
  });

  it.each([
    ['-1', 'negative'],
    ['NaN', 'not_finite'],
    ['Infinity', 'not_finite'],
    ['-Infinity', 'not_finite'],
    ['1234567890123456789', 'too_many_digits'],
    ['0.0000000000001', 'too_precise'],
    ['1.5e-12', 'too_precise'],
    ['1000000000000000001e0', 'too_many_digits'],
    ['2e18', 'too_large'],
    ['1e400', 'too_large'],
    ['abc', 'not_a_number'],
    ['', 'not_a_number'],
    ['.5', 'not_a_number'],
    ['0x10', 'not_a_number'],
  ])('rejects %s as %s', (text, failure) => {
    expect(parseQuantity(text)).toEqual({ ok: false, failure });
  });

  it('reads every contract decimal exactly, and formatting it gives the same quantity back', () => {
    fc.assert(
      fc.property(contractDecimal, ({ text, units }) => {
        expect(parsed(text)).toBe(units);
        expect(parsed(formatQuantity(units))).toBe(units);
      }),
    );
  });

  it('formats canonically: formatting what it parsed from its own output changes nothing', () => {
    fc.assert(
      fc.property(contractDecimal, ({ units }) => {
        const text = formatQuantity(units);
        expect(text).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(formatQuantity(parsed(text))).toBe(text);
      }),
    );
  });

  it('sums decimals exactly, whatever their number and order', () => {
    fc.assert(
      fc.property(fc.array(contractDecimal, { maxLength: 50 }), (values) => {
        const expected = values.reduce((total, value) => total + value.units, 0n);
        const texts = values.map((value) => value.text);
        expect(sumQuantities(texts.map(parsed))).toBe(expected);
        expect(sumQuantities([...texts].reverse().map(parsed))).toBe(expected);
      }),
    );
  });

  it('adds 0.1 ten times to exactly 1, unlike floating point', () => {
    expect(sumQuantities(Array.from({ length: 10 }, () => parsed('0.1')))).toBe(quantityOf(1));
  });

  it('adds a million events of 10^12 tokens to exactly 10^18', () => {
    const perEvent = parsed('1000000000000');
    expect(formatQuantity(perEvent * 1_000_000n)).toBe('1000000000000000000');
  });
});

describe('quantityFromNumber', () => {
  it.each([
    [0, '0'],
    [1200, '1200'],
    [0.25, '0.25'],
    [1e-12, '0.000000000001'],
    [1.5e17, '150000000000000000'],
    [1e18, '1000000000000000000'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('converts %s exactly', (value, text) => {
    const result = quantityFromNumber(value);
    expect(result.ok && formatQuantity(result.value)).toBe(text);
  });

  it.each([
    [-1, 'negative'],
    [Number.POSITIVE_INFINITY, 'not_finite'],
    [Number.NaN, 'not_finite'],
    [1e-13, 'too_precise'],
    [1e19, 'too_large'],
    [0.1 + 0.2, 'too_many_digits'],
    [Number('123456789012345678'), 'too_many_digits'],
  ])('rejects %s as %s', (value, failure) => {
    expect(quantityFromNumber(value)).toEqual({ ok: false, failure });
  });

  it('converts every JSON number of at most 15 significant digits as its decimal text reads', () => {
    const shortDecimal = fc
      .record({
        significand: fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }),
        fractionDigits: fc.integer({ min: 0, max: SCALE }),
      })
      .map(({ significand, fractionDigits }) => decimalText(significand.toString(), fractionDigits));
    fc.assert(
      fc.property(shortDecimal, (text) => {
        expect(quantityFromNumber(Number(text))).toEqual(parseQuantity(text));
      }),
    );
  });
});

describe('formatQuantity', () => {
  it('writes no exponent and no trailing zeros', () => {
    expect(formatQuantity(quantityOf(1200))).toBe('1200');
    expect(formatQuantity(parsed('0.2500'))).toBe('0.25');
    expect(formatQuantity(1n)).toBe('0.000000000001');
    expect(formatQuantity(-parsed('1.5'))).toBe('-1.5');
  });
});
