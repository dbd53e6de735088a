/**
 * The body of `POST /v1/events` split into its events, each with its own original JSON text.
 *
 * The text of each event is sliced from the body rather than re-serialized: `JSON.parse` would
 * round a number with more than 15 significant digits (123456789012345678 → …680), and the
 * consumer must see the digits the producer sent. Parsing uses `parseJsonExact`, as the
 * consumer's decoder does, so an event is validated here exactly as it will be there.
 */
import { arrayElementSpans, parseJsonExact, valueStart } from './exact-json.js';

/** The most events one request may carry. */
export const MAX_EVENTS_PER_REQUEST = 1_000;

export interface BatchItem {
  /** Position in the request's array; 0 for a single event. */
  readonly index: number;
  /** The parsed JSON, not yet validated. */
  readonly raw: unknown;
  /** The item's JSON source text, exactly as sent. */
  readonly json: string;
}

export type EventBatchFailure = 'invalid_json' | 'invalid_batch' | 'empty_batch' | 'too_many_events';

export type EventBatch =
  | { readonly ok: true; readonly items: readonly BatchItem[] }
  | { readonly ok: false; readonly code: EventBatchFailure; readonly message: string };

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/** Splits a body (one event object, or an array of events) into items. Never throws. */
export function splitEventBatch(text: string, maxEvents: number = MAX_EVENTS_PER_REQUEST): EventBatch {
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (error) {
    const detail = error instanceof Error ? `: ${error.message}` : '';
    return { ok: false, code: 'invalid_json', message: `body: not valid JSON${detail}` };
  }
  const start = valueStart(text);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return { ok: false, code: 'empty_batch', message: 'body: the array holds no events' };
    }
    if (value.length > maxEvents) {
      return {
        ok: false,
        code: 'too_many_events',
        message: `body: holds ${value.length} events; send at most ${maxEvents} per request`,
      };
    }
    const spans = arrayElementSpans(text, start);
    return {
      ok: true,
      items: value.map((raw, index) => {
        const span = spans[index];
        return {
          index,
          raw,
          json: span === undefined ? JSON.stringify(raw) : text.slice(span.start, span.end),
        };
      }),
    };
  }
  if (typeof value === 'object' && value !== null) {
    // JSON.parse accepted the text: it is the object between JSON whitespace.
    return { ok: true, items: [{ index: 0, raw: value, json: text.slice(start).trimEnd() }] };
  }
  return {
    ok: false,
    code: 'invalid_batch',
    message: `body: must be an event object or an array of events, not ${describeJson(value)}`,
  };
}
