import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalConfig } from '../../../functions/local/local-config.js';
import { type LocalRuntime, startLocalRuntime } from '../../../functions/local/local-runtime.js';
import { HOUR_MS } from '../../../shared/time/windows.js';
import { makeEvent } from '../../factories/events.js';

/**
 * The detector on the local runtime: a week of a tenant's hourly usage through HTTP ingest, the
 * Kinesis emulator and the consumer; the hour that just closed at 6× its usual level; one alert
 * through the API and one Slack message (posted to a local server standing in for Slack), with
 * the numbers the usage API gives; a second run sends nothing more.
 */
describe('alerts on the local runtime', () => {
  const tenant = 'loopco';
  const slack: unknown[] = [];
  let slackServer: Server;
  let runtime: LocalRuntime;
  let dataDir: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the API under test, checked by the assertions
  type Json = any;
  const call = async (
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${runtime.status.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${runtime.status.adminToken}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    slackServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        slack.push(JSON.parse(body));
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => slackServer.listen(0, '127.0.0.1', resolve));
    const address = slackServer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-alerts-'));
    const config = readLocalConfig(
      {
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_API_PORT: '0',
        TOLLGATE_BILLING_INTERVAL_SECONDS: '0',
        TOLLGATE_DETECTOR_INTERVAL_SECONDS: '0',
        // An https URL is required of real webhooks; the poster takes any http(s) URL.
        TOLLGATE_SLACK_WEBHOOK_URL: `https://127.0.0.1:${port}/hook`,
      },
      ['--no-demo'],
    );
    // The local server speaks plain HTTP; point the runtime at it after the config check.
    runtime = await startLocalRuntime({ ...config, slackRouting: `http://127.0.0.1:${port}/hook` }, () => {});
  });
  afterAll(async () => {
    await runtime?.stop();
    await new Promise((resolve) => slackServer?.close(resolve));
  });

  it('opens one alert for the hour at 6× its usual usage, tells Slack once, and matches the usage API', async () => {
    expect(
      (await call(`/v1/tenants/${tenant}`, { method: 'PUT', body: { plan: 'enterprise' } })).status,
    ).toBe(201);
    const key = (await call(`/v1/tenants/${tenant}/keys`, { method: 'POST', body: { label: 'alerts' } })).body
      .key;
    // The detector checks the hour that just closed: do not straddle the top of an hour.
    const untilNextHour = HOUR_MS - (Date.now() % HOUR_MS);
    if (untilNextHour < 90_000) await new Promise((resolve) => setTimeout(resolve, untilNextHour + 1_000));
    const lastHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
    // A week of 20,000 input tokens an hour, then 120,000 in the hour that just closed.
    const events = [];
    for (let hour = lastHour - 7 * 24 * HOUR_MS; hour <= lastHour; hour += HOUR_MS) {
      const tokens = hour === lastHour ? 120_000 : 20_000;
      events.push(
        makeEvent({
          subject: tenant,
          time: new Date(hour + 30 * 60_000).toISOString(),
          data: { model: 'gpt-4o', workspace: 'research', input_tokens: tokens, output_tokens: 0 },
        }),
      );
    }
    for (let i = 0; i < events.length; i += 100) {
      const response = await fetch(`${runtime.status.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(events.slice(i, i + 100)),
      });
      expect(response.status).toBe(202);
    }
    const from = new Date(lastHour).toISOString();
    const to = new Date(lastHour + HOUR_MS).toISOString();
    const deadline = Date.now() + 60_000;
    let usage: Json;
    for (;;) {
      usage = (await call(`/v1/tenants/${tenant}/usage?meter=input_tokens&from=${from}&to=${to}`)).body;
      const week = (
        await call(
          `/v1/tenants/${tenant}/usage?meter=input_tokens&from=${new Date(lastHour - 7 * 24 * HOUR_MS).toISOString()}&to=${to}&windowSize=DAY`,
        )
      ).body;
      if (usage.total === '120000' && week.total === String(7 * 24 * 20_000 + 120_000)) break;
      if (Date.now() > deadline) throw new Error(`usage not counted: ${usage.total}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const first = await runtime.alerting.run();
    expect(first.opened).toBe(1);
    const list = await call(`/v1/alerts?tenant=${tenant}`);
    expect(list.status).toBe(200);
    expect(list.body.alerts).toHaveLength(1);
    const alert = list.body.alerts[0];
    expect(alert).toMatchObject({
      kind: 'usage_spike',
      state: 'open',
      tenant,
      meter: 'input_tokens',
      dimensions: {},
      observed: usage.total, // the usage API's value for that hour
      expected: '20000',
    });
    expect(alert.ratio).toBe(6);

    // Slack got one Block Kit message for it.
    expect(slack).toHaveLength(1);
    expect(JSON.stringify(slack[0])).toContain(tenant);
    expect((slack[0] as { blocks: unknown[] }).blocks.length).toBeGreaterThan(1);

    // Running again sends nothing more; the alert is acknowledgeable.
    const second = await runtime.alerting.run();
    expect(second).toMatchObject({ opened: 0, updated: 0 });
    expect(slack).toHaveLength(1);
    const ack = await call(`/v1/alerts/${alert.id}/ack`, {
      method: 'POST',
      body: { by: 'oncall@example.com' },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledgedBy: 'oncall@example.com' });
    // The console publisher's record of the topic: one message.
    const lines = (await readFile(join(dataDir, 'alerts.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).type)).toEqual(['alert.opened']);
  });
});
