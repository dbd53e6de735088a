/**
 * What a producer hands the SDK: a usage event of the contract, where `id`, `time` and
 * `specversion` may be left out (the SDK fills them: a ULID, now, "1.0") and `subject`,
 * `source` and the attribution dimensions may come from a context set once. Each event is
 * validated with the consumer's own code (shared/contract) before it is buffered; a bad one
 * throws `InvalidUsageEventError` naming the field.
 */
import { monotonicFactory } from 'ulid';
import type { QuarantineReason } from '../contract/reasons.js';
import { MAX_RECORD_BYTES, type UsageEvent, validateEvent } from '../contract/usage-event.js';

export interface UsageEventInput {
  /** Default: a new ULID (sortable, unique); give your own to make a resend of the same call a duplicate. */
  readonly id?: string;
  readonly type: string;
  /** The tenant; default: the context's `subject`. */
  readonly subject?: string;
  /** RFC 3339 with offset, a Date, or epoch milliseconds; default: now. */
  readonly time?: string | Date | number;
  readonly source?: string;
  readonly specversion?: '1.0';
  readonly data: Readonly<Record<string, number | string>>;
}

/**
 * Attribution set once (per client, or per request with `withContext`): the tenant, the
 * producing service, and dimensions (`workspace`, `project`, `agent`, …) added to every event's
 * `data` unless the event sets them itself.
 */
export interface AttributionContext {
  readonly subject?: string;
  readonly source?: string;
  readonly workspace?: string;
  readonly project?: string;
  readonly agent?: string;
  /** More string dimensions. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Merges contexts: later ones win; `dimensions` merge key by key. */
export function mergeContext(...contexts: ReadonlyArray<AttributionContext | undefined>): AttributionContext {
  const merged: {
    subject?: string;
    source?: string;
    workspace?: string;
    project?: string;
    agent?: string;
    dimensions?: Record<string, string>;
  } = {};
  for (const context of contexts) {
    if (context === undefined) continue;
    if (context.subject !== undefined) merged.subject = context.subject;
    if (context.source !== undefined) merged.source = context.source;
    if (context.workspace !== undefined) merged.workspace = context.workspace;
    if (context.project !== undefined) merged.project = context.project;
    if (context.agent !== undefined) merged.agent = context.agent;
    if (context.dimensions !== undefined) merged.dimensions = { ...merged.dimensions, ...context.dimensions };
  }
  return merged;
}

export class InvalidUsageEventError extends Error {
  override readonly name = 'InvalidUsageEventError';
  constructor(
    /** The contract's reason code (`missing_field`, `invalid_field`, `invalid_number`, `time_out_of_range`), or `payload_too_large`. */
    readonly reason: QuarantineReason,
    /** Dotted path of the offending field (`data.input_tokens`), `''` for the event itself. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A complete, validated event ready to be packed. */
export interface PreparedEvent {
  readonly id: string;
  readonly subject: string;
  /** The event's JSON text, as it goes on the wire. */
  readonly json: string;
  /** Its UTF-8 size. */
  readonly bytes: number;
  readonly event: UsageEvent;
}

export interface PrepareOptions {
  readonly context?: AttributionContext;
  /** Epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** New event ids (default: monotonic ULIDs). */
  readonly newId?: () => string;
}

const defaultNewId = monotonicFactory();

function timeText(time: UsageEventInput['time'], nowMs: number): unknown {
  if (time === undefined) return new Date(nowMs).toISOString();
  if (time instanceof Date) return Number.isNaN(time.getTime()) ? 'Invalid Date' : time.toISOString();
  if (typeof time === 'number') {
    return Number.isFinite(time) ? new Date(time).toISOString() : String(time);
  }
  return time;
}

function contextData(context: AttributionContext | undefined): Record<string, string> {
  if (context === undefined) return {};
  return {
    ...context.dimensions,
    ...(context.workspace === undefined ? {} : { workspace: context.workspace }),
    ...(context.project === undefined ? {} : { project: context.project }),
    ...(context.agent === undefined ? {} : { agent: context.agent }),
  };
}

/**
 * Completes the input from the context and defaults, validates it exactly as the consumer will
 * (including the time window around now), and serializes it once. Throws
 * `InvalidUsageEventError` naming the field.
 */
export function prepareEvent(input: UsageEventInput, options: PrepareOptions = {}): PreparedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidUsageEventError('not_an_event', '', 'event: must be an object');
  }
  const nowMs = (options.now ?? Date.now)();
  const context = options.context;
  const subject = input.subject ?? context?.subject;
  const source = input.source ?? context?.source;
  const data =
    typeof input.data === 'object' && input.data !== null && !Array.isArray(input.data)
      ? { ...contextData(context), ...input.data }
      : input.data;
  const raw: Record<string, unknown> = {
    specversion: input.specversion ?? '1.0',
    id: input.id ?? (options.newId ?? defaultNewId)(),
    ...(source === undefined ? {} : { source }),
    type: input.type,
    subject,
    time: timeText(input.time, nowMs),
    data,
  };
  const result = validateEvent(raw, { arrivalMs: nowMs });
  if (!result.ok) {
    const hint = result.field === 'subject' && subject === undefined ? ' (or set it in the context)' : '';
    throw new InvalidUsageEventError(result.reason, result.field, `${result.message}${hint}`);
  }
  const json = JSON.stringify(raw);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes + 2 > MAX_RECORD_BYTES - Buffer.byteLength(result.event.subject, 'utf8') - 512) {
    throw new InvalidUsageEventError(
      'payload_too_large',
      '',
      `event: ${bytes} bytes of JSON is more than a Kinesis record holds (1 MiB with its partition key)`,
    );
  }
  return { id: result.event.id, subject: result.event.subject, json, bytes, event: result.event };
}
