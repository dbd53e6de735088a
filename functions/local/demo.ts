import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ulid } from 'ulid';
import { UsageClient } from '../../shared/sdk/usage-client.js';
import type { UsageEventInput } from '../../shared/sdk/usage-event-input.js';
import { KinesisPutTransport } from '../adapters/kinesis/kinesis-put-transport.js';
import { agentLoopHistory, agentLoopTraffic } from './demo-agent-loop.js';

/**
 * Simulated AI services putting realistic usage on the local stream, so a newcomer sees usage
 * and entitlements move within a minute: a support chatbot (acme, pro plan), an agent stuck in a
 * loop on a hard-capped plan (globex, blocked within about twenty seconds), a free-tier app
 * (initech) and a GPU-heavy enterprise tenant (umbrella). Now and then a producer bug sends an
 * event no meter knows, which lands in quarantine. The services produce the way real ones do:
 * through the SDK's `UsageClient` (acme, globex, umbrella), and over HTTP with an ingest key
 * (initech, `POST /v1/events`).
 */
export interface DemoOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly apiUrl: string;
  readonly adminToken: string;
  readonly print: (line: string) => void;
  readonly tickMs?: number;
  readonly summaryEveryTicks?: number;
}

type Event = Record<string, unknown>;

const pick = <T>(items: readonly T[], i: number): T => items[i % items.length]!;

function completion(subject: string, tick: number, data: Record<string, string | number>): Event {
  return {
    specversion: '1.0',
    id: ulid(),
    source: 'demo',
    type: 'llm.completion',
    subject,
    time: new Date().toISOString(),
    data: { project: 'demo', ...data, latency_ms: 300 + ((tick * 37) % 900) },
  };
}

/** The events each simulated service sends in one tick. */
export function demoTraffic(tick: number): Array<{ tenant: string; events: Event[] }> {
  const now = new Date().toISOString();
  const traffic = [
    {
      tenant: 'acme',
      events: [0, 1, 2].map((i) =>
        completion('acme', tick + i, {
          model: pick(['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini'], tick + i),
          workspace: pick(['support', 'research'], i),
          agent: `support-bot-${(tick + i) % 3}`,
          input_tokens: 900 + ((tick * 131 + i * 17) % 1400),
          output_tokens: 120 + ((tick * 71 + i) % 400),
          cached_tokens: (tick * 13) % 300,
        }),
      ),
    },
    {
      tenant: 'globex',
      events: [0, 1].map((i) =>
        completion('globex', tick + i, {
          model: 'gpt-4o',
          workspace: 'ops',
          agent: 'looping-agent',
          input_tokens: 800 + i * 50,
          output_tokens: 60,
          cached_tokens: 0,
        }),
      ),
    },
    {
      tenant: 'initech',
      events: [
        completion('initech', tick, {
          model: 'llama-3-8b',
          workspace: 'app',
          agent: 'faq',
          input_tokens: 150,
          output_tokens: 40,
          cached_tokens: 0,
        }),
        {
          specversion: '1.0',
          id: ulid(),
          source: 'demo',
          type: 'inference.call',
          subject: 'initech',
          time: now,
          data: { model: 'whisper', workspace: 'app' },
        },
      ],
    },
    {
      tenant: 'umbrella',
      events: [
        completion('umbrella', tick, {
          model: 'claude-opus-4',
          workspace: 'lab',
          agent: `research-${tick % 5}`,
          input_tokens: 4000,
          output_tokens: 900,
          cached_tokens: 1200,
        }),
        ...(tick % 5 === 0
          ? [
              {
                specversion: '1.0',
                id: ulid(),
                source: 'demo',
                type: 'gpu.job',
                subject: 'umbrella',
                time: now,
                data: { gpu_type: 'a100', workspace: 'lab', gpu_seconds: '42.5' },
              },
            ]
          : []),
      ],
    },
  ];
  if (tick % 10 === 0) {
    traffic[0]!.events.push({
      specversion: '1.0',
      id: ulid(),
      source: 'demo',
      type: 'storage.snapshot',
      subject: 'acme',
      time: now,
      data: { workspace: 'support', gb: 12.5 + tick / 100 },
    });
  }
  if (tick % 20 === 7) {
    // A producer bug: an event type no meter selects. It is quarantined, not lost.
    traffic[2]!.events.push({
      specversion: '1.0',
      id: ulid(),
      source: 'demo',
      type: 'llm.completions',
      subject: 'initech',
      time: now,
      data: { input_tokens: 10 },
    });
  }
  return traffic;
}

interface EntitlementStatus {
  entitlement: string;
  used: string;
  limit: string;
  overage: string;
  rejected: string;
  blocked: boolean;
  scope?: Record<string, string>;
}

async function summary(options: DemoOptions): Promise<string[]> {
  const lines: string[] = [];
  for (const tenant of ['acme', 'globex', 'initech', 'umbrella']) {
    const response = await fetch(`${options.apiUrl}/v1/tenants/${tenant}/entitlements`, {
      headers: { authorization: `Bearer ${options.adminToken}` },
    });
    if (!response.ok) continue;
    const body = (await response.json()) as { entitlements: EntitlementStatus[] };
    const first = body.entitlements.find((e) => e.entitlement.includes('input') && e.scope === undefined);
    if (first === undefined) continue;
    const extra = first.blocked
      ? `  BLOCKED (${first.rejected} rejected)`
      : first.overage !== '0'
        ? `  overage ${first.overage}`
        : '';
    lines.push(
      `  ${tenant.padEnd(9)} ${first.entitlement.padEnd(22)} ${first.used.padStart(12)} / ${first.limit}${extra}`,
    );
  }
  return lines;
}

/** Creates an ingest key for the tenant that sends over HTTP; undefined if the API refuses. */
async function createIngestKey(options: DemoOptions, tenant: string): Promise<string | undefined> {
  const response = await fetch(`${options.apiUrl}/v1/tenants/${tenant}/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'demo' }),
  });
  if (!response.ok) return undefined;
  return ((await response.json()) as { key: string }).key;
}

async function postEvents(options: DemoOptions, key: string, events: readonly Event[]): Promise<void> {
  const response = await fetch(`${options.apiUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
  const body = (await response.json()) as {
    accepted?: number;
    results?: Array<{ status: string; message?: string }>;
  };
  if (response.status !== 202) throw new Error(`POST /v1/events answered ${response.status}`);
  for (const result of body.results ?? []) {
    if (result.status !== 'accepted')
      options.print(`demo: HTTP ingest ${result.status}: ${result.message ?? ''}`);
  }
}

const HTTP_TENANT = 'initech';

/** Whether hooli's backdated week was sent on an earlier start (its usage a week ago is not zero). */
async function hasHistory(options: DemoOptions): Promise<boolean> {
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const to = new Date(Date.now() - 6 * 86_400_000).toISOString();
  const response = await fetch(
    `${options.apiUrl}/v1/tenants/hooli/usage?meter=input_tokens&from=${from}&to=${to}&windowSize=DAY`,
    { headers: { authorization: `Bearer ${options.adminToken}` } },
  );
  if (!response.ok) return false;
  return ((await response.json()) as { total: string }).total !== '0';
}
const INVOICED_TENANTS = ['acme', 'globex', 'umbrella'] as const;

/** Each tenant's upcoming invoice total: what it would owe if the period ended now. */
async function upcomingTotals(options: DemoOptions): Promise<string[]> {
  const lines: string[] = [];
  for (const tenant of INVOICED_TENANTS) {
    const response = await fetch(`${options.apiUrl}/v1/tenants/${tenant}/invoices/upcoming`, {
      headers: { authorization: `Bearer ${options.adminToken}` },
    });
    if (!response.ok) continue;
    const invoice = (await response.json()) as { total: string; currency: string; lines: unknown[] };
    lines.push(
      `  ${tenant.padEnd(9)} ${invoice.currency} ${invoice.total.padStart(10)}  (${invoice.lines.length} lines)`,
    );
  }
  return lines;
}

/** Starts the simulated services; the returned function stops them. */
export function startDemo(options: DemoOptions): () => Promise<void> {
  let tick = 0;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const usage = new UsageClient({
    transport: new KinesisPutTransport(options.kinesis, options.streamName),
    context: { source: 'demo' },
    lingerMs: 250,
    drainOnExit: false,
    hooks: {
      onFailed: (events, error) =>
        options.print(`demo: ${events.length} events not delivered: ${error.code}`),
    },
  });
  let ingestKey: Promise<string | undefined> | undefined;
  // The alerting demo's history: a week of hooli's ordinary usage, sent once (backdated).
  let history: Promise<void> | undefined;
  const step = async () => {
    tick += 1;
    history ??= (async () => {
      if (await hasHistory(options)) return; // a restart: the week is in the counters already
      for (const event of agentLoopHistory(Date.now()))
        await usage.record(event as unknown as UsageEventInput);
    })();
    await history;
    const loop = agentLoopTraffic(tick, Date.now());
    for (const event of loop.events) await usage.record(event as unknown as UsageEventInput);
    if (loop.note !== undefined) options.print(loop.note);
    ingestKey ??= createIngestKey(options, HTTP_TENANT);
    for (const { tenant, events } of demoTraffic(tick)) {
      const key = tenant === HTTP_TENANT ? await ingestKey : undefined;
      if (key !== undefined) await postEvents(options, key, events);
      else for (const event of events) await usage.record(event as unknown as UsageEventInput);
    }
    if (tick % (options.summaryEveryTicks ?? 10) === 0) {
      const lines = await summary(options);
      if (lines.length > 0)
        options.print(
          ['demo: input tokens this period (npx tollgate entitlements <tenant>)', ...lines].join('\n'),
        );
      const invoices = await upcomingTotals(options);
      if (invoices.length > 0)
        options.print(
          [
            'demo: upcoming invoices, growing with usage (npx tollgate invoices upcoming --tenant acme)',
            ...invoices,
          ].join('\n'),
        );
    }
  };
  const timer = setInterval(() => {
    if (stopped) return;
    running = running
      .then(step)
      .catch((error: unknown) => options.print(`demo: ${(error as Error).message}`));
  }, options.tickMs ?? 1000);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    await usage.close();
  };
}
