/**
 * Packing events into Kinesis records within the CONTRACT's wire rules: a record (data plus
 * partition key) holds at most 1 MiB; it carries one partition key's events as a JSON array,
 * or as a `{envelopeId, events}` envelope (ADR 0002), gzip-compressed above a threshold when
 * that makes it smaller. The size budget applies to the uncompressed JSON, so a record is
 * within the limit whether or not it is compressed. Pure apart from `node:zlib`.
 */
import { gzipSync } from 'node:zlib';
import { MAX_RECORD_BYTES } from '../contract/usage-event.js';

export interface PackableEvent {
  readonly subject: string;
  /** The event's JSON text. */
  readonly json: string;
}

export interface PackedRecord<E extends PackableEvent = PackableEvent> {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** The events in the record, in order. */
  readonly events: readonly E[];
  readonly eventCount: number;
  /** The JSON text's size before compression. */
  readonly uncompressedBytes: number;
  readonly compressed: boolean;
  readonly envelopeId?: string;
}

export interface PackOptions {
  /** The partition key of a subject's next record (default: the subject). `tenant#N` salts a hot tenant. */
  readonly partitionKey?: (subject: string) => string;
  /** Longest partition key `partitionKey` can return for a subject, for the size budget (default: the subject plus 4 characters when `partitionKey` is given). */
  readonly maxPartitionKeyBytes?: (subject: string) => number;
  /** Compress records of at least this many bytes with gzip when it makes them smaller (default: never). */
  readonly gzipMinBytes?: number;
  /** Wrap each record's events in an envelope with this id (one call per record). */
  readonly envelopeId?: () => string;
  /** The largest record, data plus partition key (default and maximum: 1 MiB). */
  readonly maxRecordBytes?: number;
}

/** The envelope's bytes around the events' array. */
function envelopeOverhead(envelopeId: string): number {
  return Buffer.byteLength(`{"envelopeId":${JSON.stringify(envelopeId)},"events":`, 'utf8') + 1;
}

/** Envelope ids are ULIDs (26 characters) or similar; the budget allows up to 128. */
const MAX_ENVELOPE_OVERHEAD = envelopeOverhead('x'.repeat(128));

function budgetOf(subject: string, options: PackOptions): number {
  const keyBytes =
    options.maxPartitionKeyBytes?.(subject) ??
    Buffer.byteLength(subject, 'utf8') + (options.partitionKey === undefined ? 0 : 4);
  const max = Math.min(options.maxRecordBytes ?? MAX_RECORD_BYTES, MAX_RECORD_BYTES);
  return max - keyBytes - (options.envelopeId === undefined ? 0 : MAX_ENVELOPE_OVERHEAD);
}

/** Whether one event, alone in a record, fits the record limit. */
export function fitsInRecord(event: PackableEvent, options: PackOptions = {}): boolean {
  return Buffer.byteLength(event.json, 'utf8') + 2 <= budgetOf(event.subject, options);
}

/**
 * Packs events into records, per subject in input order, greedily filling JSON arrays up to
 * the record limit. Events that cannot fit a record alone are returned in `oversized`, not
 * packed.
 */
export function packEvents<E extends PackableEvent>(
  events: readonly E[],
  options: PackOptions = {},
): { readonly records: PackedRecord<E>[]; readonly oversized: E[] } {
  const bySubject = new Map<string, E[]>();
  const oversized: E[] = [];
  for (const event of events) {
    if (!fitsInRecord(event, options)) {
      oversized.push(event);
      continue;
    }
    let list = bySubject.get(event.subject);
    if (list === undefined) {
      list = [];
      bySubject.set(event.subject, list);
    }
    list.push(event);
  }
  const records: PackedRecord<E>[] = [];
  for (const [subject, list] of bySubject) {
    const budget = budgetOf(subject, options);
    let parts: E[] = [];
    let size = 2; // "[" and "]"
    const emit = () => {
      records.push(encodeRecord(subject, parts, size, options));
      parts = [];
      size = 2;
    };
    for (const event of list) {
      const bytes = Buffer.byteLength(event.json, 'utf8') + (parts.length === 0 ? 0 : 1);
      if (parts.length > 0 && size + bytes > budget) emit();
      size += parts.length === 0 ? Buffer.byteLength(event.json, 'utf8') : bytes;
      parts.push(event);
    }
    if (parts.length > 0) emit();
  }
  return { records, oversized };
}

function encodeRecord<E extends PackableEvent>(
  subject: string,
  events: E[],
  arrayBytes: number,
  options: PackOptions,
): PackedRecord<E> {
  const array = `[${events.map((e) => e.json).join(',')}]`;
  const envelopeId = options.envelopeId?.();
  const text =
    envelopeId === undefined ? array : `{"envelopeId":${JSON.stringify(envelopeId)},"events":${array}}`;
  const raw = Buffer.from(text, 'utf8');
  let data: Uint8Array = raw;
  let compressed = false;
  if (options.gzipMinBytes !== undefined && raw.byteLength >= options.gzipMinBytes) {
    const gz = gzipSync(raw);
    if (gz.byteLength < raw.byteLength) {
      data = gz;
      compressed = true;
    }
  }
  return {
    partitionKey: options.partitionKey?.(subject) ?? subject,
    data,
    events,
    eventCount: events.length,
    uncompressedBytes: envelopeId === undefined ? arrayBytes : raw.byteLength,
    compressed,
    ...(envelopeId === undefined ? {} : { envelopeId }),
  };
}

/** A round-robin `tenant#N` partition key over `salt(subject)` keys (1: the tenant alone). */
export function saltedPartitionKeys(salt: (subject: string) => number): {
  readonly partitionKey: (subject: string) => string;
  readonly maxPartitionKeyBytes: (subject: string) => number;
} {
  const next = new Map<string, number>();
  return {
    partitionKey(subject) {
      const n = salt(subject);
      if (n <= 1) return subject;
      const i = next.get(subject) ?? 0;
      next.set(subject, (i + 1) % n);
      return `${subject}#${i}`;
    },
    maxPartitionKeyBytes(subject) {
      const n = salt(subject);
      return Buffer.byteLength(subject, 'utf8') + (n <= 1 ? 0 : `#${n - 1}`.length);
    },
  };
}
