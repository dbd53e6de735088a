/**
 * Fakes for re-driving: the quarantine table in memory (list it like `DynamoDbQuarantineReader`,
 * mark it like `DynamoDbQuarantineStore`), a stream that records what was put, and a blob store.
 */
import type { RecordToWrite, RecordWriteOutcome, StreamWriter } from '../../shared/ingest/stream-writer.js';
import type {
  QuarantinedItem,
  QuarantineListQuery,
  QuarantinePage,
  QuarantineReader,
} from '../../shared/quarantine/quarantine-query.js';
import type { QuarantineBlobReader, QuarantineMarker } from '../../shared/quarantine/redrive.js';
import { encodeRecord, makeEvent } from '../factories/events.js';

let sequence = 0;

/** A quarantined event of `acme` (unknown tenant), its bytes inline; override any field. */
export function quarantinedItem(overrides: Partial<QuarantinedItem> = {}): QuarantinedItem {
  sequence += 1;
  const tenant = overrides.tenant ?? 'acme';
  const bytes = encodeRecord(makeEvent({ subject: tenant }));
  return {
    tenant,
    reason: 'unknown_tenant',
    message: `subject: tenant "${tenant}" has not been set up`,
    field: 'subject',
    receivedAt: `2026-11-29T21:05:${String(sequence % 60).padStart(2, '0')}.000Z`,
    partitionKey: tenant,
    shardId: 'shardId-000000000000',
    sequenceNumber: String(49_000_000 + sequence),
    subIndex: 0,
    eventIndex: 0,
    size: bytes.byteLength,
    bytes,
    ...overrides,
  };
}

const keyOf = (
  e: Pick<
    QuarantinedItem,
    'tenant' | 'receivedAt' | 'shardId' | 'sequenceNumber' | 'subIndex' | 'eventIndex'
  >,
) => [e.tenant, e.receivedAt, e.shardId, e.sequenceNumber, e.subIndex, e.eventIndex].join('|');

/** Items in listing order (newest first, as given); the cursor is a position in that list. */
export class InMemoryQuarantine implements QuarantineReader, QuarantineMarker {
  items: QuarantinedItem[];
  readonly queries: QuarantineListQuery[] = [];
  /** When set, each page holds at most this many entries (to exercise paging). */
  pageSize: number | undefined;
  markFailure: Error | undefined;

  constructor(items: readonly QuarantinedItem[] = []) {
    this.items = [...items];
  }

  async list(query: QuarantineListQuery): Promise<QuarantinePage> {
    this.queries.push(query);
    const start = query.cursor === undefined ? 0 : Number(query.cursor);
    const size = Math.min(query.limit, this.pageSize ?? query.limit);
    const entries: QuarantinedItem[] = [];
    let position = start;
    for (; position < this.items.length && entries.length < size; position += 1) {
      const item = this.items[position]!;
      if (query.tenant !== undefined && item.tenant !== query.tenant) continue;
      if (query.reason !== undefined && item.reason !== query.reason) continue;
      if (query.excludeRedriven === true && item.redrivenAt !== undefined) continue;
      entries.push(item);
    }
    return { entries, ...(position < this.items.length ? { nextCursor: String(position) } : {}) };
  }

  async markRedriven(entry: QuarantinedItem, at: string): Promise<boolean> {
    if (this.markFailure !== undefined) throw this.markFailure;
    const index = this.items.findIndex((item) => keyOf(item) === keyOf(entry));
    if (index === -1) return false;
    this.items[index] = { ...this.items[index]!, redrivenAt: at };
    return true;
  }
}

/** Records every record put; `refuse` may turn one away with an error code (after retries). */
export class FakeStreamWriter implements StreamWriter {
  readonly records: RecordToWrite[] = [];
  readonly calls: number[] = [];
  refuse: (record: RecordToWrite) => string | undefined = () => undefined;

  async putRecords(records: readonly RecordToWrite[]): Promise<RecordWriteOutcome[]> {
    this.calls.push(records.length);
    return records.map((record) => {
      const code = this.refuse(record);
      if (code !== undefined) return { ok: false, errorCode: code, message: 'refused by the fake' };
      this.records.push(record);
      return {
        ok: true,
        shardId: 'shardId-000000000001',
        sequenceNumber: String(50_000_000 + this.records.length),
      };
    });
  }
}

export class InMemoryBlobs implements QuarantineBlobReader {
  readonly blobs = new Map<string, Uint8Array>();
  failure: Error | undefined;

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.failure !== undefined) throw this.failure;
    return this.blobs.get(key);
  }
}
