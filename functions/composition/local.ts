import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { meterBatch } from '../../shared/metering/meter-batch.js';
import type { ReplayDeps } from '../../shared/metering/replay-failed-batch.js';
import type { TableId } from '../../shared/tables/table-definitions.js';
import { FileBlobStore } from '../adapters/blob/file-blob-store.js';
import { KinesisStreamRangeReader } from '../adapters/kinesis/kinesis-stream-range-reader.js';
import { ConsoleThresholdPublisher } from '../adapters/local/console-threshold-publisher.js';
import { meteringDeps } from './metering-deps.js';

export interface LocalMeteringOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tables: Readonly<Record<TableId, string>>;
  readonly dataDir: string;
  readonly envelopeDedup: boolean;
  readonly print: (line: string) => void;
  readonly configCacheMs?: number;
}

/** Quarantined bytes too large for a table item, under the data dir. */
export function localBlobStore(dataDir: string): FileBlobStore {
  return new FileBlobStore(join(dataDir, 'blobs'));
}

/**
 * The local composition root for metering: the same adapters as on AWS over DynamoDB Local;
 * only the blob store (a directory) and the thresholds topic (console + JSONL file) differ.
 */
export function localMeteringDeps(options: LocalMeteringOptions) {
  return meteringDeps({
    dynamodb: options.dynamodb,
    tables: options.tables,
    blobs: localBlobStore(options.dataDir),
    thresholds: new ConsoleThresholdPublisher(join(options.dataDir, 'thresholds.jsonl'), options.print),
    envelopeDedup: options.envelopeDedup,
    configCacheMs: options.configCacheMs ?? 2_000,
  });
}

export interface LocalReplayOptions extends LocalMeteringOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
}

/**
 * Replays of given-up batches on the local stack (`tollgate dlq replay`): the records read back
 * from the Kinesis emulator, metered by the same adapters as the running consumer.
 */
export function localReplayDeps(options: LocalReplayOptions): ReplayDeps {
  const metering = localMeteringDeps(options);
  return {
    reader: new KinesisStreamRangeReader(options.kinesis, { stream: options.streamName }),
    meter: (records, meterOptions) => meterBatch(records, metering, meterOptions),
    pause: (attempt) => new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** attempt))),
  };
}
