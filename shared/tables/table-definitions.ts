/**
 * The one definition of Tollgate's tables and stream. The CDK stack (infra/) and the local
 * runtime (functions/local/) both build their resources from this, so the key schema the
 * code relies on cannot drift between AWS and a laptop.
 */
export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface GlobalIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical id, also the suffix of the local table name (`tollgate-<id>`). */
  readonly id: TableId;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly timeToLiveAttribute?: string;
  readonly globalIndexes: readonly GlobalIndexDefinition[];
  readonly description: string;
}

export type TableId = 'usage' | 'dedup' | 'config' | 'quarantine' | 'invoices' | 'alerts';

export const TABLES: Readonly<Record<TableId, TableDefinition>> = {
  usage: {
    id: 'usage',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [],
    description:
      'Hourly usage rollups and entitlement-period counters, with per-(shard, partition key) marks.',
  },
  dedup: {
    id: 'dedup',
    partitionKey: { name: 'pk', type: 'S' },
    timeToLiveAttribute: 'ttl',
    globalIndexes: [],
    description:
      'One claim marker per (subject, id) event or per trusted envelope; expires after the dedup horizon. Also the per-ingest-key rate-limit windows (rl#…), expiring after a minute.',
  },
  config: {
    id: 'config',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [],
    description: 'Catalog versions and the active pointer, tenant profiles, hashed API tokens.',
  },
  quarantine: {
    id: 'quarantine',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        indexName: 'by-reason',
        partitionKey: { name: 'reason', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
      },
    ],
    description:
      'Index of quarantined records and events with reason codes; bytes inline or in the blob store.',
  },
  invoices: {
    id: 'invoices',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        indexName: 'by-tenant',
        partitionKey: { name: 'tenant', type: 'S' },
        sortKey: { name: 'periodStart', type: 'S' },
      },
    ],
    description:
      'Invoices (one item per tenant period, keyed by its deterministic id), the per-tenant invoice number sequence, and credit grants with their remaining balance.',
  },
  alerts: {
    id: 'alerts',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        indexName: 'by-tenant',
        partitionKey: { name: 'tenant', type: 'S' },
        sortKey: { name: 'startedAt', type: 'S' },
      },
      {
        indexName: 'by-state',
        partitionKey: { name: 'state', type: 'S' },
        sortKey: { name: 'startedAt', type: 'S' },
      },
    ],
    description:
      'Alerts (one item per incident, keyed by its stable id) and the pointer to the open alert of each incident key, so a detector re-run or retry never opens a second one.',
  },
};

export const TABLE_IDS = Object.keys(TABLES) as TableId[];

/**
 * Partition-key prefixes of items that functions other than the consumer touch. The adapters
 * build their keys from these, and the CDK stack confines a role to them with a
 * `dynamodb:LeadingKeys` condition, so the two cannot drift apart.
 */
export const ITEM_KEY_PREFIXES = {
  /** Config table: an ingest key's authentication item, `INGESTKEY#{sha256 hex}`. */
  ingestKey: 'INGESTKEY#',
  /**
   * Dedup table: a rate-limit window, `rl#{tenant}#{keyId}#{epoch second}`. Distinct from the
   * claim markers (`e#`, `v#`): sharing the table reuses its TTL, a second table would add
   * nothing but another resource to encrypt, back up and grant.
   */
  rateLimit: 'rl#',
} as const;

/** Table names used by the local runtime; on AWS, CloudFormation names them. */
export function localTableName(id: TableId, prefix = 'tollgate'): string {
  return `${prefix}-${id}`;
}

export const STREAM = {
  localName: 'tollgate-usage-events',
  /** Retention the CDK stack sets; the dedup horizon must outlive replays within it. */
  retentionHours: 168,
} as const;

/**
 * Event source mapping settings, shared by the CDK stack and the local poller so both
 * deliver batches to the consumer under the same semantics.
 */
export const CONSUMER_SOURCE = {
  /** Lambda's maximum for Kinesis; invocations are also bounded by the 6 MB payload limit. */
  batchSize: 10_000,
  /** Larger batches spread counter writes over more events; usage still lands within seconds. */
  maxBatchingWindowSeconds: 5,
  parallelizationFactor: 2,
  bisectBatchOnError: true,
  /**
   * -1: retry until the records succeed or leave the stream. Never skipping is what keeps the
   * counters' marks gap-free (ADR 0001); poison records never fail a batch (they are quarantined),
   * so only an outage retries, and the iterator-age alarm says so.
   */
  maxRetryAttempts: -1,
  /** -1: up to the stream's retention. */
  maxRecordAgeSeconds: -1,
  reportBatchItemFailures: true,
} as const;
