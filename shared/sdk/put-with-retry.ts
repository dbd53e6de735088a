/**
 * Putting records on the stream within the PutRecords limits, retrying only what was not
 * taken. One request carries at most 500 records and 5 MiB (data plus partition keys). A
 * record the service refused (`FailedRecordCount`, a per-record `ErrorCode` such as
 * `ProvisionedThroughputExceededException`) is sent again with the others refused, after an
 * exponential backoff with full jitter; so is a whole request that failed for a reason worth
 * retrying (throttling, a lost response, a 5xx). Resending is safe: downstream dedup (per
 * event, or per envelope) absorbs a record that had landed after all. A request refused for a
 * reason retries cannot fix (no such stream, access denied, bad input) stops the run: its
 * records and every later one are reported failed, and `aborted` says why. Every record gets an
 * outcome; nothing counts as sent until the service has accepted it.
 */
import type { RecordToWrite, RecordWriteOutcome } from '../ingest/stream-writer.js';

export const MAX_RECORDS_PER_REQUEST = 500;
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

/** One PutRecords request (≤ 500 records, ≤ 5 MiB). The Kinesis adapter implements it. */
export interface PutRecordsTransport {
  /** Per-record results in input order; throws when the request fails as a whole. */
  putRecords(records: readonly RecordToWrite[]): Promise<readonly RecordWriteOutcome[]>;
}

/** Errors of a whole request that no retry can fix. */
const PERMANENT_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidArgumentException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

export function isRetryableError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return !PERMANENT_ERRORS.has(name);
}

/** Bytes a record counts against the limits: its data and its partition key. */
export function recordSize(record: RecordToWrite): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/** Splits records into PutRecords requests of at most 500 records and 5 MiB, in order. */
export function batchRecords<T extends RecordToWrite>(records: readonly T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = recordSize(record);
    if (batch.length === MAX_RECORDS_PER_REQUEST || (batch.length > 0 && size + bytes > MAX_REQUEST_BYTES)) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(record);
    size += bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export interface RetryOptions {
  /** Attempts per record, including the first (default 8). */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry (default 100 ms); doubles per attempt up to `maxDelayMs` (default 5 s). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** `full` (default): a uniformly random delay up to the ceiling, so retrying producers spread out; `none`: the ceiling. */
  readonly jitter?: 'full' | 'none';
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Called before each retry with the records about to be resent. */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** One retry: how many records, which attempt (1 = the first retry), the backoff, and the last error code. */
export interface RetryInfo {
  readonly records: number;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
}

export interface PutResult {
  /** One per input record, in order. */
  readonly outcomes: RecordWriteOutcome[];
  readonly requests: number;
  /** Record puts retried after the service refused them or their request failed. */
  readonly retried: number;
  /** The permanent error of a request that failed as a whole; no request was sent after it. */
  readonly aborted?: { readonly name: string; readonly message: string; readonly cause: unknown };
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The backoff before retry `attempt` (1 = the first retry). */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const ceiling = Math.min(options.maxDelayMs ?? 5_000, (options.baseDelayMs ?? 100) * 2 ** (attempt - 1));
  return options.jitter === 'none' ? ceiling : Math.floor((options.random ?? Math.random)() * ceiling);
}

function errorParts(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

/** Puts `records` (any number) through `transport`, request by request. */
export async function putWithRetry(
  transport: PutRecordsTransport,
  records: readonly RecordToWrite[],
  options: RetryOptions = {},
): Promise<PutResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const sleep = options.sleep ?? sleepMs;
  const outcomes: Array<RecordWriteOutcome | undefined> = records.map(() => undefined);
  let requests = 0;
  let retried = 0;
  let aborted: PutResult['aborted'];
  const indexed = records.map((record, index) => ({
    partitionKey: record.partitionKey,
    data: record.data,
    index,
  }));
  for (const batch of batchRecords(indexed)) {
    let pending = batch;
    let reason = '';
    for (let attempt = 0; pending.length > 0 && attempt < maxAttempts; attempt += 1) {
      if (attempt > 0) {
        const delayMs = backoffDelay(attempt, options);
        options.onRetry?.({ records: pending.length, attempt, delayMs, reason });
        retried += pending.length;
        await sleep(delayMs);
      }
      requests += 1;
      let results: readonly RecordWriteOutcome[];
      try {
        results = await transport.putRecords(pending);
      } catch (error) {
        const { name, message } = errorParts(error);
        for (const record of pending) outcomes[record.index] = { ok: false, errorCode: name, message };
        if (!isRetryableError(error)) {
          aborted = { name, message, cause: error };
          break;
        }
        reason = name;
        continue;
      }
      const next: typeof pending = [];
      pending.forEach((record, i) => {
        const result = results[i] ?? {
          ok: false,
          errorCode: 'MissingResult',
          message: 'the service returned no result for this record',
        };
        outcomes[record.index] = result;
        if (!result.ok) {
          next.push(record);
          reason = result.errorCode;
        }
      });
      pending = next;
    }
    if (aborted !== undefined) break;
  }
  return {
    outcomes: outcomes.map(
      (outcome) =>
        outcome ??
        (aborted === undefined
          ? { ok: false, errorCode: 'NotSent', message: 'not sent' }
          : { ok: false, errorCode: aborted.name, message: `not sent: ${aborted.message}` }),
    ),
    requests,
    retried,
    ...(aborted === undefined ? {} : { aborted }),
  };
}
