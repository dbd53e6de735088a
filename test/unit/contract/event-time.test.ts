import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc3339Millis, RFC3339_PATTERN } from '../../../shared/contract/event-time.js';

describe('parseRfc3339Millis', () => {
  it.each([
    ['2026-11-29T21:04:05Z', '2026-11-29T21:04:05.000Z'],
    ['2026-11-29T21:04:05.123Z', '2026-11-29T21:04:05.123Z'],
    ['2026-11-29t21:04:05.1z', '2026-11-29T21:04:05.100Z'],
    ['2026-11-29T21:04:05.12Z', '2026-11-29T21:04:05.120Z'],
    ['2026-11-29T21:04:05.123456789Z', '2026-11-29T21:04:05.123Z'],
    ['2026-11-29T23:04:05+02:00', '2026-11-29T21:04:05.000Z'],
    ['2026-11-29T16:34:05.5-04:30', '2026-11-29T21:04:05.500Z'],
    ['2026-11-30T00:04:05-00:00', '2026-11-30T00:04:05.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['0050-06-15T12:00:00Z', '0050-06-15T12:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(new Date(parseRfc3339Millis(text)).toISOString()).toBe(iso);
  });

  it.each([
    ['a time without offset', '2026-11-29T21:04:05'],
    ['a date without time', '2026-11-29'],
    ['an offset without colon', '2026-11-29T21:04:05+0200'],
    ['an hour-only offset', '2026-11-29T21:04:05+02'],
    ['a space instead of T', '2026-11-29 21:04:05Z'],
    ['an empty fraction', '2026-11-29T21:04:05.Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 in a common year', '2026-02-29T00:00:00Z'],
    ['February 29 in 1900', '1900-02-29T00:00:00Z'],
    ['April 31', '2026-04-31T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 00', '2026-00-01T00:00:00Z'],
    ['day 00', '2026-01-00T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T23:60:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['offset hour 24', '2026-01-01T00:00:00+24:00'],
    ['a two-digit year', '26-11-29T21:04:05Z'],
    ['trailing text', '2026-11-29T21:04:05Zjunk'],
    ['letters for digits', '2026-1a-29T21:04:05Z'],
    ['an empty string', ''],
  ])('rejects %s', (_case, text) => {
    expect(parseRfc3339Millis(text)).toBeNaN();
  });

  it('agrees with Date on every instant written as ISO 8601 in UTC', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (date) => {
          expect(parseRfc3339Millis(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });

  it('gives the same instant whatever offset the time is written in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (instant, offsetMinutes) => {
          const local = new Date(instant + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseRfc3339Millis(`${local}${offset}`)).toBe(instant);
        },
      ),
    );
  });

  it('never accepts a text that the published pattern rejects', () => {
    const mutated = fc
      .record({
        at: fc.nat({ max: 29 }),
        char: fc.constantFrom(...'0123456789-:.TtZz+ '),
        edit: fc.constantFrom('replace', 'insert', 'delete'),
      })
      .map(({ at, char, edit }) => {
        const base = '2026-11-29T21:04:05.123+01:00';
        const i = Math.min(at, base.length);
        if (edit === 'replace') return base.slice(0, i) + char + base.slice(i + 1);
        if (edit === 'insert') return base.slice(0, i) + char + base.slice(i);
        return base.slice(0, i) + base.slice(i + 1);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        if (!Number.isNaN(parseRfc3339Millis(text))) expect(text).toMatch(RFC3339_PATTERN);
      }),
    );
  });
});
