/**
 * Packing events into Kinesis records within the service limit: a record (data + partition
 * key) holds at most 1 MiB. A record carries one tenant's events as a JSON array, partitioned
 * by the tenant (CONTRACT.md), optionally salted `tenant#N` over N keys. Records are batched
 * into PutRecords requests by functions/adapters/kinesis/put-records.ts.
 */
import { MAX_RECORD_BYTES } from '../../shared/contract/usage-event.js';

export interface PackableEvent {
  readonly subject: string;
  /** The event's JSON text. */
  readonly json: string;
}

export interface PackedRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly eventCount: number;
}

/** The longest partition key a subject can get: with the largest salt suffix. */
function keyBytes(subject: string, salt: number): number {
  return Buffer.byteLength(subject, 'utf8') + (salt > 1 ? `#${salt - 1}`.length : 0);
}

/** Events larger than a record can hold on their own (they cannot be sent). */
export function oversizedEvents<T extends PackableEvent>(events: readonly T[], salt = 1): T[] {
  return events.filter(
    (e) => Buffer.byteLength(e.json, 'utf8') + 2 + keyBytes(e.subject, salt) > MAX_RECORD_BYTES,
  );
}

/**
 * Packs events into records, per tenant in input order, greedily filling JSON arrays up to
 * the record limit. With `salt` N > 1 a tenant's records take partition keys `tenant#0` …
 * `tenant#{N-1}` in turn. Events must each fit a record (see `oversizedEvents`).
 */
export function packRecords(events: readonly PackableEvent[], salt = 1): PackedRecord[] {
  const byTenant = new Map<string, string[]>();
  for (const event of events) {
    const list = byTenant.get(event.subject) ?? [];
    list.push(event.json);
    byTenant.set(event.subject, list);
  }
  const records: PackedRecord[] = [];
  for (const [subject, jsons] of byTenant) {
    const budget = MAX_RECORD_BYTES - keyBytes(subject, salt);
    let next = 0;
    const emit = (parts: string[]) => {
      const partitionKey = salt > 1 ? `${subject}#${next % salt}` : subject;
      next += 1;
      records.push({
        partitionKey,
        data: Buffer.from(`[${parts.join(',')}]`, 'utf8'),
        eventCount: parts.length,
      });
    };
    let parts: string[] = [];
    let size = 2; // "[" and "]"
    for (const json of jsons) {
      const bytes = Buffer.byteLength(json, 'utf8');
      const added = parts.length === 0 ? bytes : bytes + 1; // "," between events
      if (parts.length > 0 && size + added > budget) {
        emit(parts);
        parts = [];
        size = 2;
      }
      size += parts.length === 0 ? bytes : bytes + 1;
      parts.push(json);
    }
    if (parts.length > 0) emit(parts);
  }
  return records;
}
