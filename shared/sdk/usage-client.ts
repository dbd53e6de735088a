/**
 * `UsageClient`: the producer SDK. An AI service records usage events; the client validates
 * each one with the consumer's own rules, buffers it, and puts the buffer on the stream by
 * count, size or time: packed many events per record (JSON arrays, gzip above a threshold,
 * optional envelopes), partitioned by tenant (optionally salted `tenant#N`), within the
 * PutRecords limits, retrying only what Kinesis did not take (shared/sdk/put-with-retry.ts).
 *
 * Delivery (docs/adr/0006): every event `record` accepted is put on the stream at least once
 * while the process lives long enough for `flush`/`close` (or the exit hook) to finish; the
 * consumer's dedup on (subject, id) makes that exactly once in the counters. An event is never
 * reported sent before Kinesis accepted it. Events still refused after the last attempt go to
 * `onFailed`; events refused by a full buffer go to `onDropped` (policy `drop`); both are
 * counted in `stats()`. Nothing is lost silently; a hard kill loses only what is buffered.
 *
 * Pure: the stream is a port (`PutRecordsTransport`); functions/sdk composes it with Kinesis.
 */

import { monotonicFactory } from 'ulid';
import type { RecordToWrite } from '../ingest/stream-writer.js';
import { registerExitDrain } from './exit-drain.js';
import { type LlmUsage, llmCompletionEvent, type UsageRecorder } from './llm-usage.js';
import { type PackedRecord, packEvents, saltedPartitionKeys } from './pack-records.js';
import {
  type PutRecordsTransport,
  putWithRetry,
  type RetryInfo,
  type RetryOptions,
} from './put-with-retry.js';
import {
  type AttributionContext,
  mergeContext,
  type PreparedEvent,
  prepareEvent,
  type UsageEventInput,
} from './usage-event-input.js';

export type FullBufferPolicy = 'block' | 'drop';

export interface DeliveryHooks {
  /** Records Kinesis accepted (each PutRecords request). */
  readonly onSent?: (info: {
    readonly events: number;
    readonly records: number;
    readonly bytes: number;
  }) => void;
  /** Records about to be resent (after a refusal or a failed request). */
  readonly onRetry?: (info: RetryInfo) => void;
  /** Events still not taken after the last attempt (or refused for good). Default: a line on stderr. */
  readonly onFailed?: (
    events: readonly PreparedEvent[],
    error: { readonly code: string; readonly message: string },
  ) => void;
  /** An event refused because the buffer was full (policy `drop`). */
  readonly onDropped?: (event: PreparedEvent, reason: 'buffer_full') => void;
}

export interface UsageClientOptions {
  readonly transport: PutRecordsTransport;
  /** Attribution for every event: tenant, source, workspace/project/agent. */
  readonly context?: AttributionContext;
  /** Flush when this many events are buffered (default 500). */
  readonly maxBatchEvents?: number;
  /** Flush when this many bytes of event JSON are buffered (default 512 KiB). */
  readonly maxBatchBytes?: number;
  /** Flush an event at most this long after it was recorded (default 1,000 ms). */
  readonly lingerMs?: number;
  /** Bound on events held (buffered or being sent) (default 100,000). */
  readonly maxBufferedEvents?: number;
  /** Bound on event JSON bytes held (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /** When the bound is reached: `block` (default) makes `record` wait for room; `drop` refuses the event, counts it and calls `onDropped`. */
  readonly whenFull?: FullBufferPolicy;
  /** Gzip records of at least this many bytes (default 1,024); `false` never. */
  readonly gzipMinBytes?: number | false;
  /** Wrap each record in a `{envelopeId, events}` envelope for the consumer's cheap envelope dedup (default false; ADR 0002: an event re-recorded into a new envelope is counted again). */
  readonly envelopes?: boolean;
  /** Partition keys per tenant, for hot tenants: `{ acme: 4 }` spreads acme over `acme#0`…`acme#3`. */
  readonly partitionKeySalt?: Readonly<Record<string, number>> | ((subject: string) => number);
  /** Backoff and attempts (default 8 attempts, 100 ms doubling to 5 s, full jitter). */
  readonly retry?: Omit<RetryOptions, 'onRetry'>;
  /** PutRecords requests in flight at once (default 4). */
  readonly maxConcurrentRequests?: number;
  readonly hooks?: DeliveryHooks;
  /** Drain on SIGTERM/SIGINT and before the process exits (default true). */
  readonly drainOnExit?: boolean;
  /** Longest wait for the drain on a signal (default 10 s). */
  readonly drainTimeoutMs?: number;
  /** Epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** New ids for events and envelopes (default: monotonic ULIDs). */
  readonly newId?: () => string;
}

export interface UsageClientStats {
  /** Events `record` accepted (buffered). */
  readonly recorded: number;
  /** Held now: waiting in the buffer, or in a request not yet answered. */
  readonly buffered: number;
  readonly inFlight: number;
  /** Waiting for room (policy `block`). */
  readonly blocked: number;
  /** Accepted by Kinesis. */
  readonly sentEvents: number;
  readonly sentRecords: number;
  /** Bytes of record data Kinesis accepted (after gzip), and the same records' JSON before gzip. */
  readonly sentBytes: number;
  readonly sentUncompressedBytes: number;
  readonly requests: number;
  /** Record resends. */
  readonly retriedRecords: number;
  /** Events given to `onFailed`. */
  readonly failedEvents: number;
  /** Events given to `onDropped`. */
  readonly droppedEvents: number;
}

export interface RecordReceipt {
  readonly id: string;
  readonly status: 'buffered' | 'dropped';
}

export class UsageClientClosedError extends Error {
  override readonly name = 'UsageClientClosedError';
  constructor() {
    super('usage client: closed; create a new client to record more events');
  }
}

interface Waiter {
  readonly event: PreparedEvent;
  readonly resolve: (receipt: RecordReceipt) => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function defaultOnFailed(events: readonly PreparedEvent[], error: { code: string; message: string }): void {
  process.stderr.write(
    `tollgate usage client: ${events.length} events not delivered (${error.code}: ${error.message}); set hooks.onFailed to keep them\n`,
  );
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`usage client: ${name} must be a positive integer (got ${value})`);
  }
  return value;
}

export class UsageClient implements UsageRecorder {
  private readonly transport: PutRecordsTransport;
  private readonly context: AttributionContext;
  private readonly maxBatchEvents: number;
  private readonly maxBatchBytes: number;
  private readonly lingerMs: number;
  private readonly maxHeldEvents: number;
  private readonly maxHeldBytes: number;
  private readonly whenFull: FullBufferPolicy;
  private readonly gzipMinBytes: number | undefined;
  private readonly maxConcurrent: number;
  private readonly hooks: DeliveryHooks;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly retry: Omit<RetryOptions, 'onRetry'>;
  private readonly partitionKeys: ReturnType<typeof saltedPartitionKeys> | undefined;
  private readonly envelopes: boolean;

  private buffer: PreparedEvent[] = [];
  private bufferBytes = 0;
  private heldEvents = 0;
  private heldBytes = 0;
  private readonly waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly running = new Set<Promise<void>>();
  private activeRequests = 0;
  private readonly requestSlots: Array<() => void> = [];
  private closed = false;
  private unregisterExit: (() => void) | undefined;
  private readonly counters: Mutable<Omit<UsageClientStats, 'buffered' | 'inFlight' | 'blocked'>> = {
    recorded: 0,
    sentEvents: 0,
    sentRecords: 0,
    sentBytes: 0,
    sentUncompressedBytes: 0,
    requests: 0,
    retriedRecords: 0,
    failedEvents: 0,
    droppedEvents: 0,
  };

  constructor(options: UsageClientOptions) {
    this.transport = options.transport;
    this.context = options.context ?? {};
    this.maxBatchEvents = positiveInteger('maxBatchEvents', options.maxBatchEvents, 500);
    this.maxBatchBytes = positiveInteger('maxBatchBytes', options.maxBatchBytes, 512 * 1024);
    this.lingerMs = options.lingerMs ?? 1_000;
    if (!Number.isFinite(this.lingerMs) || this.lingerMs < 0) {
      throw new RangeError(`usage client: lingerMs must be ≥ 0 (got ${options.lingerMs})`);
    }
    this.maxHeldEvents = positiveInteger('maxBufferedEvents', options.maxBufferedEvents, 100_000);
    this.maxHeldBytes = positiveInteger('maxBufferedBytes', options.maxBufferedBytes, 64 * 1024 * 1024);
    this.whenFull = options.whenFull ?? 'block';
    if (this.whenFull !== 'block' && this.whenFull !== 'drop') {
      throw new RangeError(`usage client: whenFull must be "block" or "drop" (got ${String(this.whenFull)})`);
    }
    this.gzipMinBytes = options.gzipMinBytes === false ? undefined : (options.gzipMinBytes ?? 1_024);
    this.maxConcurrent = positiveInteger('maxConcurrentRequests', options.maxConcurrentRequests, 4);
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? monotonicFactory();
    this.retry = options.retry ?? {};
    this.envelopes = options.envelopes ?? false;
    const salt = options.partitionKeySalt;
    if (salt !== undefined) {
      const saltOf = typeof salt === 'function' ? salt : (subject: string) => salt[subject] ?? 1;
      this.partitionKeys = saltedPartitionKeys((subject) => {
        const n = saltOf(subject);
        return Number.isInteger(n) && n >= 1 ? n : 1;
      });
    }
    if (options.drainOnExit ?? true) {
      this.unregisterExit = registerExitDrain(this, options.drainTimeoutMs ?? 10_000);
    }
  }

  /**
   * Validates the event (throws `InvalidUsageEventError` naming the field, or
   * `UsageClientClosedError`) and buffers it. The promise resolves once the event is buffered:
   * at once, unless the buffer is full and the policy is `block`; it never rejects. Delivery is
   * confirmed by `flush()`.
   */
  record(event: UsageEventInput, context?: AttributionContext): Promise<RecordReceipt> {
    return this.accept(this.prepare(event, context));
  }

  /** Records one model call as an `llm.completion` event; returns its id at once. */
  trackUsage(usage: LlmUsage, context?: AttributionContext): string {
    const prepared = this.prepare(llmCompletionEvent(usage), context);
    void this.accept(prepared);
    return prepared.id;
  }

  private prepare(event: UsageEventInput, context: AttributionContext | undefined): PreparedEvent {
    if (this.closed) throw new UsageClientClosedError();
    return prepareEvent(event, {
      context: context === undefined ? this.context : mergeContext(this.context, context),
      now: this.now,
      newId: this.newId,
    });
  }

  /** A view that records with more context (e.g. per request: the agent); it shares this client's buffer. */
  withContext(context: AttributionContext): UsageRecorder & {
    record(event: UsageEventInput): Promise<RecordReceipt>;
  } {
    return {
      record: (event) => this.record(event, context),
      trackUsage: (usage, more) => this.trackUsage(usage, mergeContext(context, more)),
    };
  }

  /** Sends everything recorded so far; resolves when each event was accepted or given to `onFailed`. */
  async flush(): Promise<void> {
    for (;;) {
      this.admitWaiters();
      if (this.buffer.length > 0) this.startFlush();
      if (this.running.size === 0 && this.buffer.length === 0 && this.waiters.length === 0) return;
      await Promise.race(this.running);
    }
  }

  /** Flushes, then refuses new events; idempotent. */
  async close(): Promise<UsageClientStats> {
    this.closed = true;
    await this.flush();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.unregisterExit?.();
    this.unregisterExit = undefined;
    return this.stats();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): UsageClientStats {
    return {
      ...this.counters,
      buffered: this.heldEvents,
      inFlight: this.heldEvents - this.buffer.length,
      blocked: this.waiters.length,
    };
  }

  private hasRoom(event: PreparedEvent): boolean {
    // An event larger than the whole bound is still admitted into an empty buffer.
    if (this.heldEvents === 0) return true;
    return this.heldEvents + 1 <= this.maxHeldEvents && this.heldBytes + event.bytes <= this.maxHeldBytes;
  }

  private accept(event: PreparedEvent): Promise<RecordReceipt> {
    if (this.waiters.length === 0 && this.hasRoom(event)) {
      this.enqueue(event);
      return Promise.resolve({ id: event.id, status: 'buffered' });
    }
    // Full. Blocked callers are bounded too: past another bound's worth, even `block` drops.
    if (this.whenFull === 'drop' || this.waiters.length >= this.maxHeldEvents) {
      this.counters.droppedEvents += 1;
      this.hooks.onDropped?.(event, 'buffer_full');
      if (this.hooks.onDropped === undefined) {
        process.stderr.write(
          `tollgate usage client: buffer full, event ${event.id} dropped; set hooks.onDropped\n`,
        );
      }
      return Promise.resolve({ id: event.id, status: 'dropped' });
    }
    return new Promise((resolve) => {
      this.waiters.push({ event, resolve });
      // Make room: what is buffered goes out now.
      if (this.buffer.length > 0) this.startFlush();
    });
  }

  private enqueue(event: PreparedEvent): void {
    this.buffer.push(event);
    this.bufferBytes += event.bytes;
    this.heldEvents += 1;
    this.heldBytes += event.bytes;
    this.counters.recorded += 1;
    if (this.buffer.length >= this.maxBatchEvents || this.bufferBytes >= this.maxBatchBytes) {
      this.startFlush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.buffer.length > 0) this.startFlush();
      }, this.lingerMs);
      // The linger timer alone never keeps a process alive; the exit hook drains instead.
      this.timer.unref?.();
    }
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0) {
      const next = this.waiters[0] as Waiter;
      if (!this.hasRoom(next.event)) return;
      this.waiters.shift();
      this.enqueue(next.event);
      next.resolve({ id: next.event.id, status: 'buffered' });
    }
  }

  /** Takes the whole buffer and sends it in the background. */
  private startFlush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const events = this.buffer;
    if (events.length === 0) return;
    this.buffer = [];
    this.bufferBytes = 0;
    const task = this.send(events).finally(() => {
      this.running.delete(task);
      this.admitWaiters();
    });
    this.running.add(task);
  }

  private pack(events: readonly PreparedEvent[]) {
    return packEvents(events, {
      ...(this.partitionKeys === undefined ? {} : this.partitionKeys),
      ...(this.gzipMinBytes === undefined ? {} : { gzipMinBytes: this.gzipMinBytes }),
      ...(this.envelopes ? { envelopeId: this.newId } : {}),
    });
  }

  private async send(events: readonly PreparedEvent[]): Promise<void> {
    const { records, oversized } = this.pack(events);
    if (oversized.length > 0) {
      // prepareEvent refuses events this large; a salted key can still tip one over.
      this.release(oversized);
      this.fail(oversized, { code: 'payload_too_large', message: 'the event does not fit a Kinesis record' });
    }
    // Requests of ≤ 500 records / 5 MiB, at most `maxConcurrent` in flight across flushes.
    const chunks: PackedRecord<PreparedEvent>[][] = [];
    for (let i = 0; i < records.length; i += 500) chunks.push(records.slice(i, i + 500));
    await Promise.all(chunks.map((chunk) => this.withSlot(() => this.sendChunk(chunk))));
  }

  private async sendChunk(records: readonly PackedRecord<PreparedEvent>[]): Promise<void> {
    const toWrite: RecordToWrite[] = records.map((r) => ({ partitionKey: r.partitionKey, data: r.data }));
    const result = await putWithRetry(this.transport, toWrite, {
      ...this.retry,
      onRetry: (info) => {
        this.counters.retriedRecords += info.records;
        this.hooks.onRetry?.(info);
      },
    });
    this.counters.requests += result.requests;
    let events = 0;
    let bytes = 0;
    let accepted = 0;
    const failures = new Map<string, { message: string; events: PreparedEvent[] }>();
    result.outcomes.forEach((outcome, i) => {
      const record = records[i] as PackedRecord<PreparedEvent>;
      this.release(record.events);
      if (outcome.ok) {
        accepted += 1;
        events += record.eventCount;
        bytes += record.data.byteLength;
        this.counters.sentUncompressedBytes += record.uncompressedBytes;
      } else {
        const entry = failures.get(outcome.errorCode) ?? { message: outcome.message, events: [] };
        entry.events.push(...record.events);
        failures.set(outcome.errorCode, entry);
      }
    });
    this.counters.sentEvents += events;
    this.counters.sentRecords += accepted;
    this.counters.sentBytes += bytes;
    if (accepted > 0) this.hooks.onSent?.({ events, records: accepted, bytes });
    for (const [code, { message, events: failed }] of failures) this.fail(failed, { code, message });
  }

  private release(events: readonly PreparedEvent[]): void {
    for (const event of events) {
      this.heldEvents -= 1;
      this.heldBytes -= event.bytes;
    }
  }

  private fail(events: readonly PreparedEvent[], error: { code: string; message: string }): void {
    this.counters.failedEvents += events.length;
    (this.hooks.onFailed ?? defaultOnFailed)(events, error);
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (this.activeRequests >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.requestSlots.push(resolve));
    } else {
      this.activeRequests += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.requestSlots.shift();
      if (next === undefined) this.activeRequests -= 1;
      else next();
    }
  }
}
