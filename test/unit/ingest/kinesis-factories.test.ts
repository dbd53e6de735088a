import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../shared/contract/usage-event.js';
import { decodeRecord } from '../../../shared/ingest/decode-record.js';
import {
  ARRIVAL_MS,
  kinesisEvent,
  kinesisRecord,
  makeEvent,
  SHARD_ID,
  STREAM_ARN,
} from '../../factories/events.js';

function dataOf(record: ReturnType<typeof kinesisRecord>): Uint8Array {
  return new Uint8Array(Buffer.from(record.kinesis.data, 'base64'));
}

describe('test factories', () => {
  it('make valid events with unique ids', () => {
    const events = Array.from({ length: 100 }, () => makeEvent());
    expect(new Set(events.map((event) => event.id)).size).toBe(100);
    for (const event of events) expect(validateEvent(event, { arrivalMs: ARRIVAL_MS }).ok).toBe(true);
  });

  it('make a Kinesis record whose data decodes back to its events, keyed by their subject', () => {
    const events = [makeEvent({ subject: 'globex' }), makeEvent({ subject: 'globex' })];
    const record = kinesisRecord(events, { gzip: true });
    expect(record.kinesis.partitionKey).toBe('globex');
    expect(record.eventSourceARN).toBe(STREAM_ARN);
    expect(record.eventID).toBe(`${SHARD_ID}:${record.kinesis.sequenceNumber}`);
    expect(record.kinesis.approximateArrivalTimestamp).toBe(ARRIVAL_MS / 1000);
    const [user] = decodeRecord(dataOf(record), record.kinesis.partitionKey);
    expect(user?.outcome.kind === 'events' && user.outcome.items.map((item) => item.raw)).toEqual(events);
  });

  it('give records of a batch increasing 56-digit sequence numbers', () => {
    const { Records } = kinesisEvent([kinesisRecord(makeEvent()), kinesisRecord(makeEvent())]);
    const [a, b] = Records.map((record) => BigInt(record.kinesis.sequenceNumber));
    expect(Records[0]?.kinesis.sequenceNumber).toHaveLength(56);
    expect(b! > a!).toBe(true);
  });

  it('pass raw bytes through unchanged, with the options given', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const record = kinesisRecord(bytes, {
      partitionKey: 'acme#4',
      shardId: 'shardId-000000000007',
      arrivalMs: 1500,
    });
    expect(dataOf(record)).toEqual(bytes);
    expect(record.kinesis).toMatchObject({ partitionKey: 'acme#4', approximateArrivalTimestamp: 1.5 });
    expect(record.eventID.startsWith('shardId-000000000007:')).toBe(true);
  });
});
