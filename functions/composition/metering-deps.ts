import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MeterBatchDeps } from '../../shared/metering/meter-batch.js';
import type { ThresholdPublisher } from '../../shared/metering/ports.js';
import type { BlobStore } from '../adapters/blob/blob-store.js';
import { CachedCatalogSource, CachedTenantDirectory } from '../adapters/dynamodb/cached-config-sources.js';
import { DynamoDbConfigStore } from '../adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbDedupStore } from '../adapters/dynamodb/dynamodb-dedup-store.js';
import { DynamoDbQuarantineStore } from '../adapters/dynamodb/dynamodb-quarantine-store.js';
import { DynamoDbUsageCounterStore } from '../adapters/dynamodb/dynamodb-usage-counter-store.js';

export interface MeteringWiring {
  readonly dynamodb: DynamoDBClient;
  readonly tables: {
    readonly usage: string;
    readonly dedup: string;
    readonly config: string;
    readonly quarantine: string;
  };
  readonly blobs: BlobStore;
  readonly thresholds: ThresholdPublisher;
  readonly envelopeDedup: boolean;
  readonly configCacheMs: number;
}

/** The consumer's adapters over DynamoDB, shared by both composition roots. */
export function meteringDeps(wiring: MeteringWiring): MeterBatchDeps & { config: DynamoDbConfigStore } {
  const { dynamodb, tables } = wiring;
  const config = new DynamoDbConfigStore(dynamodb, tables.config);
  const catalog = new CachedCatalogSource(config, wiring.configCacheMs);
  return {
    config,
    catalog,
    tenants: new CachedTenantDirectory(config, wiring.configCacheMs),
    dedup: new DynamoDbDedupStore(dynamodb, tables.dedup),
    counters: new DynamoDbUsageCounterStore(dynamodb, tables.usage),
    quarantine: new DynamoDbQuarantineStore(dynamodb, tables.quarantine, wiring.blobs),
    thresholds: wiring.thresholds,
    envelopeDedup: wiring.envelopeDedup,
  };
}
