import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  dayWindow,
  HOUR_MS,
  hourWindow,
  isDateString,
  MAX_TIME_MS,
  MIN_TIME_MS,
  type Period,
  periodWindow,
  TimeError,
  toIso,
} from '../../../shared/time/windows.js';

const ms = (iso: string): number => Date.parse(iso);
const isoWindow = (window: { start: number; end: number }) => [toIso(window.start), toIso(window.end)];

/** Times whose neighbouring periods are still inside the supported range (years 0–9999). */
const time = fc.integer({ min: MIN_TIME_MS + 62 * DAY_MS, max: MAX_TIME_MS - 62 * DAY_MS });
/** Mostly recent times, where billing happens. */
const recentTime = fc.integer({ min: ms('2000-01-01T00:00:00Z'), max: ms('2100-01-01T00:00:00Z') });
const anyTime = fc.oneof(time, recentTime);
/** A billing anchor: a real date whose day of month is 1–31. */
const anchor = fc
  .tuple(
    fc.integer({ min: 2000, max: 2100 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 31 }),
  )
  .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`)
  .filter(isDateString);
const periodAndAnchor = fc.oneof(
  fc.constantFrom<Period>('DAY', 'MONTH', 'BILLING_PERIOD').map((period) => ({ period, anchor: undefined })),
  anchor.map((a) => ({ period: 'BILLING_PERIOD' as Period, anchor: a })),
);
const isMidnight = (timeMs: number): boolean => toIso(timeMs).endsWith('T00:00:00.000Z');

describe('hourWindow and dayWindow', () => {
  it('put every time in [start, end) of an hour that starts on the hour', () => {
    fc.assert(
      fc.property(anyTime, (t) => {
        const { start, end } = hourWindow(t);
        expect(start <= t && t < end).toBe(true);
        expect(end - start).toBe(HOUR_MS);
        expect(toIso(start)).toMatch(/:00:00\.000Z$/);
      }),
    );
  });

  it('put every time in [start, end) of a UTC day that starts at midnight', () => {
    fc.assert(
      fc.property(anyTime, (t) => {
        const { start, end } = dayWindow(t);
        expect(start <= t && t < end).toBe(true);
        expect(end - start).toBe(DAY_MS);
        expect(isMidnight(start)).toBe(true);
      }),
    );
  });

  it('place the last millisecond of an hour in that hour and the next in the following one', () => {
    expect(isoWindow(hourWindow(ms('2026-11-29T21:59:59.999Z')))).toEqual([
      '2026-11-29T21:00:00.000Z',
      '2026-11-29T22:00:00.000Z',
    ]);
    expect(isoWindow(hourWindow(ms('2026-11-29T22:00:00.000Z')))[0]).toBe('2026-11-29T22:00:00.000Z');
  });

  it('floor times before 1970 down, not towards zero', () => {
    expect(isoWindow(dayWindow(ms('1969-12-31T23:30:00.000Z')))).toEqual([
      '1969-12-31T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ]);
  });
});

describe('periodWindow', () => {
  it('puts every time in [start, end) of a period that starts at midnight UTC', () => {
    fc.assert(
      fc.property(anyTime, periodAndAnchor, (t, { period, anchor: a }) => {
        const { start, end } = periodWindow(period, t, a);
        expect(start <= t && t < end).toBe(true);
        expect(isMidnight(start) && isMidnight(end)).toBe(true);
      }),
    );
  });

  it('tiles time: the next period starts where one ends, and the previous one ends where it starts', () => {
    fc.assert(
      fc.property(anyTime, periodAndAnchor, (t, { period, anchor: a }) => {
        const window = periodWindow(period, t, a);
        expect(periodWindow(period, window.end, a).start).toBe(window.end);
        expect(periodWindow(period, window.end - 1, a)).toEqual(window);
        expect(periodWindow(period, window.start, a)).toEqual(window);
        expect(periodWindow(period, window.start - 1, a).end).toBe(window.start);
      }),
    );
  });

  it('makes MONTH the calendar month, 28 to 31 days long', () => {
    fc.assert(
      fc.property(anyTime, (t) => {
        const { start, end } = periodWindow('MONTH', t);
        expect(toIso(start).slice(8, 10)).toBe('01');
        expect(toIso(end).slice(8, 10)).toBe('01');
        expect((end - start) / DAY_MS).toBeGreaterThanOrEqual(28);
        expect((end - start) / DAY_MS).toBeLessThanOrEqual(31);
      }),
    );
  });

  it('makes BILLING_PERIOD the calendar month when the tenant has no billing anchor', () => {
    fc.assert(
      fc.property(anyTime, (t) => {
        expect(periodWindow('BILLING_PERIOD', t)).toEqual(periodWindow('MONTH', t));
      }),
    );
  });

  it('starts each billing period on the anchor’s day of month, or the month’s last day when shorter', () => {
    fc.assert(
      fc.property(recentTime, anchor, (t, a) => {
        const { start, end } = periodWindow('BILLING_PERIOD', t, a);
        const anchorDay = Number(a.slice(8, 10));
        const startDate = new Date(start);
        const lastDay = new Date(
          Date.UTC(startDate.getUTCFullYear(), startDate.getUTCMonth() + 1, 0),
        ).getUTCDate();
        expect(startDate.getUTCDate()).toBe(Math.min(anchorDay, lastDay));
        expect((end - start) / DAY_MS).toBeGreaterThanOrEqual(28);
        expect((end - start) / DAY_MS).toBeLessThanOrEqual(31);
      }),
    );
  });

  it.each([
    ['2026-01-31', '2026-02-15T12:00:00Z', '2026-01-31', '2026-02-28'],
    ['2026-01-31', '2026-02-28T00:00:00Z', '2026-02-28', '2026-03-31'],
    ['2026-01-31', '2026-03-30T23:59:59.999Z', '2026-02-28', '2026-03-31'],
    ['2026-01-31', '2026-04-30T00:00:00Z', '2026-04-30', '2026-05-31'],
    ['2026-01-31', '2028-02-29T00:00:00Z', '2028-02-29', '2028-03-31'],
    ['2026-01-31', '2028-02-28T23:00:00Z', '2028-01-31', '2028-02-29'],
    ['2026-01-30', '2027-02-28T00:00:00Z', '2027-02-28', '2027-03-30'],
    ['2026-01-29', '2027-02-27T00:00:00Z', '2027-01-29', '2027-02-28'],
    ['2026-01-29', '2028-02-28T00:00:00Z', '2028-01-29', '2028-02-29'],
    ['2024-02-29', '2026-12-31T00:00:00Z', '2026-12-29', '2027-01-29'],
    ['2026-03-15', '2026-01-10T00:00:00Z', '2025-12-15', '2026-01-15'],
    ['2026-03-01', '2026-03-01T00:00:00Z', '2026-03-01', '2026-04-01'],
  ])('with anchor %s puts %s in the billing period [%s, %s)', (a, at, start, end) => {
    expect(isoWindow(periodWindow('BILLING_PERIOD', ms(at), a))).toEqual([
      `${start}T00:00:00.000Z`,
      `${end}T00:00:00.000Z`,
    ]);
  });

  it('gives DAY and MONTH windows that ignore the billing anchor', () => {
    const t = ms('2026-02-15T12:00:00Z');
    expect(periodWindow('DAY', t, '2026-01-31')).toEqual(dayWindow(t));
    expect(isoWindow(periodWindow('MONTH', t, '2026-01-31'))).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
  });

  it('rejects a billing anchor that is not a real date with a coded error', () => {
    for (const bad of ['2026-02-30', '2026-1-5', 'monthly', '']) {
      expect(() => periodWindow('BILLING_PERIOD', 0, bad)).toThrow(
        expect.objectContaining({ name: 'TimeError', code: 'invalid_billing_anchor' }),
      );
    }
  });
});

describe('toIso and time validation', () => {
  it('formats epoch milliseconds as ISO-8601 UTC with milliseconds', () => {
    expect(toIso(ms('2026-11-29T21:04:05.123+02:00'))).toBe('2026-11-29T19:04:05.123Z');
  });

  it('handles years before 100 literally, unlike Date.UTC', () => {
    expect(isoWindow(periodWindow('MONTH', ms('0050-06-15T10:00:00Z')))).toEqual([
      '0050-06-01T00:00:00.000Z',
      '0050-07-01T00:00:00.000Z',
    ]);
  });

  it('rejects times that are not whole milliseconds in years 0–9999', () => {
    for (const bad of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, MAX_TIME_MS + 1, MIN_TIME_MS - 1]) {
      expect(() => hourWindow(bad)).toThrow(TimeError);
      expect(() => periodWindow('MONTH', bad)).toThrow(expect.objectContaining({ code: 'invalid_time' }));
    }
  });

  it('accepts only real calendar dates as billing anchors', () => {
    expect(['2024-02-29', '2026-01-31', '2026-12-01'].map(isDateString)).toEqual([true, true, true]);
    expect(
      ['2026-02-29', '2026-04-31', '2026-00-10', '2026-1-31', '2026-01-31T00:00:00Z'].map(isDateString),
    ).toEqual([false, false, false, false, false]);
  });
});
