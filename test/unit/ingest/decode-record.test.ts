import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DecodedUserRecord, decodeRecord } from '../../../shared/ingest/decode-record.js';
import { aggregateRecords, encodeRecord, makeEvent } from '../../factories/events.js';

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function eventsOf(user: DecodedUserRecord | undefined) {
  if (user?.outcome.kind !== 'events')
    throw new Error(`expected events, got ${JSON.stringify(user?.outcome)}`);
  return user.outcome;
}

function failureOf(user: DecodedUserRecord | undefined) {
  if (user?.outcome.kind !== 'failed')
    throw new Error(`expected a failure, got ${JSON.stringify(user?.outcome)}`);
  return user.outcome;
}

describe('decodeRecord on a plain record', () => {
  it('yields one event as one item, with the record as its bytes', () => {
    const event = makeEvent();
    const data = encodeRecord(event);
    const [user, ...rest] = decodeRecord(data, 'acme');
    expect(rest).toEqual([]);
    expect(user).toMatchObject({ subIndex: 0, partitionKey: 'acme' });
    const { items } = eventsOf(user);
    expect(items.map((item) => item.raw)).toEqual([event]);
    expect(items[0]?.bytes()).toEqual(data);
  });

  it('yields an array of events as items in order, each with its own source bytes', () => {
    const events = [makeEvent(), makeEvent({ subject: 'globex' }), makeEvent()];
    const data = utf8.encode(JSON.stringify(events, null, 2));
    const { items, envelopeId } = eventsOf(decodeRecord(data, 'acme')[0]);
    expect(envelopeId).toBeUndefined();
    expect(items.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(items.map((item) => item.raw)).toEqual(events);
    expect(text(items[1]!.bytes())).toBe(JSON.stringify(events[1], null, 2).replaceAll('\n', '\n  '));
  });

  it('gunzips a gzip-compressed single event', () => {
    const event = makeEvent();
    const { items } = eventsOf(decodeRecord(encodeRecord(event, { gzip: true }), 'acme')[0]);
    expect(items.map((item) => item.raw)).toEqual([event]);
    expect(text(items[0]!.bytes())).toBe(JSON.stringify(event));
  });

  it('gunzips a gzip-compressed array of events', () => {
    const events = [makeEvent(), makeEvent()];
    const { items } = eventsOf(decodeRecord(encodeRecord(events, { gzip: true }), 'acme')[0]);
    expect(items.map((item) => item.raw)).toEqual(events);
    expect(JSON.parse(text(items[1]!.bytes()))).toEqual(events[1]);
  });

  it('reads an envelope: its id, and its events as items', () => {
    const events = [makeEvent(), makeEvent()];
    const outcome = eventsOf(decodeRecord(encodeRecord(events, { envelopeId: 'batch-0001' }), 'acme')[0]);
    expect(outcome.envelopeId).toBe('batch-0001');
    expect(outcome.items.map((item) => item.raw)).toEqual(events);
    expect(JSON.parse(text(outcome.items[0]!.bytes()))).toEqual(events[0]);
  });

  it('keeps a JSON number of 18 digits exact, as its decimal string', () => {
    const data = utf8.encode(
      `{"id":"a","type":"t","subject":"acme","time":"2026-11-29T21:04:05Z","data":{"tokens":123456789012345678}}`,
    );
    const { items } = eventsOf(decodeRecord(data, 'acme')[0]);
    expect(items[0]?.raw).toMatchObject({ data: { tokens: '123456789012345678' } });
  });

  it('yields an empty array as no items', () => {
    expect(eventsOf(decodeRecord(utf8.encode('[]'), 'acme')[0]).items).toEqual([]);
  });
});

describe('decodeRecord quarantines a record', () => {
  it.each([
    ['with no bytes', new Uint8Array(0), 'empty_record'],
    ['that is invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid_encoding'],
    ['that is a lone UTF-16 surrogate in UTF-8', new Uint8Array([0xed, 0xa0, 0x80]), 'invalid_encoding'],
    ['that is not JSON', utf8.encode('{"id": "a",'), 'invalid_json'],
    ['that is blank', utf8.encode('  \n'), 'invalid_json'],
    ['that is a JSON string', utf8.encode('"an event"'), 'not_an_event'],
    ['that is a JSON number', utf8.encode('42'), 'not_an_event'],
    ['that is JSON null', utf8.encode('null'), 'not_an_event'],
    [
      'with gzip magic but corrupt data',
      new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]),
      'decompression_failed',
    ],
    ['that gunzips to nothing', new Uint8Array(gzipSync(new Uint8Array(0))), 'empty_record'],
  ])('%s as %s, keeping its bytes', (_case, data, reason) => {
    const [user, ...rest] = decodeRecord(data, 'acme#3');
    expect(rest).toEqual([]);
    expect(user).toMatchObject({ subIndex: 0, partitionKey: 'acme#3' });
    expect(failureOf(user)).toMatchObject({ reason, bytes: data });
    expect(failureOf(user).message).toMatch(/^record: /);
  });

  it('that is truncated gzip as decompression_failed', () => {
    const gzipped = encodeRecord(makeEvent(), { gzip: true });
    const data = gzipped.subarray(0, gzipped.length - 6);
    expect(failureOf(decodeRecord(data, 'acme')[0]).reason).toBe('decompression_failed');
  });

  it('that gunzips beyond the limit (a gzip bomb) as payload_too_large', () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(5 * 1024 * 1024)));
    const [user] = decodeRecord(bomb, 'acme', { maxDecompressedBytes: 1024 * 1024 });
    expect(failureOf(user)).toMatchObject({ reason: 'payload_too_large', bytes: bomb });
  });

  it('that is larger than the limit uncompressed as payload_too_large', () => {
    const data = encodeRecord([makeEvent(), makeEvent()]);
    const [user] = decodeRecord(data, 'acme', { maxDecompressedBytes: data.length - 1 });
    expect(failureOf(user).reason).toBe('payload_too_large');
  });

  it('at exactly the limit, once gunzipped, as events', () => {
    const json = encodeRecord(makeEvent());
    const [user] = decodeRecord(new Uint8Array(gzipSync(json)), 'acme', {
      maxDecompressedBytes: json.length,
    });
    expect(eventsOf(user).items).toHaveLength(1);
  });

  it.each([
    ['an envelope id that is not a string', { envelopeId: 7, events: [] }, 'envelopeId'],
    ['an empty envelope id', { envelopeId: '', events: [] }, 'envelopeId'],
    ['an envelope id of 129 characters', { envelopeId: 'e'.repeat(129), events: [] }, 'envelopeId'],
    ['no events', { envelopeId: 'batch-1' }, 'events'],
    ['events that are not an array', { envelopeId: 'batch-1', events: { id: 'a' } }, 'events'],
    ['another member', { envelopeId: 'batch-1', events: [], tenant: 'acme' }, 'tenant'],
  ])('that is an envelope with %s as invalid_envelope naming the member', (_case, envelope, member) => {
    const outcome = failureOf(decodeRecord(utf8.encode(JSON.stringify(envelope)), 'acme')[0]);
    expect(outcome.reason).toBe('invalid_envelope');
    expect(outcome.message).toMatch(new RegExp(`^${member}: `));
  });
});

describe('decodeRecord on a KPL aggregated record', () => {
  const first = makeEvent({ subject: 'acme' });
  const second = [makeEvent({ subject: 'globex' }), makeEvent({ subject: 'globex' })];
  const third = makeEvent({ subject: 'initech' });
  const aggregate = () =>
    aggregateRecords([
      { partitionKey: 'acme', data: encodeRecord(first) },
      { partitionKey: 'globex#2', data: encodeRecord(second, { gzip: true }) },
      { partitionKey: 'initech', data: encodeRecord(third, { envelopeId: 'env-1' }) },
    ]);

  it('yields one user record per sub-record, with its own partition key and index', () => {
    const users = decodeRecord(aggregate(), 'outer-key');
    expect(users.map(({ subIndex, partitionKey }) => ({ subIndex, partitionKey }))).toEqual([
      { subIndex: 0, partitionKey: 'acme' },
      { subIndex: 1, partitionKey: 'globex#2' },
      { subIndex: 2, partitionKey: 'initech' },
    ]);
    expect(eventsOf(users[0]).items.map((item) => item.raw)).toEqual([first]);
    expect(eventsOf(users[1]).items.map((item) => item.raw)).toEqual(second);
    expect(eventsOf(users[2])).toMatchObject({ envelopeId: 'env-1', items: [{ index: 0, raw: third }] });
  });

  it('quarantines a sub-record that cannot be read on its own, and decodes the others', () => {
    const data = aggregateRecords([
      { partitionKey: 'acme', data: encodeRecord(first) },
      { partitionKey: 'globex', data: utf8.encode('{not json') },
    ]);
    const [ok, bad] = decodeRecord(data, 'acme');
    expect(eventsOf(ok).items).toHaveLength(1);
    expect(failureOf(bad)).toMatchObject({ reason: 'invalid_json', bytes: utf8.encode('{not json') });
    expect(bad?.partitionKey).toBe('globex');
  });

  it('quarantines the whole record as invalid_aggregate when its checksum does not match', () => {
    const data = aggregate();
    data[10] = (data[10] ?? 0) ^ 0xff;
    const users = decodeRecord(data, 'outer-key');
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ subIndex: 0, partitionKey: 'outer-key' });
    expect(failureOf(users[0])).toMatchObject({ reason: 'invalid_aggregate', bytes: data });
  });

  it('quarantines a truncated aggregate as invalid_aggregate', () => {
    const data = aggregate().subarray(0, 40);
    expect(failureOf(decodeRecord(data, 'acme')[0]).reason).toBe('invalid_aggregate');
  });

  it('quarantines the bare magic bytes as invalid_aggregate', () => {
    const data = new Uint8Array([0xf3, 0x89, 0x9a, 0xc2]);
    expect(failureOf(decodeRecord(data, 'acme')[0]).reason).toBe('invalid_aggregate');
  });
});
