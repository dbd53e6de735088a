/**
 * The records a shard consumer has read and not yet handed to an invocation, and where the next
 * batch ends: after `batchSize` records, or before the record that would push the invocation
 * payload (the event's JSON) past `maxPayloadBytes`, as the Lambda event source mapping cuts it.
 * A batch always holds at least one record: a single record above the limit is delivered alone
 * rather than blocking the shard (with Kinesis's default 1 MiB record size limit and the 6 MB
 * payload limit, that only happens with a test's small `maxPayloadBytes`).
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import { EVENT_ENVELOPE_BYTES } from './batch-invocation.js';

export interface BatchLimits {
  readonly batchSize: number;
  readonly maxPayloadBytes: number;
}

export class RecordBuffer {
  private records: _Record[] = [];
  /** Bytes each record adds to the event's JSON, its separating comma included. */
  private sizes: number[] = [];

  constructor(
    private readonly limits: BatchLimits,
    /** Bytes of one record's JSON in the event. */
    private readonly recordBytes: (record: _Record) => number,
  ) {}

  get length(): number {
    return this.records.length;
  }

  push(records: readonly _Record[]): void {
    for (const record of records) {
      this.records.push(record);
      this.sizes.push(this.recordBytes(record) + 1);
    }
  }

  /** True when the next batch can take no more records: it is cut by count or by payload. */
  get full(): boolean {
    const length = this.nextBatchLength();
    return length === this.limits.batchSize || length < this.records.length;
  }

  /** Removes and returns the next batch (empty if nothing is buffered). */
  takeBatch(): _Record[] {
    const length = this.nextBatchLength();
    this.sizes.splice(0, length);
    return this.records.splice(0, length);
  }

  private nextBatchLength(): number {
    const limit = Math.min(this.limits.batchSize, this.records.length);
    // The last record of a batch has no comma after it.
    let payload = EVENT_ENVELOPE_BYTES - 1;
    for (let index = 0; index < limit; index += 1) {
      payload += this.sizes[index]!;
      if (payload > this.limits.maxPayloadBytes && index > 0) {
        return index;
      }
    }
    return limit;
  }
}
