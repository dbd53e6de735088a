import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKinesisClient } from '../../../functions/adapters/aws-clients.js';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import {
  LOCAL_REGION,
  type LocalRuntime,
  startLocalRuntime,
} from '../../../functions/local/local-runtime.js';
import { encodeRecord, makeEvent } from '../../factories/events.js';

/**
 * The whole pipeline as `npm start` runs it: events put on the Kinesis emulator are metered by
 * the real consumer behind the poller, and read back through the HTTP API.
 */
describe('the local runtime, end to end', () => {
  let runtime: LocalRuntime;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  let api: (path: string, init?: RequestInit & { token?: string }) => Promise<{ status: number; body: Json }>;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-e2e-'));
    const config = readLocalConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0' }, ['--no-demo']);
    runtime = await startLocalRuntime(config, () => {});
    api = async (path, init = {}) => {
      const response = await fetch(`${runtime.status.apiUrl}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${init.token ?? runtime.status.adminToken}`,
          'content-type': 'application/json',
        },
      });
      return { status: response.status, body: await response.json() };
    };
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('meters events put on the stream exactly once and answers for them through the API', async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const events = [
      makeEvent({
        subject: 'acme',
        time,
        data: {
          model: 'gpt-4o',
          workspace: 'support',
          project: 'p',
          agent: 'a',
          input_tokens: 1200,
          output_tokens: 300,
        },
      }),
      makeEvent({
        subject: 'acme',
        time,
        data: {
          model: 'gpt-4o',
          workspace: 'research',
          project: 'p',
          agent: 'b',
          input_tokens: 800,
          output_tokens: 100,
        },
      }),
    ];
    const kinesis = createKinesisClient({ endpoint: runtime.status.kinesisEndpoint, region: LOCAL_REGION });
    const put = (data: Uint8Array) =>
      kinesis.send(
        new PutRecordsCommand({
          StreamName: runtime.status.streamName,
          Records: [{ PartitionKey: 'acme', Data: data }],
        }),
      );
    await put(encodeRecord(events));
    await put(encodeRecord(events[0]!)); // a producer's resend
    await put(encodeRecord(makeEvent({ subject: 'acme', time, type: 'llm.completions' }))); // a typo in the type
    await runtime.poller.drain({ timeoutMs: 60_000 });

    const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const usage = await api(
      `/v1/tenants/acme/usage?meter=input_tokens&from=${from}&to=${to}&groupBy=workspace`,
    );
    expect(usage.status).toBe(200);
    // 1,200 + 800 = 2,000: the resend is not counted again
    expect(usage.body.total).toBe('2000');
    expect(usage.body.rows.map((r: Json) => [r.group.workspace, r.value]).sort()).toEqual([
      ['research', '800'],
      ['support', '1200'],
    ]);
    const entitlements = await api('/v1/tenants/acme/entitlements');
    const monthly = entitlements.body.entitlements.find(
      (e: Json) => e.entitlement === 'monthly-input-tokens',
    );
    expect(monthly).toMatchObject({ used: '2000', limit: '50000000', remaining: '49998000', blocked: false });
    const quarantine = await api('/v1/quarantine?tenant=acme');
    expect(quarantine.body.entries.map((q: Json) => q.reason)).toEqual(['unmetered_type']);
  });

  it('lets a tenant token read its own tenant only', async () => {
    const created = await api('/v1/tenants/globex/tokens', { method: 'POST', body: '{}' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect((await api('/v1/tenants/globex/entitlements', { token })).status).toBe(200);
    expect((await api('/v1/tenants/acme/entitlements', { token })).status).toBe(403);
    expect((await api('/v1/tenants/acme/entitlements', { token: 'not-a-token' })).status).toBe(401);
  });

  it('assigns a plan through the API, and rejects a bad one naming the field', async () => {
    const ok = await api('/v1/tenants/newco', {
      method: 'PUT',
      body: JSON.stringify({ plan: 'starter', overrides: { 'monthly-input-tokens': { limit: '5000' } } }),
    });
    expect(ok.status).toBe(201);
    const bad = await api('/v1/tenants/newco', { method: 'PUT', body: JSON.stringify({ plan: 'platinum' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('plan');
  });
});
