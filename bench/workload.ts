import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  EVENT_ENVELOPE_BYTES,
  INVOCATION_PAYLOAD_LIMIT_BYTES,
} from '../functions/local/event-source/batch-invocation.js';

export interface WorkloadOptions {
  readonly events: number;
  readonly tenants: number;
  readonly duplicateRate: number;
  readonly eventsPerRecord: number;
  readonly recordsPerBatch: number;
  readonly envelopes: boolean;
  /** Gzip each record's data (the SDK compresses packed records). */
  readonly gzip: boolean;
  readonly seed: number;
}

export interface BenchEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: 'llm.completion';
  readonly subject: string;
  readonly time: string;
  readonly data: Record<string, string | number>;
}

export interface Workload {
  readonly batches: KinesisStreamEvent[];
  /** Distinct events: the ground truth both consumers must count. */
  readonly unique: BenchEvent[];
  readonly totalEvents: number;
  readonly bytes: number;
}

const MODELS = ['gpt-4o', 'claude-sonnet', 'llama-3-70b'];
const WORKSPACES = ['support', 'research'];

/** A deterministic pseudo-random source, so both consumers see the same workload. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export function tenantIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`);
}

/**
 * LLM-completion events for `tenants` tenants, packed per tenant into Kinesis records of
 * `eventsPerRecord` events (as the SDK packs them), with `duplicateRate` of the events sent
 * again in later records (a producer's resends).
 */
export function generateWorkload(options: WorkloadOptions, now: number): Workload {
  const rand = random(options.seed);
  const tenants = tenantIds(options.tenants);
  const uniqueCount = Math.round(options.events * (1 - options.duplicateRate));
  const unique: BenchEvent[] = Array.from({ length: uniqueCount }, (_, i) => ({
    specversion: '1.0',
    id: `evt-${options.seed}-${i}`,
    source: 'bench',
    type: 'llm.completion',
    subject: tenants[Math.floor(rand() * tenants.length)]!,
    time: new Date(now - Math.floor(rand() * 3_600_000)).toISOString(),
    data: {
      model: MODELS[Math.floor(rand() * MODELS.length)]!,
      workspace: WORKSPACES[Math.floor(rand() * WORKSPACES.length)]!,
      project: 'bench',
      agent: `agent-${Math.floor(rand() * 4)}`,
      input_tokens: 100 + Math.floor(rand() * 2000),
      output_tokens: 10 + Math.floor(rand() * 500),
      cached_tokens: Math.floor(rand() * 100),
    },
  }));
  const byTenant = new Map<string, BenchEvent[]>();
  for (const e of unique) byTenant.set(e.subject, [...(byTenant.get(e.subject) ?? []), e]);
  // Records of one tenant's events, tenants interleaved as they would arrive.
  const queues = [...byTenant.values()].map((events) => {
    const chunks: BenchEvent[][] = [];
    for (let i = 0; i < events.length; i += options.eventsPerRecord)
      chunks.push(events.slice(i, i + options.eventsPerRecord));
    return chunks;
  });
  const bodies: Array<{ partitionKey: string; events: BenchEvent[]; envelopeId?: string }> = [];
  while (queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        bodies.push({
          partitionKey: chunk[0]!.subject,
          events: chunk,
          ...(options.envelopes ? { envelopeId: randomUUID() } : {}),
        });
      }
    }
  }
  // Producer resends, later in the stream: with envelopes the whole record is sent again (what
  // a trusted producer's retry does); without, single events come again in new records.
  let resent = uniqueCount;
  const resends: Array<{ partitionKey: string; events: BenchEvent[]; envelopeId?: string }> = [];
  while (resent < options.events) {
    if (options.envelopes) {
      const original = bodies[Math.floor(rand() * bodies.length)]!;
      resends.push(original);
      resent += original.events.length;
    } else {
      const original = unique[Math.floor(rand() * uniqueCount)]!;
      resends.push({ partitionKey: original.subject, events: [original] });
      resent += 1;
    }
  }
  for (const resend of resends) {
    const after = bodies.indexOf(resend) + 1;
    bodies.splice(after + Math.floor(rand() * (bodies.length - after + 1)), 0, resend);
  }
  let totalEvents = 0;
  const encoded = bodies.map((body) => {
    totalEvents += body.events.length;
    const json = Buffer.from(
      JSON.stringify(
        body.envelopeId === undefined ? body.events : { envelopeId: body.envelopeId, events: body.events },
      ),
    );
    return { partitionKey: body.partitionKey, data: options.gzip ? gzipSync(json) : json };
  });
  const { batches, bytes } = streamBatches(encoded, options.recordsPerBatch, now);
  return { batches, unique, totalEvents, bytes };
}

/**
 * Records as the consumer receives them: sequence-numbered stream records in batches as the
 * event source mapping builds them, up to `recordsPerBatch` records and at most 6 MB of
 * invocation payload.
 */
export function streamBatches(
  encoded: ReadonlyArray<{ readonly partitionKey: string; readonly data: Uint8Array }>,
  recordsPerBatch: number,
  now: number,
): { batches: KinesisStreamEvent[]; bytes: number } {
  const records: KinesisStreamRecord[] = [];
  let sequence = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  let bytes = 0;
  for (const body of encoded) {
    sequence += 1n;
    bytes += body.data.byteLength;
    records.push({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: body.partitionKey,
        sequenceNumber: String(sequence),
        data: Buffer.from(body.data).toString('base64'),
        approximateArrivalTimestamp: now / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    });
  }
  const batches: KinesisStreamEvent[] = [];
  let current: KinesisStreamRecord[] = [];
  let payload = 0;
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (
      current.length > 0 &&
      (current.length >= recordsPerBatch ||
        payload + size > INVOCATION_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES)
    ) {
      batches.push({ Records: current });
      current = [];
      payload = 0;
    }
    current.push(record);
    payload += size;
  }
  if (current.length > 0) batches.push({ Records: current });
  return { batches, bytes };
}
