/**
 * Pure UTC time math for usage windows and entitlement periods.
 *
 * Every window is half-open, `[start, end)`, in epoch milliseconds, and windows of one kind
 * tile time: the `end` of one is the `start` of the next. Nothing here reads the clock.
 *
 * Periods:
 * - `DAY`: the UTC calendar day.
 * - `MONTH`: the UTC calendar month.
 * - `BILLING_PERIOD`: a month that starts, at 00:00 UTC, on the billing anchor's day of the
 *   month, clamped to the month's last day (an anchor on the 31st starts February's period on
 *   the 28th or 29th, and March's on the 31st again). Only the anchor's day-of-month matters.
 *   Without an anchor it is the calendar month.
 */
export interface TimeWindow {
  /** Inclusive, epoch ms. */
  readonly start: number;
  /** Exclusive, epoch ms. */
  readonly end: number;
}

export type Period = 'DAY' | 'MONTH' | 'BILLING_PERIOD';

export const PERIODS: readonly Period[] = ['DAY', 'MONTH', 'BILLING_PERIOD'];

export type TimeErrorCode = 'invalid_time' | 'invalid_billing_anchor';

export class TimeError extends Error {
  override readonly name = 'TimeError';
  readonly code: TimeErrorCode;

  constructor(code: TimeErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Supported times: years 0000 to 9999, the range of a four-digit ISO-8601 year. */
export const MIN_TIME_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
export const MAX_TIME_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

function assertTime(timeMs: number): void {
  if (!Number.isInteger(timeMs) || timeMs < MIN_TIME_MS || timeMs > MAX_TIME_MS) {
    throw new TimeError(
      'invalid_time',
      `not a time in epoch milliseconds between years 0 and 9999: ${timeMs}`,
    );
  }
}

/** Midnight UTC of a date; `month` is 0-based and may overflow. Unlike `Date.UTC`, years 0–99 are literal. */
function utcDate(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

function floorTo(timeMs: number, size: number): number {
  return Math.floor(timeMs / size) * size;
}

/** The UTC hour containing `timeMs`. */
export function hourWindow(timeMs: number): TimeWindow {
  assertTime(timeMs);
  const start = floorTo(timeMs, HOUR_MS);
  return { start, end: start + HOUR_MS };
}

/** The UTC day containing `timeMs`. */
export function dayWindow(timeMs: number): TimeWindow {
  assertTime(timeMs);
  const start = floorTo(timeMs, DAY_MS);
  return { start, end: start + DAY_MS };
}

/** The UTC calendar month containing `timeMs`. */
export function monthWindow(timeMs: number): TimeWindow {
  assertTime(timeMs);
  const date = new Date(timeMs);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return { start: utcDate(year, month, 1), end: utcDate(year, month + 1, 1) };
}

/** Days in a month; `month` is 0-based and may overflow into the next or previous year. */
function daysInMonth(year: number, month: number): number {
  return new Date(utcDate(year, month + 1, 0)).getUTCDate();
}

/** Start of the billing period that begins in `month` (0-based, may overflow). */
function anchoredStart(year: number, month: number, anchorDay: number): number {
  return utcDate(year, month, Math.min(anchorDay, daysInMonth(year, month)));
}

/** The billing period anchored on day `anchorDay` (1–31) that contains `timeMs`. */
function anchoredWindow(timeMs: number, anchorDay: number): TimeWindow {
  const date = new Date(timeMs);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const startThisMonth = anchoredStart(year, month, anchorDay);
  if (timeMs >= startThisMonth) {
    return { start: startThisMonth, end: anchoredStart(year, month + 1, anchorDay) };
  }
  return { start: anchoredStart(year, month - 1, anchorDay), end: startThisMonth };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD`, or `undefined` when the text is not a real date. */
export function parseDate(text: string): { year: number; month: number; day: number } | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1)) return undefined;
  return { year, month, day };
}

/** True when `text` is a real calendar date `YYYY-MM-DD` (a valid billing anchor). */
export function isDateString(text: string): boolean {
  return parseDate(text) !== undefined;
}

/**
 * The period of kind `period` containing `timeMs`. `billingAnchor` (`YYYY-MM-DD`) is used by
 * `BILLING_PERIOD` only; it throws `TimeError` (`invalid_billing_anchor`) when not a real date.
 */
export function periodWindow(period: Period, timeMs: number, billingAnchor?: string): TimeWindow {
  switch (period) {
    case 'DAY':
      return dayWindow(timeMs);
    case 'MONTH':
      return monthWindow(timeMs);
    case 'BILLING_PERIOD': {
      if (billingAnchor === undefined) return monthWindow(timeMs);
      const anchor = parseDate(billingAnchor);
      if (anchor === undefined) {
        throw new TimeError(
          'invalid_billing_anchor',
          `billing anchor must be a date YYYY-MM-DD: "${billingAnchor}"`,
        );
      }
      assertTime(timeMs);
      return anchoredWindow(timeMs, anchor.day);
    }
  }
}

/** ISO-8601 UTC with milliseconds, e.g. `2026-11-29T21:00:00.000Z`. */
export function toIso(timeMs: number): string {
  assertTime(timeMs);
  return new Date(timeMs).toISOString();
}
