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
 * Why quarantine keeps the original bytes: an event for a tenant that is not set up yet is
 * quarantined (`unknown_tenant`), not lost; once the tenant exists, re-driving it through the
 * API puts it back on the stream and the real consumer counts it — exactly once, however often
 * it is re-driven.
 */
describe('re-driving quarantined events on the local runtime', () => {
  const tenant = 'newco-redrive';
  let runtime: LocalRuntime;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  let api: (
    path: string,
    init?: { method?: string; body?: unknown },
  ) => Promise<{ status: number; body: Json }>;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-redrive-'));
    const config = readLocalConfig({ TOLLGATE_DATA_DIR: dataDir, TOLLGATE_API_PORT: '0' }, ['--no-demo']);
    runtime = await startLocalRuntime(config, () => {});
    api = async (path, init = {}) => {
      const response = await fetch(`${runtime.status.apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${runtime.status.adminToken}`, 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      return { status: response.status, body: await response.json() };
    };
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  const inputTokens = async (): Promise<string> => {
    const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const usage = await api(`/v1/tenants/${tenant}/usage?meter=input_tokens&from=${from}&to=${to}`);
    expect(usage.status).toBe(200);
    return usage.body.total;
  };
  const redrive = async (body: Record<string, unknown>) => {
    const response = await api('/v1/quarantine/redrive', { method: 'POST', body });
    expect(response.status).toBe(200);
    return response.body;
  };

  it('counts an event quarantined for an unknown tenant once the tenant exists, once however often re-driven', async () => {
    const event = makeEvent({
      subject: tenant,
      time: new Date(Date.now() - 60_000).toISOString(),
      data: {
        model: 'gpt-4o',
        workspace: 'w1',
        project: 'p',
        agent: 'a',
        input_tokens: 700,
        output_tokens: 50,
      },
    });
    const kinesis = createKinesisClient({ endpoint: runtime.status.kinesisEndpoint, region: LOCAL_REGION });
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: runtime.status.streamName,
        Records: [{ PartitionKey: tenant, Data: encodeRecord(event) }],
      }),
    );
    await runtime.poller.drain({ timeoutMs: 30_000 });

    // 1. Not counted, not lost: quarantined with its reason.
    const quarantined = await api(`/v1/quarantine?tenant=${tenant}`);
    expect(quarantined.body.entries).toEqual([
      expect.objectContaining({ reason: 'unknown_tenant', eventId: event.id, partitionKey: tenant }),
    ]);
    expect(quarantined.body.entries[0]).not.toHaveProperty('redrivenAt');

    // 2. The fix: the tenant is set up. A dry run shows what a re-drive would take.
    expect((await api(`/v1/tenants/${tenant}`, { method: 'PUT', body: { plan: 'starter' } })).status).toBe(
      201,
    );
    expect(await redrive({ tenant, dryRun: true })).toMatchObject({ dryRun: true, matched: 1, redriven: 0 });
    expect(await inputTokens()).toBe('0');

    // 3. Re-drive: the bytes go back on the stream and the consumer counts the event.
    const first = await redrive({ tenant, reason: 'unknown_tenant' });
    expect(first).toMatchObject({ dryRun: false, matched: 1, redriven: 1, failed: 0 });
    expect(first.entries[0]).toMatchObject({ status: 'redriven', entry: { eventId: event.id } });
    await runtime.poller.drain({ timeoutMs: 30_000 });
    expect(await inputTokens()).toBe('700');
    const marked = await api(`/v1/quarantine?tenant=${tenant}`);
    expect(marked.body.entries).toEqual([
      expect.objectContaining({ eventId: event.id, redrivenAt: first.entries[0].redrivenAt }),
    ]);

    // 4. Again: a plain re-drive skips the marked entry; a forced one puts the bytes once more,
    //    and the consumer acknowledges them as a duplicate of (subject, id).
    expect(await redrive({ tenant })).toMatchObject({ matched: 0, redriven: 0 });
    expect(await redrive({ tenant, includeRedriven: true })).toMatchObject({ matched: 1, redriven: 1 });
    await runtime.poller.drain({ timeoutMs: 30_000 });
    expect(await inputTokens()).toBe('700'); // still 700: counted once
    expect((await api(`/v1/quarantine?tenant=${tenant}`)).body.entries).toHaveLength(1); // nothing new
  });
});
