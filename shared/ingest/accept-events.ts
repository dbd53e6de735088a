/**
 * HTTP ingest's use case: a batch of events from one ingest key onto the usage-event stream.
 *
 *   throttle (requests: 1, events: n) → validate each event as the consumer will
 *   (`validateEvent`, arrival = now) and hold it to the key's tenant → pack the valid ones
 *   (`packEvents`: JSON arrays per tenant, gzip above 1 KiB, partition key = tenant) → put them
 *   → one result per event, in input order.
 *
 * Nothing is lost silently: every event is `accepted` (on the stream), `rejected` (with a reason
 * code and the field; sending it again will not help) or `failed` (the stream refused its
 * record after retries; send it again — the consumer counts a (subject, id) once).
 *
 * Records are plain arrays, never envelopes: an envelope is deduplicated by its id, and a
 * client resending an event in a new HTTP request would make a new envelope (ADR 0002). Per
 * event dedup makes a resend harmless.
 */
import type { QuarantineReason } from '../contract/reasons.js';
import { validateEvent } from '../contract/usage-event.js';
import { packEvents } from '../sdk/pack-records.js';
import type { BatchItem } from './event-batch.js';
import type { RateDecision, RateLimiter, RateLimits } from './rate-limit.js';
import type { RecordWriteOutcome, StreamWriter } from './stream-writer.js';

/** Records of at least this many bytes are gzipped (when that makes them smaller). */
export const INGEST_GZIP_MIN_BYTES = 1024;

/** Why an event was not taken: a contract reason, or an event for a tenant the key may not send for. */
export type IngestRejectReason = QuarantineReason | 'forbidden_subject';

export type EventResult =
  | { readonly index: number; readonly id: string; readonly status: 'accepted' }
  | {
      readonly index: number;
      readonly id?: string;
      readonly status: 'rejected';
      readonly reason: IngestRejectReason;
      readonly field?: string;
      readonly message: string;
    }
  | {
      readonly index: number;
      readonly id: string;
      readonly status: 'failed';
      readonly reason: 'stream_refused';
      readonly message: string;
    };

/** Who is sending: the tenant and id of the ingest key, and the limits it is held to. */
export interface IngestCaller {
  readonly tenant: string;
  readonly keyId: string;
  readonly limits: RateLimits;
}

export interface AcceptEventsDeps {
  readonly stream: StreamWriter;
  readonly limiter: RateLimiter;
  /** Epoch milliseconds: the events' arrival time. */
  readonly clock: () => number;
  /** Told about a limiter that failed (the request is let through) and records the stream refused. */
  readonly logError: (message: string, details: Readonly<Record<string, unknown>>) => void;
}

export type AcceptEventsOutcome =
  | { readonly kind: 'throttled'; readonly decision: Extract<RateDecision, { allowed: false }> }
  | {
      readonly kind: 'processed';
      readonly accepted: number;
      readonly rejected: number;
      readonly failed: number;
      /** One per event, in input order. */
      readonly results: readonly EventResult[];
      /** Some events were valid and none of them could be put: the stream is failing. */
      readonly streamUnavailable: boolean;
    };

/** The rate limiter's subject for a key: tenant and key id (a key id is unique per tenant). */
export function rateLimitSubject(caller: Pick<IngestCaller, 'tenant' | 'keyId'>): string {
  return `${caller.tenant}#${caller.keyId}`;
}

interface ValidEvent {
  readonly index: number;
  readonly id: string;
  readonly subject: string;
  readonly json: string;
}

async function throttle(
  items: readonly BatchItem[],
  caller: IngestCaller,
  deps: AcceptEventsDeps,
): Promise<RateDecision> {
  try {
    return await deps.limiter.take(
      rateLimitSubject(caller),
      { requests: 1, events: items.length },
      caller.limits,
    );
  } catch (error) {
    // The limiter protects the stream; it must not become a reason to lose events.
    deps.logError('rate limiter failed; the request is let through', {
      tenant: caller.tenant,
      keyId: caller.keyId,
      error,
    });
    return { allowed: true };
  }
}

function validate(
  items: readonly BatchItem[],
  caller: IngestCaller,
  arrivalMs: number,
  results: EventResult[],
): ValidEvent[] {
  const valid: ValidEvent[] = [];
  for (const item of items) {
    const validation = validateEvent(item.raw, { arrivalMs });
    if (!validation.ok) {
      results[item.index] = {
        index: item.index,
        ...(validation.id === undefined ? {} : { id: validation.id }),
        status: 'rejected',
        reason: validation.reason,
        ...(validation.field === '' ? {} : { field: validation.field }),
        message: validation.message,
      };
    } else if (validation.event.subject !== caller.tenant) {
      results[item.index] = {
        index: item.index,
        id: validation.event.id,
        status: 'rejected',
        reason: 'forbidden_subject',
        field: 'subject',
        message: `subject: "${validation.event.subject}" is not the tenant of ingest key ${caller.keyId} ("${caller.tenant}")`,
      };
    } else {
      valid.push({ index: item.index, id: validation.event.id, subject: caller.tenant, json: item.json });
    }
  }
  return valid;
}

async function put(
  records: readonly { partitionKey: string; data: Uint8Array }[],
  caller: IngestCaller,
  deps: AcceptEventsDeps,
): Promise<RecordWriteOutcome[]> {
  if (records.length === 0) return [];
  try {
    return await deps.stream.putRecords(records);
  } catch (error) {
    // The port promises an outcome per record; a writer that throws anyway fails them all.
    const name = error instanceof Error ? error.name : 'Error';
    deps.logError('stream writer threw', { tenant: caller.tenant, keyId: caller.keyId, error });
    return records.map(() => ({ ok: false, errorCode: name, message: 'the stream writer failed' }));
  }
}

export async function acceptEvents(
  items: readonly BatchItem[],
  caller: IngestCaller,
  deps: AcceptEventsDeps,
): Promise<AcceptEventsOutcome> {
  const arrivalMs = deps.clock();
  const decision = await throttle(items, caller, deps);
  if (!decision.allowed) return { kind: 'throttled', decision };

  const results: EventResult[] = new Array(items.length);
  const valid = validate(items, caller, arrivalMs, results);
  const { records, oversized } = packEvents(valid, { gzipMinBytes: INGEST_GZIP_MIN_BYTES });
  for (const event of oversized) {
    results[event.index] = {
      index: event.index,
      id: event.id,
      status: 'rejected',
      reason: 'payload_too_large',
      message: 'event: is larger than a stream record (1 MiB with its tenant)',
    };
  }
  const outcomes = await put(records, caller, deps);
  const refusedCodes = new Set<string>();
  records.forEach((record, i) => {
    const outcome = outcomes[i];
    for (const event of record.events) {
      if (outcome?.ok === true) {
        results[event.index] = { index: event.index, id: event.id, status: 'accepted' };
      } else {
        const code = outcome?.errorCode ?? 'NoOutcome';
        refusedCodes.add(code);
        results[event.index] = {
          index: event.index,
          id: event.id,
          status: 'failed',
          reason: 'stream_refused',
          message: `the stream refused this event's record after retries (${code}); send the event again, it is counted once`,
        };
      }
    }
  });
  if (refusedCodes.size > 0) {
    deps.logError('stream refused records after retries', {
      tenant: caller.tenant,
      keyId: caller.keyId,
      errorCodes: [...refusedCodes],
    });
  }
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  for (const result of results) {
    if (result.status === 'accepted') accepted += 1;
    else if (result.status === 'rejected') rejected += 1;
    else failed += 1;
  }
  return {
    kind: 'processed',
    accepted,
    rejected,
    failed,
    results,
    streamUnavailable: failed > 0 && accepted === 0,
  };
}
