/** Vocabulary of the local event source poller. */

/** The event source mapping settings the poller honours (shared/tables CONSUMER_SOURCE on AWS). */
export interface EventSourceSettings {
  /** Most records per invocation. */
  readonly batchSize: number;
  /**
   * Most bytes of invocation payload (the event's JSON: base64 data and per-record metadata); a
   * batch is cut before the record that would exceed it. Lambda's limit: 6 MB
   * (INVOCATION_PAYLOAD_LIMIT_BYTES); tests use small values.
   */
  readonly maxPayloadBytes: number;
  /** How long to gather records before invoking with a batch smaller than batchSize. */
  readonly maxBatchingWindowSeconds: number;
  /** Split a batch that failed as a whole in two and retry each half. */
  readonly bisectBatchOnError: boolean;
  /** Retries of a failed batch before its records go to onFailure; -1 = until they expire. */
  readonly maxRetryAttempts: number;
  /** Records older than this go to onFailure instead of the handler; -1 = no limit. */
  readonly maxRecordAgeSeconds: number;
  /** Read `batchItemFailures` from the handler's response. */
  readonly reportBatchItemFailures: boolean;
}

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** Why records were sent to onFailure (the `condition` of a Lambda on-failure record). */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * What the on-failure destination receives for records the poller gave up on: the metadata of
 * the `KinesisBatchInfo` in a Lambda on-failure record (never the records themselves).
 */
export interface FailedBatchRecord {
  readonly reason: FailureCondition;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly streamArn: string;
  /** ISO-8601 arrival times of the first and last record. */
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  /** Invocations made with these records (0 when they expired before any). */
  readonly approximateInvokeCount: number;
  /** When the poller gave up, ISO-8601. */
  readonly timestamp: string;
}

export interface PollerLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}
