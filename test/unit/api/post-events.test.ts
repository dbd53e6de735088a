import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/api/auth.js';
import { handleIngestRequest } from '../../../functions/api/handle-ingest-request.js';
import { validateEvent } from '../../../shared/contract/usage-event.js';
import { decodeRecord } from '../../../shared/ingest/decode-record.js';
import { type EventOverrides, makeEvent } from '../../factories/events.js';
import { usageCatalog } from '../usage/usage-factory.js';
import {
  ACME_TOKEN,
  ADMIN_TOKEN,
  type CallOptions,
  expectError,
  NOW,
  type TestApi,
  type TestResponse,
  testApi,
} from './api-fakes.js';

/** Every byte of the n-th key is n: distinct keys, distinct ids. */
function countingBytes() {
  let n = 0;
  return (size: number) => {
    n += 1;
    return new Uint8Array(size).fill(n);
  };
}

let api: TestApi;
/** An ingest key of acme, created through the admin route. */
let acmeKey: string;
let acmeKeyId: string;

beforeEach(async () => {
  api = testApi(usageCatalog.catalog, { randomBytes: countingBytes() });
  await api.config.putTenant({ tenant: 'acme', plan: 'pro', status: 'active' });
  await api.config.putTenant({ tenant: 'globex', plan: 'pro', status: 'active' });
  const created = await api.call('POST', '/v1/tenants/acme/keys', { body: { label: 'chat-api' } });
  expect(created.status).toBe(201);
  acmeKey = created.json.key;
  acmeKeyId = created.json.keyId;
});

const JSON_TYPE = { 'content-type': 'application/json' };

function post(body: unknown, options: CallOptions = {}): Promise<TestResponse> {
  return api.call('POST', '/v1/events', {
    token: acmeKey,
    body,
    ...options,
    headers: { ...JSON_TYPE, ...options.headers },
  });
}

/** The text of every record put on the ingest stream (gunzipped), and its partition key. */
function putRecords() {
  return api.ingestStream.records.map((record) => {
    const [user] = decodeRecord(record.data, record.partitionKey);
    if (user?.outcome.kind !== 'events') throw new Error('record did not decode to events');
    return {
      partitionKey: record.partitionKey,
      items: user.outcome.items.map((item) => new TextDecoder().decode(item.bytes())),
      raws: user.outcome.items.map((item) => item.raw),
    };
  });
}

const acmeEvent = (overrides: EventOverrides = {}) => makeEvent({ subject: 'acme', ...overrides });

describe('POST /v1/events', () => {
  it('puts a batch on the stream as one record keyed by the tenant and answers 202 per event', async () => {
    const events = [acmeEvent(), acmeEvent(), acmeEvent()];
    const response = await post(events);
    expect(response.status).toBe(202);
    expect(response.json).toEqual({
      accepted: 3,
      rejected: 0,
      failed: 0,
      results: events.map((event, index) => ({ index, id: event.id, status: 'accepted' })),
    });
    const records = putRecords();
    expect(records).toHaveLength(1);
    expect(records[0]?.partitionKey).toBe('acme');
    expect(records[0]?.raws).toEqual(events);
  });

  it('takes one event as an object', async () => {
    const event = acmeEvent();
    const response = await post(event);
    expect(response.json).toEqual({
      accepted: 1,
      rejected: 0,
      failed: 0,
      results: [{ index: 0, id: event.id, status: 'accepted' }],
    });
    expect(putRecords()[0]?.raws).toEqual([event]);
  });

  it('forwards each event as the text it was sent in, so numbers of 18 digits arrive exact', async () => {
    const first = `{ "specversion":"1.0", "id":"big-1", "type":"llm.completion", "subject":"acme",
      "time":"2026-11-29T21:04:05.123Z", "data":{"input_tokens":123456789012345678, "cost":12345678901234567.8} }`;
    const second = JSON.stringify(acmeEvent({ id: 'small-2' }));
    const response = await post(undefined, { rawBody: `[\n  ${first} ,\n${second}\n]` });
    expect(response.json.accepted).toBe(2);
    const [record] = putRecords();
    expect(record?.items).toEqual([first, second]);
    // The consumer reads the record with the same exact parser: the digits survive.
    const validation = validateEvent(record?.raws[0], { arrivalMs: NOW });
    expect(validation.ok && validation.event.data).toEqual({
      input_tokens: '123456789012345678',
      cost: '12345678901234567.8',
    });
  });

  it('gzips a record above 1 KiB', async () => {
    const events = Array.from({ length: 20 }, () => acmeEvent());
    await post(events);
    const data = api.ingestStream.records[0]?.data;
    expect([data?.[0], data?.[1]]).toEqual([0x1f, 0x8b]);
    expect(putRecords()[0]?.raws).toEqual(events);
  });

  const invalid: Array<[name: string, overrides: EventOverrides, reason: string, field: string]> = [
    ['no id', { id: undefined }, 'missing_field', 'id'],
    ['an id of 129 characters', { id: 'x'.repeat(129) }, 'invalid_field', 'id'],
    ['an id with a newline', { id: 'a\nb' }, 'invalid_field', 'id'],
    ['no type', { type: undefined }, 'missing_field', 'type'],
    ['a type that is not a string', { type: 7 }, 'invalid_field', 'type'],
    ['no subject', { subject: undefined }, 'missing_field', 'subject'],
    ['a subject with a space', { subject: 'ac me' }, 'invalid_field', 'subject'],
    ['specversion 2.0', { specversion: '2.0' }, 'invalid_field', 'specversion'],
    ['a source of 257 characters', { source: 's'.repeat(257) }, 'invalid_field', 'source'],
    ['no time', { time: undefined }, 'missing_field', 'time'],
    ['a time without offset', { time: '2026-11-29T21:04:05' }, 'invalid_field', 'time'],
    ['a time that is not a date', { time: '2026-02-30T10:00:00Z' }, 'invalid_field', 'time'],
    ['a time 36 days old', { time: '2026-10-25T12:00:00Z' }, 'time_out_of_range', 'time'],
    ['a time 10 minutes ahead', { time: '2026-11-30T12:44:00Z' }, 'time_out_of_range', 'time'],
    ['no data', { data: undefined }, 'missing_field', 'data'],
    ['data that is an array', { data: [1] }, 'invalid_field', 'data'],
    ['a negative number', { data: { input_tokens: -1 } }, 'invalid_number', 'data.input_tokens'],
    ['a number above 10^18', { data: { input_tokens: 2e18 } }, 'invalid_number', 'data.input_tokens'],
    ['a nested object', { data: { usage: { tokens: 1 } } }, 'invalid_field', 'data.usage'],
    ['a dimension of 257 characters', { data: { model: 'm'.repeat(257) } }, 'invalid_field', 'data.model'],
  ];

  it.each(invalid)(
    'rejects an event with %s (%s, field %s) and accepts the rest',
    async (_n, overrides, reason, field) => {
      const good = acmeEvent();
      const bad = acmeEvent(overrides);
      const response = await post([good, bad]);
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({ accepted: 1, rejected: 1, failed: 0 });
      expect(response.json.results[0]).toEqual({ index: 0, id: good.id, status: 'accepted' });
      expect(response.json.results[1]).toMatchObject({ index: 1, status: 'rejected', reason, field });
      expect(response.json.results[1].message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
      expect(putRecords()[0]?.raws).toEqual([good]);
    },
  );

  it('rejects an element that is not an object as not_an_event, without a field', async () => {
    const response = await post([42, acmeEvent()]);
    expect(response.json.results[0]).toEqual({
      index: 0,
      status: 'rejected',
      reason: 'not_an_event',
      message: 'event: must be a JSON object',
    });
  });

  it("rejects an event for another tenant than the key's as forbidden_subject, naming subject", async () => {
    const theirs = makeEvent({ subject: 'globex' });
    const response = await post([theirs]);
    expect(response.status).toBe(202);
    expect(response.json).toEqual({
      accepted: 0,
      rejected: 1,
      failed: 0,
      results: [
        {
          index: 0,
          id: theirs.id,
          status: 'rejected',
          reason: 'forbidden_subject',
          field: 'subject',
          message: `subject: "globex" is not the tenant of ingest key ${acmeKeyId} ("acme")`,
        },
      ],
    });
    expect(api.ingestStream.calls).toEqual([]);
  });

  it('puts a request whose events fill more than one record as several; a refused record fails only its events', async () => {
    // Two events whose texts together exceed a record (1 MiB with the key "acme"); the body is
    // exactly 1 MiB. Whitespace inside an event is part of its text.
    const template = (id: string, pad: number) =>
      `{"id":"${id}",${' '.repeat(pad)}"type":"llm.completion","subject":"acme","time":"2026-11-29T21:04:05.123Z","data":{"input_tokens":5}}`;
    const base = `[${template('e0', 0)},${template('e1', 0)}]`.length;
    const pad = Math.floor((1024 * 1024 - base) / 2);
    const body = `[${template('e0', pad)},${template('e1', 1024 * 1024 - base - pad)}]`;
    expect(Buffer.byteLength(body)).toBe(1024 * 1024);
    api.ingestStream.refuse = (record) =>
      textOf(record.data).includes('"id":"e1"') ? 'ProvisionedThroughputExceededException' : undefined;
    const response = await post(undefined, { rawBody: body });
    expect(response.status).toBe(202);
    expect(response.json).toEqual({
      accepted: 1,
      rejected: 0,
      failed: 1,
      results: [
        { index: 0, id: 'e0', status: 'accepted' },
        {
          index: 1,
          id: 'e1',
          status: 'failed',
          reason: 'stream_refused',
          message:
            "the stream refused this event's record after retries (ProvisionedThroughputExceededException); send the event again, it is counted once",
        },
      ],
    });
    expect(api.ingestStream.calls).toEqual([2]);
    expect(api.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'stream refused records after retries',
        details: expect.objectContaining({ errorCodes: ['ProvisionedThroughputExceededException'] }),
      }),
    );
  });

  it('answers 503 with Retry-After when the stream took none of the valid events, still listing the rejected', async () => {
    api.ingestStream.refuse = () => 'InternalFailure';
    const good = acmeEvent();
    const response = await post([good, acmeEvent({ id: undefined })]);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json).toMatchObject({
      error: { code: 'stream_unavailable' },
      accepted: 0,
      rejected: 1,
      failed: 1,
      results: [
        { index: 0, id: good.id, status: 'failed', reason: 'stream_refused' },
        { index: 1, status: 'rejected', reason: 'missing_field', field: 'id' },
      ],
    });
  });

  it('answers 202 with nothing put when every event is rejected', async () => {
    const response = await post([acmeEvent({ data: { input_tokens: -5 } })]);
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ accepted: 0, rejected: 1, failed: 0 });
    expect(api.ingestStream.calls).toEqual([]);
  });
});

/** A record's events as text, one per line. */
function textOf(data: Uint8Array): string {
  const [user] = decodeRecord(data, 'acme');
  if (user?.outcome.kind !== 'events') return '';
  return user.outcome.items.map((item) => new TextDecoder().decode(item.bytes())).join('\n');
}

describe('POST /v1/events: the body', () => {
  it('answers 413 too_many_events naming the body for more than 1,000 events', async () => {
    const response = await post(Array.from({ length: 1001 }, () => acmeEvent()));
    expectError(response, 413, 'too_many_events', 'body');
    expect(response.json.error.message).toBe('body: holds 1001 events; send at most 1000 per request');
    expect(api.limiter.calls).toEqual([]);
  });

  it('takes exactly 1,000 events', async () => {
    const response = await post(Array.from({ length: 1000 }, () => acmeEvent()));
    expect(response.json.accepted).toBe(1000);
  });

  it('answers 413 payload_too_large for a body over 1 MiB', async () => {
    const response = await post(undefined, { rawBody: `[${' '.repeat(1024 * 1024)}]` });
    expectError(response, 413, 'payload_too_large', 'body');
  });

  it.each([
    ['invalid JSON', '[{"id":', 'invalid_json'],
    ['an empty array', '[]', 'empty_batch'],
    ['a number', '42', 'invalid_batch'],
    ['a string', '"event"', 'invalid_batch'],
    ['null', 'null', 'invalid_batch'],
    ['nothing', '', 'missing_body'],
  ])('answers 400 naming the body for %s', async (_name, rawBody, code) => {
    expectError(await post(undefined, { rawBody }), 400, code, 'body');
    expect(api.ingestStream.calls).toEqual([]);
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
  ])('accepts content-type %s', async (contentType) => {
    const response = await post([acmeEvent()], { headers: { 'content-type': contentType } });
    expect(response.status).toBe(202);
  });

  it.each([
    ['no content-type', {}, 'unsupported_media_type', 'content-type'],
    ['text/plain', { 'content-type': 'text/plain' }, 'unsupported_media_type', 'content-type'],
    [
      'form data',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'unsupported_media_type',
      'content-type',
    ],
    [
      'a latin1 charset',
      { 'content-type': 'application/json; charset=iso-8859-1' },
      'unsupported_media_type',
      'content-type',
    ],
    [
      'a gzip body',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      'unsupported_content_encoding',
      'content-encoding',
    ],
  ])('answers 415 for %s', async (_name, headers, code, field) => {
    const response = await api.call('POST', '/v1/events', { token: acmeKey, body: [acmeEvent()], headers });
    expectError(response, 415, code, field);
    expect(api.ingestStream.calls).toEqual([]);
  });
});

describe('POST /v1/events: who may send', () => {
  it.each([
    ['no token', null, 'missing_token'],
    ['a key that does not exist', `tg_k_${'A'.repeat(43)}`, 'invalid_token'],
    ['a tenant token', ACME_TOKEN, 'invalid_token'],
    ['the admin token', ADMIN_TOKEN, 'invalid_token'],
  ])('answers 401 for %s, putting nothing', async (_name, token, code) => {
    const response = await post([acmeEvent()], { token });
    expectError(response, 401, code, 'authorization');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(api.ingestStream.calls).toEqual([]);
    expect(api.limiter.calls).toEqual([]);
  });

  it('looks up no key for a token that is not an ingest key', async () => {
    await post([acmeEvent()], { token: ACME_TOKEN });
    expect(api.ingestKeys.lookups).toBe(0);
  });

  it('refuses a revoked key with 401 revoked_key', async () => {
    expect((await api.call('DELETE', `/v1/tenants/acme/keys/${acmeKeyId}`)).status).toBe(200);
    const response = await post([acmeEvent()]);
    expectError(response, 401, 'revoked_key', 'authorization');
    expect(response.json.error.message).toContain(acmeKeyId);
  });

  it.each([
    ['GET', '/v1/tenants/acme/usage'],
    ['GET', '/v1/tenants/acme/entitlements'],
    ['GET', '/v1/quarantine'],
    ['POST', '/v1/tenants/acme/keys'],
    ['GET', '/v1/catalog'],
  ])('does not let an ingest key call %s %s (401)', async (method, path) => {
    const response = await api.call(method, path, {
      token: acmeKey,
      query: { meter: 'calls', tenant: 'acme' },
    });
    expectError(response, 401, 'invalid_token', 'authorization');
    expect(response.json.error.message).toContain('POST /v1/events');
  });

  it('never writes the key to the logs', async () => {
    await post([acmeEvent()]);
    await post([acmeEvent()], { token: `${acmeKey.slice(0, -1)}x` });
    const logged = JSON.stringify(api.logs);
    expect(logged).not.toContain(acmeKey);
    expect(logged).not.toContain(acmeKey.slice(0, -1));
    expect(logged).toContain(acmeKeyId);
  });

  it('answers GET /v1/events with 405 allowing POST', async () => {
    const response = await api.call('GET', '/v1/events', { token: acmeKey });
    expectError(response, 405, 'method_not_allowed', 'method');
    expect(response.headers.allow).toBe('POST');
  });
});

describe('POST /v1/events: throttling', () => {
  it('asks the limiter for one request and the number of events, under the key and its limits', async () => {
    const custom = await api.call('POST', '/v1/tenants/acme/keys', {
      body: { limits: { eventsPerSecond: 500 } },
    });
    await post([acmeEvent(), acmeEvent({ id: undefined })], { token: custom.json.key });
    expect(api.limiter.calls).toEqual([
      {
        subject: `acme#${custom.json.keyId}`,
        cost: { requests: 1, events: 2 },
        limits: { requestsPerSecond: 50, eventsPerSecond: 500 },
      },
    ]);
  });

  it('answers 429 with Retry-After and a body naming the limit, putting nothing', async () => {
    api.limiter.decision = {
      allowed: false,
      limit: 'eventsPerSecond',
      limitPerSecond: 10_000,
      retryAfterSeconds: 1,
    };
    const response = await post([acmeEvent()]);
    expectError(response, 429, 'rate_limited', 'eventsPerSecond');
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json.error.message).toBe(
      `eventsPerSecond: ingest key ${acmeKeyId} may send 10000 events per second; retry after 1 s (nothing of this request was taken)`,
    );
    expect(api.ingestStream.calls).toEqual([]);
  });

  it('lets the request through, and logs, when the limiter fails', async () => {
    api.limiter.failure = new Error('ProvisionedThroughputExceededException');
    const response = await post([acmeEvent()]);
    expect(response.status).toBe(202);
    expect(api.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'rate limiter failed; the request is let through' }),
    );
  });
});

describe('where POST /v1/events is served', () => {
  it('answers 404 on an API whose deployment serves it from the ingest function', async () => {
    const { ingest: _, ...withoutIngest } = api.deps;
    const { handleApiRequest } = await import('../../../functions/api/handle-api-request.js');
    const response = await handleApiRequest(
      {
        method: 'POST',
        path: '/v1/events',
        query: {},
        headers: { authorization: `Bearer ${acmeKey}`, ...JSON_TYPE },
        body: JSON.stringify([acmeEvent()]),
      },
      withoutIngest,
    );
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body).error.message).toContain('ingest function');
  });

  it('serves it, and nothing else, from the ingest core with only the ingest dependencies', async () => {
    const deps = { ingest: api.deps.ingest!, clock: api.deps.clock, logger: api.deps.logger };
    const request = (method: string, path: string, token: string) => ({
      method,
      path,
      query: {},
      headers: { authorization: `Bearer ${token}`, ...JSON_TYPE },
      body: JSON.stringify([acmeEvent()]),
      requestId: 'req-1',
    });
    const accepted = await handleIngestRequest(request('POST', '/v1/events', acmeKey), deps);
    expect(accepted.status).toBe(202);
    expect((await handleIngestRequest(request('POST', '/v1/events', ADMIN_TOKEN), deps)).status).toBe(401);
    expect(
      (await handleIngestRequest(request('GET', '/v1/tenants/acme/usage', ADMIN_TOKEN), deps)).status,
    ).toBe(404);
    expect(api.ingestKeys.byHash.has(sha256Hex(acmeKey))).toBe(true);
  });
});
