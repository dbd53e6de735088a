import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import { type LocalRuntime, startLocalRuntime } from '../../../functions/local/local-runtime.js';
import { makeEvent } from '../../factories/events.js';

/**
 * HTTP ingest end to end on the local runtime: an ingest key created through the admin API,
 * events POSTed to the local API server, put on the Kinesis emulator, metered by the real
 * consumer, read back through the usage API — counted exactly once, digits intact, however often
 * the same request is sent.
 */
describe('HTTP ingest on the local runtime', () => {
  const tenant = 'httpco';
  let runtime: LocalRuntime;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  let call: (
    path: string,
    init?: { method?: string; body?: string; token?: string; contentType?: string },
  ) => Promise<{ status: number; headers: Headers; body: Json }>;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-http-ingest-'));
    const config = readLocalConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0' }, ['--no-demo']);
    runtime = await startLocalRuntime(config, () => {});
    call = async (path, init = {}) => {
      const response = await fetch(`${runtime.status.apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${init.token ?? runtime.status.adminToken}`,
          'content-type': init.contentType ?? 'application/json',
        },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    };
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  const inputTokens = async (): Promise<string> => {
    const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const usage = await call(`/v1/tenants/${tenant}/usage?meter=input_tokens&from=${from}&to=${to}`);
    expect(usage.status).toBe(200);
    return usage.body.total;
  };

  it('counts POSTed events once, with 18-digit quantities exact, however often the request is sent', async () => {
    // 1. The admin sets the tenant up and creates an ingest key for it.
    expect(
      (await call(`/v1/tenants/${tenant}`, { method: 'PUT', body: JSON.stringify({ plan: 'enterprise' }) }))
        .status,
    ).toBe(201);
    const created = await call(`/v1/tenants/${tenant}/keys`, {
      method: 'POST',
      body: JSON.stringify({ label: 'e2e' }),
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;

    // 2. A producer sends a batch: two valid events (one with 18 significant digits, written
    //    as a JSON number), one invalid, one for another tenant.
    const time = new Date(Date.now() - 60_000).toISOString();
    const small = makeEvent({ subject: tenant, time, data: { model: 'gpt-4o', input_tokens: 1500 } });
    const big = `{"specversion":"1.0","id":"big-${small.id}","type":"llm.completion","subject":"${tenant}","time":"${time}","data":{"model":"o3","input_tokens":123456789012345678}}`;
    const invalid = makeEvent({ subject: tenant, time, data: { input_tokens: -1 } });
    const foreign = makeEvent({ subject: 'acme', time });
    const body = `[${JSON.stringify(small)},${big},${JSON.stringify(invalid)},${JSON.stringify(foreign)}]`;
    const sent = await call('/v1/events', {
      method: 'POST',
      token: key,
      body,
      contentType: 'application/cloudevents-batch+json',
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ accepted: 2, rejected: 2, failed: 0 });
    expect(sent.body.results).toEqual([
      { index: 0, id: small.id, status: 'accepted' },
      { index: 1, id: `big-${small.id}`, status: 'accepted' },
      expect.objectContaining({
        index: 2,
        status: 'rejected',
        reason: 'invalid_number',
        field: 'data.input_tokens',
      }),
      expect.objectContaining({
        index: 3,
        status: 'rejected',
        reason: 'forbidden_subject',
        field: 'subject',
      }),
    ]);
    await runtime.poller.drain({ timeoutMs: 30_000 });
    expect(await inputTokens()).toBe('123456789012347178'); // 123456789012345678 + 1500

    // 3. The same request again (a client retry after a lost answer): accepted, counted once.
    const again = await call('/v1/events', { method: 'POST', token: key, body });
    expect(again.body).toMatchObject({ accepted: 2, rejected: 2 });
    await runtime.poller.drain({ timeoutMs: 30_000 });
    expect(await inputTokens()).toBe('123456789012347178');

    // Rejected events were answered to the producer, never put on the stream: no quarantine.
    expect((await call(`/v1/quarantine?tenant=${tenant}`)).body.entries).toEqual([]);
    expect((await call('/v1/quarantine?tenant=acme')).body.entries).toEqual([]);
  });

  it('takes ingest keys only, and stops taking a key once it is revoked', async () => {
    const created = await call(`/v1/tenants/${tenant}/keys`, { method: 'POST', body: '{}' });
    const key: string = created.body.key;
    const token = await call(`/v1/tenants/${tenant}/tokens`, { method: 'POST', body: '{}' });
    const event = JSON.stringify(makeEvent({ subject: tenant, time: new Date().toISOString() }));

    const withToken = await call('/v1/events', { method: 'POST', token: token.body.token, body: event });
    expect(withToken.status).toBe(401);
    const withAdmin = await call('/v1/events', { method: 'POST', body: event });
    expect(withAdmin.status).toBe(401);
    const readWithKey = await call(`/v1/tenants/${tenant}/usage?meter=input_tokens`, { token: key });
    expect(readWithKey.status).toBe(401);

    expect((await call('/v1/events', { method: 'POST', token: key, body: event })).status).toBe(202);
    const listed = await call(`/v1/tenants/${tenant}/keys`);
    expect(listed.body.keys.map((k: { keyId: string }) => k.keyId)).toContain(created.body.keyId);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const revoked = await call(`/v1/tenants/${tenant}/keys/${created.body.keyId}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const after = await call('/v1/events', { method: 'POST', token: key, body: event });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('revoked_key');
  });

  it('throttles a key over its own limit with 429 and Retry-After', async () => {
    const created = await call(`/v1/tenants/${tenant}/keys`, {
      method: 'POST',
      body: JSON.stringify({ limits: { requestsPerSecond: 1 } }),
    });
    const event = () => JSON.stringify(makeEvent({ subject: tenant, time: new Date().toISOString() }));
    const first = await call('/v1/events', { method: 'POST', token: created.body.key, body: event() });
    const second = await call('/v1/events', { method: 'POST', token: created.body.key, body: event() });
    expect(first.status).toBe(202);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.body.error).toMatchObject({ code: 'rate_limited', field: 'requestsPerSecond' });
  });
});
