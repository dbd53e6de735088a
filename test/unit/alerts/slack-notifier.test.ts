/**
 * The Slack notifier against a real HTTP server standing in for Slack's incoming webhook
 * (node:http on 127.0.0.1, a random port), with the real poster. `sleep` is injected and
 * records the waits, so retries cost no time.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoutedSlackPoster } from '../../../functions/adapters/slack/routed-slack-poster.js';
import {
  SlackDeliveryError,
  type SlackWebhookPosterOptions,
} from '../../../functions/adapters/slack/slack-webhook-poster.js';
import { thresholdMessage } from '../../../functions/adapters/sns/sns-threshold-publisher.js';
import { createSlackNotifier, type NotifierLogger } from '../../../functions/alerts/slack-notifier.js';
import { awsSlackNotifierDeps } from '../../../functions/composition/aws-alerts.js';
import { alertMessageOf } from '../../../shared/alerts/alert-message.js';
import { InvalidNotificationError, parseNotification } from '../../../shared/alerts/notification.js';
import { slackMessageForAlert } from '../../../shared/alerts/slack-message.js';
import { aHardCapCrossing, anOpenSpike, aSpikeAlert, snsEvent } from '../../factories/alerts.js';

const SECRET_PATH = '/services/T0000/B0000/s3cr3tW3bh00kT0k3n';
const API = 'https://api.example.com/prod';

// --- factories ------------------------------------------------------------------------------

// --- a stand-in for Slack -------------------------------------------------------------------

type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface FakeSlack {
  readonly url: string;
  readonly received: Received[];
  /** Answers in order; 200 `ok` once they run out. */
  readonly replies: Reply[];
  close(): Promise<void>;
}

async function startFakeSlack(): Promise<FakeSlack> {
  const received: Received[] = [];
  const replies: Reply[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = replies.shift() ?? { status: 200, body: 'ok' };
      if (reply === 'hang') return;
      response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SECRET_PATH}`,
    received,
    replies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly details: Record<string, unknown>;
}

function recordingLogger(): NotifierLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (message, details) => entries.push({ level: 'info', message, details }),
    warn: (message, details) => entries.push({ level: 'warn', message, details }),
    error: (message, details) => entries.push({ level: 'error', message, details }),
  };
}

let slack: FakeSlack;
let sleeps: number[];
let logger: ReturnType<typeof recordingLogger>;

beforeEach(async () => {
  slack = await startFakeSlack();
  sleeps = [];
  logger = recordingLogger();
});

afterEach(async () => {
  await slack.close();
});

/** The notifier over a `RoutedSlackPoster`: `config` is the secret's text (default: the fake Slack's URL). */
function notifier(
  poster: Partial<Omit<SlackWebhookPosterOptions, 'webhookUrl'>> & { config?: () => Promise<string> } = {},
) {
  const { config, ...options } = poster;
  return createSlackNotifier({
    poster: new RoutedSlackPoster({
      config: config ?? (async () => slack.url),
      allowHttp: true,
      poster: {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        ...options,
      },
    }),
    apiBaseUrl: API,
    logger,
  });
}

/** Everything a person could see of a failure: the error, its causes, and the log lines. */
function everythingVisible(error: unknown): string {
  return `${inspect(error, { depth: 10 })}\n${String(error)}\n${inspect(logger.entries, { depth: 10 })}`;
}

// --- the notifier ---------------------------------------------------------------------------

describe('the Slack notifier', () => {
  it('posts an alert to the webhook as Block Kit JSON', async () => {
    const message = aSpikeAlert();
    await notifier()(snsEvent(JSON.stringify(message)));

    expect(slack.received).toHaveLength(1);
    const [request] = slack.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(SECRET_PATH);
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(request?.body ?? '');
    expect(body).toEqual(JSON.parse(JSON.stringify(slackMessageForAlert(message, { apiBaseUrl: API }))));
    expect(body.text).toBe('🔴 CRITICAL: acme: input_tokens at 5.2× normal (5.2× normal)');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 acme: input_tokens at 5.2× normal' },
    });
    expect(JSON.stringify(body.blocks)).toContain('*Observed*\\n52,000 tokens (5.2× normal)');
    expect(logger.entries).toContainEqual({
      level: 'info',
      message: 'notification posted to Slack',
      details: expect.objectContaining({ messageId: 'msg-1', alertId: message.alertId }),
    });
  });

  it('posts a threshold crossing from the thresholds topic, BLOCKED at a hard cap', async () => {
    await notifier()(snsEvent(thresholdMessage(aHardCapCrossing())));

    expect(slack.received).toHaveLength(1);
    const body = JSON.parse(slack.received[0]?.body ?? '');
    expect(body.blocks[0].text.text).toBe('⛔ BLOCKED: globex reached 100% of monthly-input-tokens');
  });

  it('retries a 500 and delivers once', async () => {
    slack.replies.push({ status: 500, body: 'internal_error' });
    await notifier({ random: () => 0.5 })(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]?.body).toBe(slack.received[0]?.body);
    // First backoff: a 500 ms ceiling, half of it fixed and half jittered (0.5 → 375 ms).
    expect(sleeps).toEqual([375]);
    expect(logger.entries.filter((e) => e.message === 'notification posted to Slack')).toHaveLength(1);
  });

  it('waits as long as a 429 asks (Retry-After in seconds), then delivers', async () => {
    slack.replies.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
    await notifier()(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(2);
    expect(sleeps).toEqual([1000]);
  });

  it('caps a long Retry-After', async () => {
    slack.replies.push({ status: 429, headers: { 'retry-after': '3600' } });
    await notifier({ maxDelayMs: 10_000 })(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(sleeps).toEqual([10_000]);
  });

  it('does not retry a 400, and fails the invocation without revealing the webhook URL', async () => {
    slack.replies.push({ status: 400, body: 'invalid_payload' });
    const error = await notifier()(snsEvent(JSON.stringify(aSpikeAlert()))).catch((e: unknown) => e);

    expect(slack.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect(error).toMatchObject({ code: 'slack_rejected', status: 400 });
    expect((error as Error).message).toBe('Slack rejected the message: HTTP 400 invalid_payload');
    expect(everythingVisible(error)).not.toContain(SECRET_PATH);
    expect(logger.entries).toContainEqual({
      level: 'error',
      message: 'notification not delivered to Slack',
      details: expect.objectContaining({ messageId: 'msg-1', error }),
    });
  });

  it('fails the invocation once every attempt got a 5xx, so Lambda retries and dead-letters it', async () => {
    slack.replies.push(...Array.from({ length: 4 }, () => ({ status: 503, body: 'unavailable' })));
    const error = await notifier({ random: () => 0 })(snsEvent(JSON.stringify(aSpikeAlert()))).catch(
      (e: unknown) => e,
    );

    expect(slack.received).toHaveLength(4);
    // Exponential: ceilings 500, 1000, 2000 ms; with no jitter, half of each.
    expect(sleeps).toEqual([250, 500, 1000]);
    expect(error).toMatchObject({ code: 'slack_unavailable', status: 503 });
    expect((error as Error).message).toContain('after 4 attempts: HTTP 503 unavailable');
  });

  it('retries an attempt that timed out', async () => {
    slack.replies.push('hang');
    await notifier({ timeoutMs: 100 })(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('retries network errors, then fails without the URL in the error or its causes', async () => {
    await slack.close();
    const error = await notifier({ maxAttempts: 2 })(snsEvent(JSON.stringify(aSpikeAlert()))).catch(
      (e: unknown) => e,
    );
    slack = await startFakeSlack(); // for afterEach

    expect(sleeps).toHaveLength(1);
    expect(error).toMatchObject({ code: 'slack_unavailable' });
    expect((error as Error).message).toMatch(/after 2 attempts: network error/);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(everythingVisible(error)).not.toContain(SECRET_PATH);
  });

  it('redacts the URL from errors fetch raises before keeping them as the cause', async () => {
    const error = await notifier({
      maxAttempts: 1,
      fetch: async (url) => {
        throw new TypeError(`request to ${url} failed`, {
          cause: new Error(`socket hang up on ${SECRET_PATH}`),
        });
      },
    })(snsEvent(JSON.stringify(aSpikeAlert()))).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'slack_unavailable' });
    expect(inspect(error, { depth: 10 })).toContain('request to [slack webhook url] failed');
    expect(everythingVisible(error)).not.toContain(SECRET_PATH);
  });

  it('fails without retrying when the secret holds something that is not a URL, and never echoes it', async () => {
    const error = await notifier({ config: async () => `hooks.slack.com${SECRET_PATH}` })(
      snsEvent(JSON.stringify(aSpikeAlert())),
    ).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'slack_not_configured' });
    expect(sleeps).toEqual([]);
    expect(everythingVisible(error)).not.toContain(SECRET_PATH);
  });

  it('skips a message that is not an alert nor a crossing, with the reason, and posts nothing', async () => {
    await notifier()(
      snsEvent(
        'not json',
        JSON.stringify({ ...aSpikeAlert(), observed: 'lots' }),
        JSON.stringify({ type: 'x' }),
      ),
    );

    expect(slack.received).toHaveLength(0);
    const skipped = logger.entries.filter((e) => e.level === 'warn');
    expect(skipped.map((e) => [e.details.messageId, e.details.reason, e.details.field])).toEqual([
      ['msg-1', 'invalid_notification', ''],
      ['msg-2', 'invalid_notification', 'observed'],
      ['msg-3', 'invalid_notification', 'type'],
    ]);
  });

  it('posts the good messages of an event and skips the bad ones', async () => {
    await notifier()(snsEvent('{}', JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(1);
  });

  it.each(['none', '', ' NONE '])(
    'drops messages without error while Slack is not configured (%j)',
    async (value) => {
      await notifier({ config: async () => value })(snsEvent(JSON.stringify(aSpikeAlert())));

      expect(slack.received).toHaveLength(0);
      expect(logger.entries).toEqual([
        {
          level: 'info',
          message: 'Slack is not configured: notifications dropped',
          details: { messageIds: ['msg-1'] },
        },
      ]);
    },
  );

  it('routes by severity and tenant: each message to every channel it matches, once per channel', async () => {
    const base = slack.url.replace(SECRET_PATH, '');
    const routing = JSON.stringify({
      routes: [
        { name: 'oncall', webhookUrl: `${base}/oncall`, minSeverity: 'critical' },
        { name: 'acme-cs', webhookUrl: `${base}/acme`, tenants: ['acme'] },
        { name: 'acme-again', webhookUrl: `${base}/acme`, tenants: ['acme'] },
        { name: 'pipeline', webhookUrl: `${base}/ops`, kinds: ['pipeline_alarm'] },
      ],
    });
    const handler = notifier({ config: async () => routing });

    await handler(snsEvent(JSON.stringify(aSpikeAlert()))); // acme, critical
    await handler(snsEvent(JSON.stringify(aSpikeAlert({ tenant: 'globex', severity: 'warning' }))));
    await handler(snsEvent(JSON.stringify(aSpikeAlert({ tenant: 'globex', severity: 'critical' }))));

    expect(slack.received.map((r) => r.path)).toEqual(['/oncall', '/acme', '/oncall']);
    expect(logger.entries.map((e) => [e.message, e.details.routes ?? e.details.tenant])).toEqual([
      ['notification posted to Slack', ['oncall', 'acme-cs']],
      ['no Slack route matches: notification dropped', 'globex'],
      ['notification posted to Slack', ['oncall']],
    ]);
  });

  it('fails the invocation, naming the field and not the URL, when the routing document is invalid', async () => {
    const routing = JSON.stringify({
      routes: [{ webhookUrl: `http://hooks.example.com${SECRET_PATH}`, minSeverity: 'urgent' }],
    });
    const error = await notifier({ config: async () => routing })(
      snsEvent(JSON.stringify(aSpikeAlert())),
    ).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'slack_not_configured' });
    expect(String(error)).toContain('routes[0].minSeverity');
    expect(everythingVisible(error)).not.toContain(SECRET_PATH);
    expect(slack.received).toHaveLength(0);
  });
});

// --- the messages it reads ------------------------------------------------------------------

describe('parseNotification', () => {
  it('reads an alert message', () => {
    const message = aSpikeAlert();
    expect(parseNotification(JSON.stringify(message))).toEqual({ kind: 'alert', message });
  });

  it('reads a crossing exactly as the thresholds topic publishes it', () => {
    const scoped = aHardCapCrossing({ scope: { workspace: 'support' }, blocked: false, mode: 'soft' });
    expect(parseNotification(thresholdMessage(scoped))).toEqual({ kind: 'threshold', crossing: scoped });
  });

  it('reads what the detector publishes (alertMessageOf)', () => {
    const alert = anOpenSpike({ dimensions: { model: 'gpt-4o' }, recent: [1, 2, 3] });
    const message = alertMessageOf(alert, 'alert.opened');
    expect(parseNotification(JSON.stringify(message))).toEqual({ kind: 'alert', message });
  });

  it('drops fields it does not know', () => {
    const parsed = parseNotification(JSON.stringify({ ...aSpikeAlert(), color: 'red' }));
    expect(parsed.kind === 'alert' && 'color' in parsed.message).toBe(false);
  });

  it.each([
    ['not json', '', /the message is not JSON/],
    ['[1]', '', /must be a JSON object/],
    [JSON.stringify({ version: 1 }), 'type', /type: is required/],
    [JSON.stringify({ ...aSpikeAlert(), type: 'invoice.finalized' }), 'type', /type: must be/],
    [JSON.stringify({ ...aSpikeAlert(), type: 'alert.exploded' }), 'type', /^notification: type: /],
    [JSON.stringify({ ...aSpikeAlert(), version: 2 }), 'version', /^notification: version: /],
    [JSON.stringify({ ...aSpikeAlert(), tenant: undefined }), 'tenant', /tenant: is required/],
    [JSON.stringify({ ...aSpikeAlert(), observed: '5e3' }), 'observed', /observed: must be a decimal/],
    [
      JSON.stringify({ ...aSpikeAlert(), window: { start: 'today', end: '2026-11-29T15:00:00Z' } }),
      'window.start',
      /window\.start: must be an ISO-8601/,
    ],
    [JSON.stringify({ ...aSpikeAlert(), recent: [1, 'x'] }), 'recent.1', /recent\.1: /],
    [thresholdMessage(aHardCapCrossing({ percent: 0 })), 'percent', /percent: /],
    [thresholdMessage(aHardCapCrossing({ mode: 'sometimes' as 'hard' })), 'mode', /mode: /],
  ])('refuses %s, naming the field %j', (body, field, message) => {
    const error = (() => {
      try {
        parseNotification(body);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidNotificationError);
    expect(error).toMatchObject({ code: 'invalid_notification', field });
    expect((error as Error).message).toMatch(message);
  });
});

// --- the AWS composition --------------------------------------------------------------------

describe('awsSlackNotifierDeps', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tollgate-slack-AbCdEf';
  const ENV = { TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN, AWS_REGION: 'us-east-1' };
  const secrets = mockClient(SecretsManagerClient);

  beforeEach(() => {
    secrets.reset();
  });

  it('names a missing or bad variable', () => {
    expect(() => awsSlackNotifierDeps({ AWS_REGION: 'us-east-1' })).toThrow(
      /TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: is not set/,
    );
    expect(() => awsSlackNotifierDeps({ ...ENV, TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: 'slack' })).toThrow(
      /TOLLGATE_SLACK_WEBHOOK_SECRET_ARN/,
    );
    expect(() => awsSlackNotifierDeps({ ...ENV, TOLLGATE_API_URL: 'api.example.com' })).toThrow(
      /TOLLGATE_API_URL/,
    );
    expect(() => awsSlackNotifierDeps({ TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: SECRET_ARN })).toThrow(
      /AWS_REGION: is not set/,
    );
  });

  it('reads the webhook URL from the secret once per container and posts there, with API links', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: `${slack.url}\n` });
    const deps = awsSlackNotifierDeps({ ...ENV, TOLLGATE_API_URL: API }, { logger, allowHttp: true });
    const handler = createSlackNotifier(deps);

    await handler(snsEvent(JSON.stringify(aSpikeAlert())));
    await handler(snsEvent(thresholdMessage(aHardCapCrossing())));

    expect(deps.apiBaseUrl).toBe(API);
    expect(slack.received).toHaveLength(2);
    expect(slack.received[0]?.body).toContain(`<${API}/v1/alerts/al_0123456789abcdefghjkmnpqrs|alert>`);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    ['none', 'none'],
    ['an empty secret', ''],
  ])('drops messages without error when the secret holds %s', async (_, value) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });
    const handler = createSlackNotifier(
      awsSlackNotifierDeps({ ...ENV, TOLLGATE_API_URL: '' }, { logger, allowHttp: true }),
    );

    await handler(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(0);
    expect(logger.entries.map((e) => e.message)).toEqual(['Slack is not configured: notifications dropped']);
  });

  it('fails the invocation when the secret cannot be read, and reads it again next time', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('AccessDeniedException'))
      .resolves({ SecretString: slack.url });
    const handler = createSlackNotifier(awsSlackNotifierDeps(ENV, { logger, allowHttp: true }));

    await expect(handler(snsEvent(JSON.stringify(aSpikeAlert())))).rejects.toThrow(/AccessDenied/);
    await handler(snsEvent(JSON.stringify(aSpikeAlert())));

    expect(slack.received).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
