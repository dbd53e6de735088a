/**
 * The usage event of /work/shared/CONTRACT.md (v1): a CloudEvents 1.0 JSON object, validated
 * once per event on the ingest hot path. Unknown top-level attributes (CloudEvents
 * extensions) are allowed and dropped from the validated event.
 */
import { z } from 'zod';
import { type QuantityParseFailure, quantityFromNumber } from '../decimal/quantity.js';
import { parseRfc3339Millis, RFC3339_PATTERN } from './event-time.js';
import type { QuarantineReason } from './reasons.js';

type JsonObject = Readonly<Record<string, unknown>>;

/** Events up to this many days old are accepted, and deduplicated at least this long. */
export const DEDUP_HORIZON_DAYS = 35;
export const MAX_EVENT_AGE_MS = DEDUP_HORIZON_DAYS * 86_400_000;
/** How far an event's time may be ahead of its arrival (producer clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** The largest Kinesis record (and HTTP body) the contract allows, before decompression. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export const MAX_ID_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 128;
export const MAX_SOURCE_LENGTH = 256;
/** The contract leaves `type` unbounded; 256 matches `source` and keeps keys small. */
export const MAX_TYPE_LENGTH = 256;
/** Longest string value in `data` (a dimension such as `model`, or a decimal string). */
export const MAX_DATA_STRING_LENGTH = 256;
/** Largest numeric value in `data` (10^18, as in shared/decimal/quantity.ts). */
export const MAX_DATA_NUMBER = 1e18;

/** 1–128 printable ASCII characters (space to `~`): event ids and envelope ids. */
export const PRINTABLE_ID_PATTERN = /^[\x20-\x7E]{1,128}$/;
/** A tenant id; it never contains `#`, which the storage keys use as a separator. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * A validated usage event. Numbers in `data` convert exactly (`quantityFromNumber`); strings
 * are dimensions, or decimal strings that whoever sums them reads with `parseQuantity`.
 */
export interface UsageEvent {
  readonly specversion?: '1.0';
  readonly id: string;
  readonly source?: string;
  readonly type: string;
  readonly subject: string;
  /** As sent: RFC 3339 with offset. */
  readonly time: string;
  /** `time` in epoch milliseconds (sub-millisecond digits truncated). */
  readonly timeMs: number;
  /** Numbers (finite, ≥ 0, exact) and strings (dimensions or decimal strings). */
  readonly data: Readonly<Record<string, number | string>>;
}

export type EventValidation =
  | { readonly ok: true; readonly event: UsageEvent }
  | {
      readonly ok: false;
      readonly reason: QuarantineReason;
      /** Dotted path of the offending field (`data.input_tokens`), `''` for the event itself. */
      readonly field: string;
      readonly message: string;
      /** Present when the event's own subject/id/type are valid, to file it under its tenant. */
      readonly subject?: string;
      readonly id?: string;
      readonly type?: string;
    };

function isExactQuantity(value: number): boolean {
  return Number.isSafeInteger(value) || quantityFromNumber(value).ok;
}

/** One value in `data`: an exact number in [0, 10^18], or a string of at most 256 characters. */
export function isValidDataValue(value: unknown): value is number | string {
  if (typeof value === 'number') {
    // quantityFromNumber also rejects NaN, infinities and values above 10^18.
    return value >= 0 && isExactQuantity(value);
  }
  return typeof value === 'string' && value.length <= MAX_DATA_STRING_LENGTH;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidData(value: unknown): value is Record<string, number | string> {
  if (!isJsonObject(value)) return false;
  for (const key in value) {
    if (!isValidDataValue(value[key])) return false;
  }
  return true;
}

/**
 * `data` in declarative form, for the JSON Schema and docs. `usageEventSchema` checks the
 * same rules with one loop (`isValidData`): zod's record and union cost about 3× more per
 * event. A property test keeps the two equivalent.
 */
export const usageDataSchema = z.record(
  z.string(),
  z.union([
    z.number().min(0).max(MAX_DATA_NUMBER).refine(isExactQuantity),
    z.string().max(MAX_DATA_STRING_LENGTH),
  ]),
);

/** The contract as a zod schema, built once. `validateEvent` adds the time checks. */
export const usageEventSchema = z.object({
  specversion: z.literal('1.0').optional(),
  id: z.string().min(1).max(MAX_ID_LENGTH).regex(PRINTABLE_ID_PATTERN),
  source: z.string().min(1).max(MAX_SOURCE_LENGTH).optional(),
  type: z.string().min(1).max(MAX_TYPE_LENGTH),
  subject: z.string().min(1).max(MAX_SUBJECT_LENGTH).regex(SUBJECT_PATTERN),
  time: z.string().regex(RFC3339_PATTERN),
  data: z.custom<Record<string, number | string>>(isValidData),
});

const FIELD_RULES: Readonly<Record<string, string>> = {
  specversion: 'must be "1.0"',
  id: `must be 1–${MAX_ID_LENGTH} printable ASCII characters`,
  source: `must be a string of 1–${MAX_SOURCE_LENGTH} characters`,
  type: `must be a string of 1–${MAX_TYPE_LENGTH} characters`,
  subject: `must be 1–${MAX_SUBJECT_LENGTH} characters of A-Z a-z 0-9 . _ : @ -`,
  time: 'must be an RFC 3339 timestamp with offset, e.g. 2026-11-29T21:04:05.123Z',
  data: 'must be a flat JSON object of numbers and strings',
};

const NUMBER_RULES: Readonly<Record<QuantityParseFailure, string>> = {
  not_a_number: 'must be a number',
  not_finite: 'must be a finite number',
  negative: 'must not be negative',
  too_many_digits: 'has more significant digits than can be counted exactly (at most 18 significant digits)',
  too_precise: 'has more than 12 fractional digits',
  too_large: 'must not exceed 10^18',
};

function isValidSubject(value: unknown): value is string {
  return typeof value === 'string' && SUBJECT_PATTERN.test(value);
}

function isValidId(value: unknown): value is string {
  return typeof value === 'string' && PRINTABLE_ID_PATTERN.test(value);
}

function isValidType(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_TYPE_LENGTH;
}

function reject(raw: unknown, reason: QuarantineReason, field: string, message: string): EventValidation {
  const result: { ok: false; reason: QuarantineReason; field: string; message: string } & {
    subject?: string;
    id?: string;
    type?: string;
  } = { ok: false, reason, field, message };
  if (isJsonObject(raw)) {
    if (isValidSubject(raw.subject)) result.subject = raw.subject;
    if (isValidId(raw.id)) result.id = raw.id;
    if (isValidType(raw.type)) result.type = raw.type;
  }
  return result;
}

function describeDataValue(raw: JsonObject, key: string, value: unknown): EventValidation {
  const field = `data.${key}`;
  if (typeof value === 'number') {
    const parsed = quantityFromNumber(value);
    const rule = parsed.ok ? NUMBER_RULES.too_large : NUMBER_RULES[parsed.failure];
    return reject(raw, 'invalid_number', field, `${field}: ${rule}`);
  }
  if (typeof value === 'string') {
    return reject(
      raw,
      'invalid_field',
      field,
      `${field}: must be at most ${MAX_DATA_STRING_LENGTH} characters`,
    );
  }
  return reject(
    raw,
    'invalid_field',
    field,
    `${field}: must be a number or a string (not an object, array, null or boolean)`,
  );
}

/** Turns zod's first issue into a reason code, a field path and a message naming the field. */
function describeIssue(raw: unknown, path: readonly PropertyKey[]): EventValidation {
  if (!isJsonObject(raw) || path.length === 0) {
    return reject(raw, 'not_an_event', '', 'event: must be a JSON object');
  }
  const top = String(path[0]);
  const value = raw[top];
  if (value === undefined) return reject(raw, 'missing_field', top, `${top}: is required`);
  if (top === 'data' && isJsonObject(value)) {
    for (const key in value) {
      if (!isValidDataValue(value[key])) return describeDataValue(raw, key, value[key]);
    }
  }
  return reject(raw, 'invalid_field', top, `${top}: ${FIELD_RULES[top] ?? 'is invalid'}`);
}

/**
 * Validates one decoded event against the contract and the time window around its arrival:
 * `arrivalMs − 35 days ≤ time ≤ arrivalMs + 5 minutes`. Never throws.
 */
export function validateEvent(raw: unknown, opts: { readonly arrivalMs: number }): EventValidation {
  const parsed = usageEventSchema.safeParse(raw);
  if (!parsed.success) return describeIssue(raw, parsed.error.issues[0]?.path ?? []);
  const event = parsed.data;
  const timeMs = parseRfc3339Millis(event.time);
  if (Number.isNaN(timeMs)) {
    return reject(raw, 'invalid_field', 'time', `time: ${event.time} is not a real date and time`);
  }
  if (timeMs < opts.arrivalMs - MAX_EVENT_AGE_MS) {
    return reject(
      raw,
      'time_out_of_range',
      'time',
      `time: ${event.time} is more than ${DEDUP_HORIZON_DAYS} days before the event arrived`,
    );
  }
  if (timeMs > opts.arrivalMs + MAX_FUTURE_SKEW_MS) {
    return reject(
      raw,
      'time_out_of_range',
      'time',
      `time: ${event.time} is more than ${MAX_FUTURE_SKEW_MS / 60_000} minutes after the event arrived`,
    );
  }
  // zod built `event` for this call: adding timeMs in place saves a copy per event.
  return { ok: true, event: Object.assign(event, { timeMs }) as UsageEvent };
}
