import { describe, expect, it } from 'vitest';
import { fillHours, toHourlyValues } from '../../../../shared/alerts/detection/hourly-series.js';
import { hour } from './detection-factory.js';

describe('fillHours', () => {
  it('returns one point per hour of the range, 0 where the series has none', () => {
    const points = [
      { hourStart: hour(3), value: 7 },
      { hourStart: hour(1), value: 5 },
    ];
    expect(fillHours(points, hour(0), hour(4))).toEqual([
      { hourStart: hour(0), value: 0 },
      { hourStart: hour(1), value: 5 },
      { hourStart: hour(2), value: 0 },
      { hourStart: hour(3), value: 7 },
    ]);
  });

  it('adds up points of the same hour and ignores points outside the range', () => {
    const points = [
      { hourStart: hour(1), value: 5 },
      { hourStart: hour(1), value: 2.5 },
      { hourStart: hour(9), value: 100 },
      { hourStart: hour(-1), value: 100 },
    ];
    expect(fillHours(points, hour(0), hour(2)).map((p) => p.value)).toEqual([0, 7.5]);
  });

  it('returns nothing for an empty range', () => {
    expect(fillHours([{ hourStart: hour(0), value: 1 }], hour(2), hour(2))).toEqual([]);
  });

  it.each([
    ['a bound off the hour', [], hour(0) + 1, hour(2)],
    ['a range that ends before it starts', [], hour(2), hour(0)],
    ['a point off the hour', [{ hourStart: hour(0) + 60_000, value: 1 }], hour(0), hour(2)],
    ['a negative value', [{ hourStart: hour(0), value: -1 }], hour(0), hour(2)],
    ['a value that is not finite', [{ hourStart: hour(0), value: Number.NaN }], hour(0), hour(2)],
  ])('rejects %s with invalid_hourly_series', (_what, points, fromMs, toMs) => {
    expect(() => fillHours(points, fromMs, toMs)).toThrow(
      expect.objectContaining({ code: 'invalid_hourly_series' }),
    );
  });

  it('keeps the dense form aligned on the first hour', () => {
    const dense = toHourlyValues([{ hourStart: hour(5), value: 3 }], hour(4), hour(7));
    expect(dense.firstHourStart).toBe(hour(4));
    expect(Array.from(dense.values)).toEqual([0, 3, 0]);
  });
});
