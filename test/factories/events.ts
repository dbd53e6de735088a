/**
 * Factories for usage events and the Kinesis records that carry them, so tests never paste
 * raw JSON. Everything is deterministic except event ids (ULIDs, unique across test files).
 *
 *   const event = makeEvent({ subject: 'globex', data: { input_tokens: 10 } });
 *   const lambdaEvent = kinesisEvent([kinesisRecord([event, makeEvent()], { gzip: true })]);
 */
import { gzipSync } from 'node:zlib';
import * as kinesisAgg from 'aws-kinesis-agg';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { ulid } from 'ulid';

/** A usage event as a producer writes it (CONTRACT.md). */
export interface WireEvent {
  specversion?: string;
  id: string;
  source?: string;
  type: string;
  subject: string;
  time: string;
  data: Record<string, number | string>;
}

/** The default event time, and an arrival one minute later that accepts it. */
export const EVENT_TIME = '2026-11-29T21:04:05.123Z';
export const ARRIVAL_MS = Date.parse(EVENT_TIME) + 60_000;

export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/tollgate-usage';
export const SHARD_ID = 'shardId-000000000000';

/**
 * Field overrides. A value of `undefined` removes the field; any value is allowed so tests
 * can build invalid events on purpose (the result is then not really a `WireEvent`).
 */
export type EventOverrides = { readonly [K in keyof WireEvent]?: unknown } & {
  readonly [key: string]: unknown;
};

/** A valid contract event with a unique id (an LLM completion for tenant `acme`). */
export function makeEvent(overrides: EventOverrides = {}): WireEvent {
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: ulid(),
    source: 'chat-api',
    type: 'llm.completion',
    subject: 'acme',
    time: EVENT_TIME,
    data: { model: 'gpt-4o', input_tokens: 1200, output_tokens: 350 },
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete event[key];
    else event[key] = value;
  }
  return event as unknown as WireEvent;
}

export interface EncodeOptions {
  readonly gzip?: boolean;
  /** Wrap the events in a trusted-producer envelope `{envelopeId, events}`. */
  readonly envelopeId?: string;
}

/** Record data for one event (an object) or many (an array), as a producer would put it. */
export function encodeRecord(events: object | readonly object[], options: EncodeOptions = {}): Uint8Array {
  const body =
    options.envelopeId === undefined
      ? events
      : { envelopeId: options.envelopeId, events: Array.isArray(events) ? events : [events] };
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return options.gzip ? new Uint8Array(gzipSync(bytes)) : bytes;
}

interface KplAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}

// The library's RecordAggregator exists at runtime but is missing from its type declarations.
const { RecordAggregator } = kinesisAgg as unknown as { RecordAggregator: new () => KplAggregator };

/** A KPL aggregated record (magic, protobuf, MD5) holding the given user records, in order. */
export function aggregateRecords(
  userRecords: readonly { readonly partitionKey: string; readonly data: Uint8Array }[],
): Uint8Array {
  const aggregator = new RecordAggregator();
  for (const record of userRecords) {
    aggregator.addUserRecord({ partitionKey: record.partitionKey, data: Buffer.from(record.data) });
  }
  const built = aggregator.build();
  if (built === undefined) throw new Error('aggregateRecords needs at least one user record');
  return new Uint8Array(built.data);
}

export interface KinesisRecordOptions extends EncodeOptions {
  /** Default: the first event's subject, else `acme`. */
  readonly partitionKey?: string;
  readonly shardId?: string;
  /** Default: the next of an increasing 56-digit sequence. */
  readonly sequenceNumber?: string;
  /** Default: `ARRIVAL_MS`. */
  readonly arrivalMs?: number;
}

const SEQUENCE_BASE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_800n;
let sequence = 0n;

/** The next sequence number: 56 digits, increasing across all records made in this process. */
export function nextSequenceNumber(): string {
  sequence += 1n;
  return (SEQUENCE_BASE + sequence).toString();
}

function subjectOf(events: object | readonly object[]): string | undefined {
  const first: unknown = Array.isArray(events) ? events[0] : events;
  const subject = (first as { subject?: unknown } | undefined)?.subject;
  return typeof subject === 'string' ? subject : undefined;
}

/**
 * A Kinesis stream record as Lambda delivers it. `content` is record data (bytes) or the
 * events to encode with `encodeRecord`.
 */
export function kinesisRecord(
  content: Uint8Array | object | readonly object[],
  options: KinesisRecordOptions = {},
): KinesisStreamRecord {
  const isBytes = content instanceof Uint8Array;
  const data = isBytes ? content : encodeRecord(content, options);
  const shardId = options.shardId ?? SHARD_ID;
  const sequenceNumber = options.sequenceNumber ?? nextSequenceNumber();
  const partitionKey = options.partitionKey ?? (isBytes ? undefined : subjectOf(content)) ?? 'acme';
  return {
    awsRegion: 'us-east-1',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: STREAM_ARN,
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/tollgate-consumer',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: (options.arrivalMs ?? ARRIVAL_MS) / 1000,
    },
  };
}

/** The event a Kinesis-triggered Lambda receives. */
export function kinesisEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

export interface OnFailureRange {
  readonly shardId?: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize?: number;
  readonly streamArn?: string;
}

/**
 * The record a Kinesis event source mapping sends to its on-failure destination (the body of
 * the dead-letter queue's message) for a batch it gave up on.
 */
export function onFailureRecord(range: OnFailureRange) {
  return {
    requestContext: {
      requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tollgate-consumer',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 11,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date(ARRIVAL_MS + 600_000).toISOString(),
    KinesisBatchInfo: {
      shardId: range.shardId ?? SHARD_ID,
      startSequenceNumber: range.startSequenceNumber,
      endSequenceNumber: range.endSequenceNumber,
      approximateArrivalOfFirstRecord: new Date(ARRIVAL_MS).toISOString(),
      approximateArrivalOfLastRecord: new Date(ARRIVAL_MS + 1_000).toISOString(),
      batchSize: range.batchSize ?? 2,
      streamArn: range.streamArn ?? STREAM_ARN,
    },
  };
}
