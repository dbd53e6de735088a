import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import type { TenantProfile } from '../catalog/tenant-profile.js';
import type { QuarantineReason } from '../contract/reasons.js';
import type { Quantity } from '../decimal/quantity.js';
import type { EntitlementMode } from './entitlement-split.js';
import type { StreamRecord } from './prepare-batch.js';

/** The catalog version in force. Adapters cache; the domain asks once per batch. */
export interface CatalogSource {
  current(): Promise<CompiledCatalog>;
}

/** Tenant profiles by tenant id; an unknown tenant is absent from the map. */
export interface TenantDirectory {
  profiles(tenants: readonly string[]): Promise<ReadonlyMap<string, TenantProfile>>;
}

export interface ClaimRequest {
  /** `e#{subject}#{id}` or `v#{tenant}#{envelopeId}`. */
  readonly key: string;
  /** The stream record claiming it: `{shardId}/{sequenceNumber}`. */
  readonly by: string;
  readonly expiresAtEpochSeconds: number;
}

export type ClaimOutcome =
  | { readonly status: 'claimed' }
  | { readonly status: 'held'; readonly by: string }
  | { readonly status: 'failed'; readonly error: unknown };

/** Conditional claim markers: one per event (or trusted envelope), first claimer wins. */
export interface DedupStore {
  /** One outcome per request, in order. Keys in one call are distinct. */
  claim(requests: readonly ClaimRequest[]): Promise<ClaimOutcome[]>;
}

export interface MarkCondition {
  /** Attribute holding the mark of one (shard, partition key). */
  readonly attribute: string;
  /** The write holds only records above this mark: the item's mark must be absent or lower. */
  readonly below: string;
  /** The mark after the write: the highest record considered. */
  readonly set: string;
}

/** Values the item held when a conditional write was refused (ALL_OLD). */
export interface ItemSnapshot {
  readonly marks: ReadonlyMap<string, string>;
  readonly numbers: ReadonlyMap<string, Quantity>;
  readonly strings: ReadonlyMap<string, string>;
  readonly numberSets: ReadonlyMap<string, ReadonlySet<number>>;
}

export type WriteOutcome =
  | { readonly ok: true; readonly after: ItemSnapshot }
  | { readonly ok: false; readonly current: ItemSnapshot };

/** Guard on one attribute: absent, or strictly below `value` (MAX, LATEST). */
export interface GreaterThanGuard {
  readonly attribute: string;
  readonly value: Quantity | string;
}

/** Guard on one attribute: absent (`equals` undefined) or exactly `equals` (compare-and-set). */
export interface EqualsGuard {
  readonly attribute: string;
  readonly equals: Quantity | undefined;
}

/** Guard on one attribute: absent or at most `value` (room left under a limit). */
export interface AtMostGuard {
  readonly attribute: string;
  readonly value: Quantity;
}

export interface CounterWrite {
  readonly pk: string;
  readonly sk: string;
  /** Descriptive attributes written with every update (tenant, window, group…). */
  readonly describe: Readonly<Record<string, string | Readonly<Record<string, string>>>>;
  readonly marks: readonly MarkCondition[];
  readonly add: ReadonlyMap<string, Quantity>;
  readonly addToSet: ReadonlyMap<string, readonly string[]>;
  readonly set: ReadonlyMap<string, Quantity | string>;
  readonly guards: {
    readonly greaterThan?: GreaterThanGuard;
    readonly equals?: readonly EqualsGuard[];
    readonly atMost?: AtMostGuard;
  };
}

/**
 * A counter write refused because the item would outgrow DynamoDB's 400 KB: only distinct-value
 * sets (UNIQUE_COUNT) grow without bound, so the writer retries without them.
 */
export class CounterItemTooLarge extends Error {
  override readonly name = 'CounterItemTooLarge';
  readonly code = 'counter_item_too_large';
}

/**
 * Counter items updated by one conditional write each; the condition is the whole
 * exactly-once argument (marks) plus, for entitlements and MAX/LATEST, the value guard.
 */
export interface UsageCounterStore {
  write(write: CounterWrite): Promise<WriteOutcome>;
  /**
   * Claims threshold percents for publishing: sets `p_{percent}` to `claim` unless that
   * percent is already claimed or in `emitted`.
   */
  claimThresholds(pk: string, sk: string, percents: readonly number[], claim: string): Promise<WriteOutcome>;
  /** Moves threshold percents from their claims (`p_{percent}`) to `emitted`. */
  completeThresholds(pk: string, sk: string, percents: readonly number[]): Promise<void>;
}

export interface QuarantineEntry {
  readonly tenant: string;
  readonly reason: QuarantineReason;
  readonly message: string;
  readonly field?: string;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subIndex: number;
  /** Position of the event in its record's array; -1 for a whole record. */
  readonly eventIndex: number;
  readonly receivedAt: string;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly bytes: Uint8Array;
}

/** Idempotent: the same entry written twice is one item. */
export interface QuarantineStore {
  put(
    entries: readonly QuarantineEntry[],
  ): Promise<Array<{ readonly ok: boolean; readonly error?: unknown }>>;
}

export interface ThresholdCrossing {
  /** Stable id, the same however often it is published: `{tenant}/{entitlement}/{periodStart}/{scope}/{percent}`. */
  readonly id: string;
  readonly tenant: string;
  readonly entitlement: string;
  readonly meter: string;
  readonly mode: EntitlementMode;
  readonly percent: number;
  readonly limit: string;
  readonly used: string;
  readonly overage: string;
  readonly rejected: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly scope?: Readonly<Record<string, string>>;
  readonly blocked: boolean;
}

export interface ThresholdPublisher {
  publish(crossings: readonly ThresholdCrossing[]): Promise<void>;
}

/** Consecutive records of one shard, both ends included (an on-failure destination's batch info). */
export interface StreamRange {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
}

/** Reads records back from the stream, as the consumer received them. */
export interface StreamRangeReader {
  /**
   * The records of the range still in the stream, in order: from `startSequenceNumber` (or the
   * first record left, if the stream has trimmed it) through `endSequenceNumber`, or to the end
   * of the shard; none if the shard itself is gone.
   */
  read(range: StreamRange): Promise<StreamRecord[]>;
}
