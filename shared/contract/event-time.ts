/**
 * RFC 3339 timestamps as the contract accepts them: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
 * `T` and `Z` may be lower case (RFC 3339 §5.6). The offset is required (no local times), the
 * fraction may have any number of digits (kept to the millisecond, truncated), and the date
 * must exist. Leap seconds (`:60`) are rejected: nothing downstream can place them.
 */
export const RFC3339_PATTERN = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
const CODE_0 = 48;

function digitAt(text: string, i: number): number {
  const d = text.charCodeAt(i) - CODE_0;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

function twoDigits(text: string, i: number): number {
  return digitAt(text, i) * 10 + digitAt(text, i + 1);
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Epoch milliseconds of an RFC 3339 timestamp with offset, or `NaN` when `text` is not one or
 * names a date that does not exist (2026-02-30). Allocation-free: it runs once per event.
 */
export function parseRfc3339Millis(text: string): number {
  const length = text.length;
  if (length < 20) return Number.NaN;
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return Number.NaN;
  const t = text[10];
  if (t !== 'T' && t !== 't') return Number.NaN;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  // NaN fails every comparison, so a non-digit anywhere above lands here.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) {
    return Number.NaN;
  }
  if (!(year >= 0) || day > daysInMonth(year, month)) return Number.NaN;

  let i = 19;
  let millis = 0;
  if (text[i] === '.') {
    i += 1;
    const start = i;
    while (i < length && digitAt(text, i) >= 0) {
      if (i - start < 3) millis = millis * 10 + digitAt(text, i);
      i += 1;
    }
    const fractionDigits = i - start;
    if (fractionDigits === 0) return Number.NaN;
    if (fractionDigits === 1) millis *= 100;
    else if (fractionDigits === 2) millis *= 10;
  }

  let offsetMinutes: number;
  const zone = text[i];
  if (zone === 'Z' || zone === 'z') {
    if (i + 1 !== length) return Number.NaN;
    offsetMinutes = 0;
  } else if (zone === '+' || zone === '-') {
    if (i + 6 !== length || text[i + 3] !== ':') return Number.NaN;
    const offsetHours = twoDigits(text, i + 1);
    const offsetMins = twoDigits(text, i + 4);
    if (!(offsetHours <= 23 && offsetMins <= 59)) return Number.NaN;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (zone === '-' ? -1 : 1);
  } else {
    return Number.NaN;
  }

  const localMs =
    daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  return localMs - offsetMinutes * MS_PER_MINUTE;
}
