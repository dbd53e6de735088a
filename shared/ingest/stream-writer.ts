/**
 * The port for putting records on the usage-event stream (Kinesis on AWS and locally). The
 * CONTRACT's wire rules apply: a record's partition key is the tenant (optionally `#N`), and a
 * record holds at most 1 MiB with its key.
 */

export interface RecordToWrite {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Where one record landed, or why the stream would not take it. */
export type RecordWriteOutcome =
  | { readonly ok: true; readonly shardId: string; readonly sequenceNumber: string }
  | {
      readonly ok: false;
      /** The service's per-record code (e.g. `ProvisionedThroughputExceededException`), or the error's name when a whole request failed. */
      readonly errorCode: string;
      readonly message: string;
    };

export interface StreamWriter {
  /**
   * Puts the records, retrying only those the service refused. Never throws for a refused
   * record or a failed request: every record gets an outcome, in input order.
   */
  putRecords(records: readonly RecordToWrite[]): Promise<RecordWriteOutcome[]>;
}
