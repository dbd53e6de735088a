/**
 * Decodes the data of one Kinesis record into user records and their events (pure).
 *
 *   record ─┬─ KPL aggregate (F3 89 9A C2) ─→ one user record per sub-record, own partition key
 *           └─ anything else ───────────────→ one user record (subIndex 0)
 *   user record data: [gzip (1F 8B) → gunzip] → strict UTF-8 → exact JSON →
 *     an event object | an array of events | an envelope {"envelopeId", "events": [...]}
 *
 * A user record that cannot be read becomes one `failed` outcome with a quarantine reason and
 * its original bytes; events are not validated here (see `validateEvent`).
 */
import { gunzipSync } from 'node:zlib';
import { deaggregateSync } from 'aws-kinesis-agg';
import type { QuarantineReason } from '../contract/reasons.js';
import { PRINTABLE_ID_PATTERN } from '../contract/usage-event.js';
import { arrayElementSpans, memberValueStart, parseJsonExact, type Span, valueStart } from './exact-json.js';

/** Default cap on one user record's decompressed size (a gzip bomb guard). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 10 * 1024 * 1024;

export interface DecodedItem {
  /** Position in the record's array or envelope; 0 for a single event. */
  readonly index: number;
  /** The parsed JSON, not yet validated. */
  readonly raw: unknown;
  /** The item's own JSON source bytes (decompressed), for quarantine; computed on demand. */
  readonly bytes: () => Uint8Array;
}

export type DecodeOutcome =
  | { readonly kind: 'events'; readonly envelopeId?: string; readonly items: readonly DecodedItem[] }
  | {
      readonly kind: 'failed';
      readonly reason: QuarantineReason;
      readonly message: string;
      /** The user record's bytes as received (still compressed if it was). */
      readonly bytes: Uint8Array;
    };

export interface DecodedUserRecord {
  /** Index of the sub-record in a KPL aggregate; 0 for a plain record. */
  readonly subIndex: number;
  /** The sub-record's own partition key in a KPL aggregate, else the record's. */
  readonly partitionKey: string;
  readonly outcome: DecodeOutcome;
}

export interface DecodeOptions {
  readonly maxDecompressedBytes?: number;
}

const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;
const KPL_CHECKSUM_BYTES = 16;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const ENVELOPE_MEMBERS = new Set(['envelopeId', 'events']);

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function startsWith(data: Uint8Array, magic: readonly number[]): boolean {
  if (data.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (data[i] !== magic[i]) return false;
  return true;
}

/** A plain Uint8Array view of a Node Buffer (no copy), so callers never see Buffer. */
function viewOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function failed(reason: QuarantineReason, message: string, bytes: Uint8Array): DecodeOutcome {
  return { kind: 'failed', reason, message, bytes };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Items of an array (the record itself, or an envelope's `events`). Their source spans are
 * found once, the first time any item's bytes are asked for: only quarantine needs them.
 */
function itemsOf(elements: readonly unknown[], text: string, arrayOpen: () => number): DecodedItem[] {
  let spans: Span[] | undefined;
  const bytesOf = (index: number): Uint8Array => {
    spans ??= arrayElementSpans(text, arrayOpen());
    const span = spans[index];
    return utf8Encoder.encode(
      span === undefined ? JSON.stringify(elements[index]) : text.slice(span.start, span.end),
    );
  };
  return elements.map((raw, index) => ({ index, raw, bytes: () => bytesOf(index) }));
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

function classify(value: unknown, text: string, payload: Uint8Array, original: Uint8Array): DecodeOutcome {
  if (Array.isArray(value)) {
    return { kind: 'events', items: itemsOf(value, text, () => valueStart(text)) };
  }
  if (typeof value !== 'object' || value === null) {
    return failed(
      'not_an_event',
      `record: JSON is ${describeJson(value)}, not an event object, an array of events or an envelope`,
      original,
    );
  }
  const object = value as Readonly<Record<string, unknown>>;
  if (!Object.hasOwn(object, 'envelopeId')) {
    return { kind: 'events', items: [{ index: 0, raw: value, bytes: () => payload }] };
  }
  const { envelopeId, events } = object;
  if (typeof envelopeId !== 'string' || !PRINTABLE_ID_PATTERN.test(envelopeId)) {
    return failed('invalid_envelope', 'envelopeId: must be 1–128 printable ASCII characters', original);
  }
  if (!Array.isArray(events)) {
    return failed('invalid_envelope', 'events: an envelope must have an array of events', original);
  }
  for (const key of Object.keys(object)) {
    if (!ENVELOPE_MEMBERS.has(key)) {
      return failed(
        'invalid_envelope',
        `${key}: not an envelope member (an envelope has only envelopeId and events)`,
        original,
      );
    }
  }
  const eventsOpen = () => memberValueStart(text, valueStart(text), 'events');
  return { kind: 'events', envelopeId, items: itemsOf(events, text, eventsOpen) };
}

/** One user record's data: decompress, decode, parse and classify. */
function decodePayload(data: Uint8Array, maxBytes: number): DecodeOutcome {
  if (data.length === 0) return failed('empty_record', 'record: has no data', data);
  let payload = data;
  if (startsWith(data, GZIP_MAGIC)) {
    try {
      payload = viewOf(gunzipSync(data, { maxOutputLength: maxBytes }));
    } catch (error) {
      if (error instanceof RangeError && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        return failed('payload_too_large', `record: decompresses to more than ${maxBytes} bytes`, data);
      }
      return failed('decompression_failed', `record: gzip data is corrupt (${errorMessage(error)})`, data);
    }
    if (payload.length === 0) {
      return failed('empty_record', 'record: gzip data decompresses to nothing', data);
    }
  } else if (data.length > maxBytes) {
    return failed('payload_too_large', `record: is larger than ${maxBytes} bytes`, data);
  }
  let text: string;
  try {
    text = utf8Decoder.decode(payload);
  } catch {
    return failed('invalid_encoding', 'record: is not valid UTF-8', data);
  }
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (error) {
    return failed('invalid_json', `record: is not valid JSON (${errorMessage(error)})`, data);
  }
  return classify(value, text, payload, data);
}

interface SubRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

type Deaggregation = { ok: true; records: SubRecord[] } | { ok: false; message: string };

/** Splits a KPL aggregated record, verifying its MD5 checksum. */
function deaggregate(data: Uint8Array): Deaggregation {
  if (data.length < KPL_MAGIC.length + KPL_CHECKSUM_BYTES) {
    return { ok: false, message: 'record: KPL aggregated record is truncated' };
  }
  let failure: unknown;
  let userRecords: readonly { partitionKey?: unknown; data?: unknown }[] = [];
  const payload = {
    kinesisSchemaVersion: '1.0',
    partitionKey: '',
    sequenceNumber: '',
    approximateArrivalTimestamp: 0,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
  };
  // The library reports through a callback, possibly more than once: the first error wins.
  deaggregateSync(payload, true, (error, records) => {
    if (error) failure ??= error;
    else if (records) userRecords = records;
  });
  if (failure !== undefined) {
    return { ok: false, message: `record: invalid KPL aggregated record (${errorMessage(failure)})` };
  }
  if (userRecords.length === 0) {
    return { ok: false, message: 'record: KPL aggregated record holds no user records' };
  }
  const records: SubRecord[] = [];
  for (const [index, user] of userRecords.entries()) {
    if (typeof user.partitionKey !== 'string' || typeof user.data !== 'string') {
      return { ok: false, message: `record: KPL user record ${index} has no partition key` };
    }
    records.push({ partitionKey: user.partitionKey, data: viewOf(Buffer.from(user.data, 'base64')) });
  }
  return { ok: true, records };
}

/**
 * Decodes one Kinesis record's data (as Lambda gives it, base64-decoded) into user records.
 * Never throws: what cannot be read comes back as a `failed` outcome.
 */
export function decodeRecord(
  data: Uint8Array,
  partitionKey: string,
  opts: DecodeOptions = {},
): DecodedUserRecord[] {
  const maxBytes = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!startsWith(data, KPL_MAGIC)) {
    return [{ subIndex: 0, partitionKey, outcome: decodePayload(data, maxBytes) }];
  }
  const aggregate = deaggregate(data);
  if (!aggregate.ok) {
    return [{ subIndex: 0, partitionKey, outcome: failed('invalid_aggregate', aggregate.message, data) }];
  }
  return aggregate.records.map((record, subIndex) => ({
    subIndex,
    partitionKey: record.partitionKey,
    outcome: decodePayload(record.data, maxBytes),
  }));
}
