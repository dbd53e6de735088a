/**
 * Reading usage events for `tollgate send`: one JSON event, a JSON array of events, or NDJSON
 * (one event or array per line); then validating each against the contract.
 */
import { type EventValidation, validateEvent } from '../../shared/contract/usage-event.js';

export interface InputEvent {
  /** 1-based position in the input. */
  readonly position: number;
  /** 1-based line of NDJSON input. */
  readonly line?: number;
  readonly raw: unknown;
}

export interface InputProblem {
  /** e.g. `event 3 (line 5)` or `line 7`. */
  readonly where: string;
  readonly field: string;
  readonly message: string;
}

export interface ParsedInput {
  readonly events: InputEvent[];
  /** Lines that are not JSON. */
  readonly problems: InputProblem[];
}

function asEvents(value: unknown, line: number | undefined, events: InputEvent[]): void {
  for (const raw of Array.isArray(value) ? value : [value]) {
    events.push({ position: events.length + 1, ...(line === undefined ? {} : { line }), raw });
  }
}

/** Parses JSON (an event or an array) or, when the text is not one JSON value, NDJSON. */
export function parseEventsText(text: string): ParsedInput {
  const events: InputEvent[] = [];
  const problems: InputProblem[] = [];
  if (text.trim() === '') return { events, problems };
  try {
    asEvents(JSON.parse(text), undefined, events);
    return { events, problems };
  } catch {
    // Not one JSON value: read it as NDJSON.
  }
  text.split(/\r?\n/).forEach((lineText, index) => {
    if (lineText.trim() === '') return;
    try {
      asEvents(JSON.parse(lineText), index + 1, events);
    } catch (error) {
      const detail = error instanceof SyntaxError ? error.message : 'invalid JSON';
      problems.push({ where: `line ${index + 1}`, field: '', message: `not valid JSON (${detail})` });
    }
  });
  return { events, problems };
}

export function describePosition(event: InputEvent): string {
  return event.line === undefined
    ? `event ${event.position}`
    : `event ${event.position} (line ${event.line})`;
}

export interface ValidEvent {
  readonly input: InputEvent;
  readonly subject: string;
  /** The event as sent, serialized once. */
  readonly json: string;
}

/** Validates each event as the consumer will (time window from `nowMs`). */
export function validateEvents(
  events: readonly InputEvent[],
  nowMs: number,
): { valid: ValidEvent[]; problems: InputProblem[] } {
  const valid: ValidEvent[] = [];
  const problems: InputProblem[] = [];
  for (const input of events) {
    const result: EventValidation = validateEvent(input.raw, { arrivalMs: nowMs });
    if (result.ok) {
      valid.push({ input, subject: result.event.subject, json: JSON.stringify(input.raw) });
    } else {
      problems.push({ where: describePosition(input), field: result.field, message: result.message });
    }
  }
  return { valid, problems };
}
