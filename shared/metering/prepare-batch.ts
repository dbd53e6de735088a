import type { Meter } from '../catalog/catalog.js';
import type { CompiledCatalog } from '../catalog/compiled-catalog.js';
import {
  type EffectiveEntitlement,
  effectiveEntitlements,
  type TenantProfile,
} from '../catalog/tenant-profile.js';
import type { QuarantineReason } from '../contract/reasons.js';
import { type UsageEvent, validateEvent } from '../contract/usage-event.js';
import { parseQuantity, type Quantity, quantityFromNumber, quantityOf } from '../decimal/quantity.js';
import { decodeRecord } from '../ingest/decode-record.js';
import { envelopeClaimKey, eventClaimKey, tenantOfPartitionKey } from './counter-keys.js';
import { markAttribute, markOf } from './marks.js';
import type { QuarantineEntry } from './ports.js';

/** One Kinesis record as the consumer receives it. */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrivalMs: number;
}

/** A valid event, with where it came from in the batch. */
export interface DecodedEvent {
  readonly recordIndex: number;
  readonly subIndex: number;
  readonly eventIndex: number;
  readonly envelopeId?: string;
  readonly event: UsageEvent;
  readonly bytes: () => Uint8Array;
}

export interface DecodedBatch {
  readonly events: readonly DecodedEvent[];
  readonly quarantine: readonly QuarantineEntry[];
  /** Events and records seen, for metrics. */
  readonly eventCount: number;
}

function quarantineOf(
  record: StreamRecord,
  fields: {
    tenant?: string;
    reason: QuarantineReason;
    message: string;
    field?: string;
    subIndex: number;
    eventIndex: number;
    partitionKey?: string;
    eventId?: string;
    eventType?: string;
    bytes: Uint8Array;
  },
): QuarantineEntry {
  const partitionKey = fields.partitionKey ?? record.partitionKey;
  return {
    tenant: fields.tenant ?? tenantOfPartitionKey(partitionKey),
    reason: fields.reason,
    message: fields.message,
    ...(fields.field === undefined ? {} : { field: fields.field }),
    partitionKey,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    subIndex: fields.subIndex,
    eventIndex: fields.eventIndex,
    receivedAt: new Date(record.arrivalMs).toISOString(),
    ...(fields.eventId === undefined ? {} : { eventId: fields.eventId }),
    ...(fields.eventType === undefined ? {} : { eventType: fields.eventType }),
    bytes: fields.bytes,
  };
}

/** Decodes every record and validates every event against the contract (pure). */
export function decodeBatch(records: readonly StreamRecord[]): DecodedBatch {
  const events: DecodedEvent[] = [];
  const quarantine: QuarantineEntry[] = [];
  let eventCount = 0;
  records.forEach((record, recordIndex) => {
    for (const user of decodeRecord(record.data, record.partitionKey)) {
      const outcome = user.outcome;
      if (outcome.kind === 'failed') {
        eventCount += 1;
        quarantine.push(
          quarantineOf(record, {
            reason: outcome.reason,
            message: outcome.message,
            subIndex: user.subIndex,
            eventIndex: -1,
            partitionKey: user.partitionKey,
            bytes: outcome.bytes,
          }),
        );
        continue;
      }
      for (const item of outcome.items) {
        eventCount += 1;
        const result = validateEvent(item.raw, { arrivalMs: record.arrivalMs });
        if (result.ok) {
          events.push({
            recordIndex,
            subIndex: user.subIndex,
            eventIndex: item.index,
            ...(outcome.envelopeId === undefined ? {} : { envelopeId: outcome.envelopeId }),
            event: result.event,
            bytes: item.bytes,
          });
        } else {
          quarantine.push(
            quarantineOf(record, {
              ...(result.subject === undefined ? {} : { tenant: result.subject }),
              reason: result.reason,
              message: result.message,
              field: result.field,
              subIndex: user.subIndex,
              eventIndex: item.index,
              partitionKey: user.partitionKey,
              ...(result.id === undefined ? {} : { eventId: result.id }),
              ...(result.type === undefined ? {} : { eventType: result.type }),
              bytes: item.bytes(),
            }),
          );
        }
      }
    }
  });
  return { events, quarantine, eventCount };
}

/** What one event adds to one meter. */
export interface MeterContribution {
  readonly meter: Meter;
  /** SUM, COUNT, MAX, LATEST: the amount. */
  readonly amount?: Quantity;
  /** UNIQUE_COUNT: the distinct value. */
  readonly distinct?: string;
}

/** An event that passed every check and may be counted once its claim is won. */
export interface CountableEvent {
  readonly recordIndex: number;
  readonly markAttribute: string;
  readonly mark: string;
  /** `{shardId}/{sequenceNumber}` of its record: the claim's owner. */
  readonly recordId: string;
  readonly claimKey: string;
  readonly envelope: boolean;
  readonly event: UsageEvent;
  readonly profile: TenantProfile;
  readonly entitlements: readonly EffectiveEntitlement[];
  readonly contributions: readonly MeterContribution[];
}

export interface ClassifiedBatch {
  readonly countable: readonly CountableEvent[];
  readonly quarantine: readonly QuarantineEntry[];
}

type ValueResult =
  | { ok: true; contribution?: MeterContribution }
  | { ok: false; field: string; message: string };

const ONE = quantityOf(1);

function contributionOf(meter: Meter, data: Readonly<Record<string, string | number>>): ValueResult {
  if (meter.aggregation === 'COUNT') return { ok: true, contribution: { meter, amount: ONE } };
  const raw = data[meter.valueProperty];
  if (raw === undefined) return { ok: true };
  if (meter.aggregation === 'UNIQUE_COUNT') {
    const distinct = String(raw);
    return distinct === '' ? { ok: true } : { ok: true, contribution: { meter, distinct } };
  }
  const parsed = typeof raw === 'number' ? quantityFromNumber(raw) : parseQuantity(raw);
  if (!parsed.ok) {
    return {
      ok: false,
      field: `data.${meter.valueProperty}`,
      message: `data.${meter.valueProperty}: meter ${meter.key} needs a decimal number ≥ 0 with at most 18 significant digits (${parsed.failure.replaceAll('_', ' ')})`,
    };
  }
  if (parsed.value === 0n && meter.aggregation === 'SUM') return { ok: true };
  return { ok: true, contribution: { meter, amount: parsed.value } };
}

export interface ClassifyOptions {
  /** Count envelope records by one claim per envelope (trusted producers). */
  readonly envelopeDedup: boolean;
}

/**
 * Files every valid event as countable or quarantined: unknown or suspended tenant, a type no
 * meter selects, a value a meter cannot read (pure, given the catalog and the tenants).
 */
export function classifyEvents(
  records: readonly StreamRecord[],
  events: readonly DecodedEvent[],
  catalog: CompiledCatalog,
  profiles: ReadonlyMap<string, TenantProfile>,
  options: ClassifyOptions,
): ClassifiedBatch {
  const countable: CountableEvent[] = [];
  const quarantine: QuarantineEntry[] = [];
  const entitlementCache = new Map<string, readonly EffectiveEntitlement[] | null>();
  // Where a record sits in the stream, computed once per record rather than per event.
  const positions = new Map<number, { markAttribute: string; mark: string; recordId: string }>();
  const positionOf = (recordIndex: number, record: StreamRecord) => {
    let position = positions.get(recordIndex);
    if (position === undefined) {
      position = {
        markAttribute: markAttribute(record.shardId, record.partitionKey),
        mark: markOf(record.sequenceNumber),
        recordId: `${record.shardId}/${record.sequenceNumber}`,
      };
      positions.set(recordIndex, position);
    }
    return position;
  };
  for (const decoded of events) {
    const record = records[decoded.recordIndex]!;
    const { event } = decoded;
    const reject = (reason: QuarantineReason, message: string, field?: string) =>
      quarantine.push(
        quarantineOf(record, {
          tenant: event.subject,
          reason,
          message,
          ...(field === undefined ? {} : { field }),
          subIndex: decoded.subIndex,
          eventIndex: decoded.eventIndex,
          eventId: event.id,
          eventType: event.type,
          bytes: decoded.bytes(),
        }),
      );
    const profile = profiles.get(event.subject);
    if (profile === undefined) {
      reject('unknown_tenant', `subject: tenant "${event.subject}" has not been set up`, 'subject');
      continue;
    }
    if (profile.status === 'suspended') {
      reject('tenant_suspended', `subject: tenant "${event.subject}" is suspended`, 'subject');
      continue;
    }
    const meters = catalog.metersForType(event.type);
    if (meters.length === 0) {
      reject('unmetered_type', `type: no meter selects events of type "${event.type}"`, 'type');
      continue;
    }
    const contributions: MeterContribution[] = [];
    let invalid: { field: string; message: string } | undefined;
    for (const meter of meters) {
      const result = contributionOf(meter, event.data);
      if (!result.ok) {
        invalid = result;
        break;
      }
      if (result.contribution) contributions.push(result.contribution);
    }
    if (invalid) {
      reject('invalid_number', invalid.message, invalid.field);
      continue;
    }
    let entitlements = entitlementCache.get(profile.tenant);
    if (entitlements === undefined) {
      entitlements =
        catalog.plan(profile.plan) === undefined ? null : effectiveEntitlements(catalog, profile);
      entitlementCache.set(profile.tenant, entitlements);
    }
    if (entitlements === null) {
      reject(
        'unknown_plan',
        `subject: tenant "${event.subject}" is on plan "${profile.plan}", which the active catalog does not define`,
        'subject',
      );
      continue;
    }
    const envelope = options.envelopeDedup && decoded.envelopeId !== undefined;
    countable.push({
      recordIndex: decoded.recordIndex,
      ...positionOf(decoded.recordIndex, record),
      claimKey: envelope
        ? envelopeClaimKey(tenantOfPartitionKey(record.partitionKey), decoded.envelopeId!)
        : eventClaimKey(event.subject, event.id),
      envelope,
      event,
      profile,
      entitlements,
      contributions,
    });
  }
  return { countable, quarantine };
}
