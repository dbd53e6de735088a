/**
 * `replayFailedBatch`: meters again a range of stream records the event source mapping gave up
 * on (its on-failure destination receives only the shard and the sequence range).
 *
 * Events of those records may already hold claims naming them (`{shardId}/{sequenceNumber}`),
 * so putting the events back as new records would make them duplicates of their own claims.
 * The records are read back from the stream instead and metered under their original identity:
 * claims they hold are theirs (a retry), and counter marks skip what the first attempts counted.
 *
 * 1. Read the range (`StreamRangeReader`). The stream must still hold its first record; if the
 *    retention trimmed it, the range is `range_expired` (nothing can be replayed exactly).
 * 2. Meter it in chunks of at most 10,000 records (Lambda's largest Kinesis batch); after a
 *    failure, resume from the lowest failed record, as the event source would. A record that
 *    fails `maxAttempts` times in a row ends the replay with `completed: false` and `resumeFrom`.
 *
 * Counts add up every attempt's `meterBatch` stats. Events whose claim an earlier (given-up)
 * attempt made are reported as `redelivered`, not `counted`, even when this replay is what puts
 * them in the counters.
 *
 * Limit (ADR 0001): a counter item's mark per (shard, partition key) only moves forward. If the
 * stream has since counted later records of the same partition key into the same item — the
 * consumer carried on after giving up — the item's mark is past the range, and whatever of the
 * range the first attempts did not count in that item cannot be counted any more. The replay
 * cannot tell that from an item that did count the range; it reports such items in
 * `countersAhead`, and `exact` is false.
 */
import type { QuarantineReason } from '../contract/reasons.js';
import type { MeterBatchOptions, MeterBatchResult } from './meter-batch.js';
import type { StreamRange, StreamRangeReader } from './ports.js';
import type { StreamRecord } from './prepare-batch.js';

/** Most records metered at once: Lambda's largest Kinesis batch. */
export const MAX_REPLAY_CHUNK = 10_000;
export const DEFAULT_REPLAY_ATTEMPTS = 3;

export type ReplayErrorCode =
  /** The range is malformed: not sequence numbers, or its end before its start. */
  | 'invalid_range'
  /** The stream no longer holds the range's first record (trimmed by retention), or the shard. */
  | 'range_expired'
  /** The stream holds the range's first record but not its last one. */
  | 'range_incomplete'
  /** The stream could not be read. */
  | 'read_failed';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';

  constructor(
    readonly code: ReplayErrorCode,
    message: string,
    readonly range: StreamRange,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReplayDeps {
  readonly reader: StreamRangeReader;
  /** `meterBatch` over the consumer's stores, passing the options through. */
  readonly meter: (records: readonly StreamRecord[], options: MeterBatchOptions) => Promise<MeterBatchResult>;
  /** Attempts at the same record before giving up (default 3). */
  readonly maxAttempts?: number;
  /** Records per `meter` call (default and at most 10,000). */
  readonly chunkSize?: number;
  /** Waits before the `attempt`th attempt at the same record (2, 3, …); default no wait. */
  readonly pause?: (attempt: number) => Promise<void>;
}

export interface ReplayReport {
  readonly range: StreamRange;
  /** Records read from the stream (the whole range). */
  readonly records: number;
  readonly events: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly redelivered: number;
  readonly quarantined: Partial<Record<QuarantineReason, number>>;
  /** Counter items already holding records past the range (see the limit above). */
  readonly countersAhead: number;
  /** `meter` calls made. */
  readonly attempts: number;
  /** Every record of the range was metered. */
  readonly completed: boolean;
  /** Completed, and no counter item was ahead of the range. */
  readonly exact: boolean;
  /** When not completed: the first record not metered. */
  readonly resumeFrom?: string;
  /** Errors of failed attempts, oldest first. */
  readonly errors: readonly unknown[];
}

/** `shardId-000000000001 49590…0001…49590…0042`, for messages. */
export function describeRange(range: StreamRange): string {
  return `${range.shardId} ${range.startSequenceNumber}…${range.endSequenceNumber}`;
}

function sequenceOf(range: StreamRange, field: 'startSequenceNumber' | 'endSequenceNumber'): bigint {
  const text = range[field];
  if (typeof text !== 'string' || !/^\d{1,129}$/.test(text)) {
    throw new ReplayError(
      'invalid_range',
      `${field} must be a sequence number (digits), not "${text}"`,
      range,
    );
  }
  return BigInt(text);
}

/** Reads the range and checks that the stream still holds all of it. */
async function readRange(range: StreamRange, reader: StreamRangeReader): Promise<StreamRecord[]> {
  if (typeof range.shardId !== 'string' || range.shardId === '') {
    throw new ReplayError('invalid_range', 'shardId must be a shard id (shardId-000000000000)', range);
  }
  const start = sequenceOf(range, 'startSequenceNumber');
  const end = sequenceOf(range, 'endSequenceNumber');
  if (end < start) {
    throw new ReplayError('invalid_range', `the range ${describeRange(range)} ends before it starts`, range);
  }
  let read: StreamRecord[];
  try {
    read = await reader.read(range);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ReplayError('read_failed', `cannot read ${describeRange(range)}: ${reason}`, range, {
      cause: error,
    });
  }
  const records = read.filter((record) => {
    const sequence = BigInt(record.sequenceNumber);
    return record.shardId === range.shardId && sequence >= start && sequence <= end;
  });
  const first = records[0];
  if (first === undefined || BigInt(first.sequenceNumber) !== start) {
    throw new ReplayError(
      'range_expired',
      `the stream no longer holds record ${range.startSequenceNumber} of ${range.shardId} ` +
        `(${first === undefined ? 'none of the range is left' : `the first left is ${first.sequenceNumber}`}): ` +
        `the range ${describeRange(range)} was trimmed by the stream's retention and cannot be replayed`,
      range,
    );
  }
  const last = records.at(-1)!;
  if (BigInt(last.sequenceNumber) !== end) {
    throw new ReplayError(
      'range_incomplete',
      `the stream holds ${range.shardId} from ${range.startSequenceNumber} to ${last.sequenceNumber} but not ` +
        `${range.endSequenceNumber}: check the range`,
      range,
    );
  }
  return records;
}

function lowestOf(sequenceNumbers: readonly string[]): bigint {
  let lowest: bigint | undefined;
  for (const text of sequenceNumbers) {
    const value = BigInt(text);
    if (lowest === undefined || value < lowest) lowest = value;
  }
  return lowest!;
}

/**
 * Reads the range back from the stream and meters it under the records' own identity until every
 * record is metered or one has failed `maxAttempts` times. Throws `ReplayError` when the range
 * cannot be read as a whole.
 */
export async function replayFailedBatch(range: StreamRange, deps: ReplayDeps): Promise<ReplayReport> {
  const records = await readRange(range, deps.reader);
  const maxAttempts = Math.max(1, deps.maxAttempts ?? DEFAULT_REPLAY_ATTEMPTS);
  const chunkSize = Math.min(MAX_REPLAY_CHUNK, Math.max(1, deps.chunkSize ?? MAX_REPLAY_CHUNK));
  const options: MeterBatchOptions = { replayedThrough: range.endSequenceNumber };
  const totals = { events: 0, counted: 0, duplicates: 0, redelivered: 0, countersAhead: 0 };
  const quarantined: Partial<Record<QuarantineReason, number>> = {};
  const errors: unknown[] = [];
  let attempts = 0;
  let next = 0;
  let failuresHere = 0;
  while (next < records.length) {
    if (failuresHere > 0) await deps.pause?.(failuresHere + 1);
    const chunk = records.slice(next, next + chunkSize);
    attempts += 1;
    let failedSequenceNumbers: readonly string[];
    try {
      const result = await deps.meter(chunk, options);
      const { stats } = result;
      totals.events += stats.events;
      totals.counted += stats.counted;
      totals.duplicates += stats.duplicates;
      totals.redelivered += stats.redelivered;
      totals.countersAhead += stats.countersAhead;
      for (const [reason, count] of Object.entries(stats.quarantined) as Array<[QuarantineReason, number]>) {
        quarantined[reason] = (quarantined[reason] ?? 0) + count;
      }
      errors.push(...result.errors);
      failedSequenceNumbers = result.failedSequenceNumbers;
    } catch (error) {
      errors.push(error);
      failedSequenceNumbers = [chunk[0]!.sequenceNumber];
    }
    if (failedSequenceNumbers.length === 0) {
      next += chunk.length;
      failuresHere = 0;
      continue;
    }
    const lowest = lowestOf(failedSequenceNumbers);
    const done = Math.max(
      0,
      chunk.findIndex((record) => BigInt(record.sequenceNumber) === lowest),
    );
    if (done > 0) failuresHere = 0;
    next += done;
    failuresHere += 1;
    if (failuresHere >= maxAttempts) break;
  }
  const completed = next >= records.length;
  return {
    range,
    records: records.length,
    ...totals,
    quarantined,
    attempts,
    completed,
    exact: completed && totals.countersAhead === 0,
    ...(completed ? {} : { resumeFrom: records[next]!.sequenceNumber }),
    errors,
  };
}

/** A replay's outcome as data (JSON-safe), for a Lambda response or a CLI. */
export type ReplayOutcome =
  | {
      readonly status: 'replayed' | 'incomplete';
      readonly range: StreamRange;
      readonly report: Omit<ReplayReport, 'range' | 'errors'> & { readonly lastError?: string };
    }
  | {
      readonly status: 'failed';
      readonly range: StreamRange;
      readonly error: { readonly code: ReplayErrorCode; readonly message: string };
    };

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `replayFailedBatch`, with a `ReplayError` as a `failed` outcome instead of a throw. */
export async function replayRange(range: StreamRange, deps: ReplayDeps): Promise<ReplayOutcome> {
  let report: ReplayReport;
  try {
    report = await replayFailedBatch(range, deps);
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    return { status: 'failed', range, error: { code: error.code, message: error.message } };
  }
  const { range: _range, errors, ...counts } = report;
  const last = errors.at(-1);
  return {
    status: report.completed ? 'replayed' : 'incomplete',
    range,
    report: { ...counts, ...(last === undefined ? {} : { lastError: messageOf(last) }) },
  };
}
