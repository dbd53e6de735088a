import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableId } from '../../shared/tables/table-definitions.js';
import { FileBlobStore } from '../adapters/blob/file-blob-store.js';
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
