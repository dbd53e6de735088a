/** Alert messages, threshold crossings and SNS events for alerting tests. */
import type { SNSEvent } from 'aws-lambda';
import type { Alert, AlertMessage } from '../../shared/alerts/alert.js';
import { alertIdOf } from '../../shared/alerts/incident.js';
import type { ThresholdCrossing } from '../../shared/metering/ports.js';

/** acme's input tokens at 5.2× normal in the hour 14:00–15:00 UTC (an `alert.opened`). */
export function aSpikeAlert(overrides: Partial<AlertMessage> = {}): AlertMessage {
  return {
    version: 1,
    type: 'alert.opened',
    alertId: 'al_0123456789abcdefghjkmnpqrs',
    kind: 'usage_spike',
    severity: 'critical',
    state: 'open',
    tenant: 'acme',
    meter: 'input_tokens',
    dimensions: { model: 'gpt-4o' },
    unit: 'tokens',
    observed: '52000',
    expected: '10000',
    ratio: 5.2,
    window: { start: '2026-11-29T14:00:00.000Z', end: '2026-11-29T15:00:00.000Z' },
    startedAt: '2026-11-29T14:00:00.000Z',
    updatedAt: '2026-11-29T15:02:00.000Z',
    title: 'acme: input_tokens at 5.2× normal',
    summary: 'acme used 52,000 input tokens between 14:00 and 15:00 UTC, against about 10,000 normally.',
    action: 'Check for a runaway agent or a retry loop in acme; a hard limit stops it.',
    recent: [...Array.from({ length: 23 }, (_, hour) => 9_000 + (hour % 5) * 500), 52_000],
    links: {
      alert: '/v1/alerts/al_0123456789abcdefghjkmnpqrs',
      usage: '/v1/tenants/acme/usage?meter=input_tokens&from=2026-11-28&windowSize=HOUR',
    },
    ...overrides,
  };
}

/** globex hits 100% of its hard cap: 20,000 of 20,000 used, 9,700 rejected. */
export function aHardCapCrossing(overrides: Partial<ThresholdCrossing> = {}): ThresholdCrossing {
  return {
    id: 'globex/monthly-input-tokens/2026-11-01T00:00:00.000Z/_/100',
    tenant: 'globex',
    entitlement: 'monthly-input-tokens',
    meter: 'input_tokens',
    mode: 'hard',
    percent: 100,
    limit: '20000',
    used: '20000',
    overage: '0',
    rejected: '9700',
    periodStart: '2026-11-01T00:00:00.000Z',
    periodEnd: '2026-12-01T00:00:00.000Z',
    blocked: true,
    ...overrides,
  };
}

/** An SNS → Lambda event of one record per message body. */
export function snsEvent(...messages: string[]): SNSEvent {
  return {
    Records: messages.map((message, i) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:tollgate-alerts:sub',
      Sns: {
        Type: 'Notification',
        MessageId: `msg-${i + 1}`,
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:tollgate-alerts',
        Subject: '',
        Message: message,
        Timestamp: '2026-11-29T15:02:01.000Z',
        SignatureVersion: '1',
        Signature: 'sig',
        SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/cert.pem',
        UnsubscribeUrl: 'https://sns.us-east-1.amazonaws.com/unsubscribe',
        MessageAttributes: {},
      },
    })),
  };
}

/** The stored alert of acme's open input-token spike (total, 10× since 10:00 UTC), as the detector keeps it. */
export function anOpenSpike(overrides: Partial<Alert> = {}): Alert {
  const incidentKey = 'acme|usage_spike|llm.completion|';
  const startedAt = '2026-11-08T10:00:00.000Z';
  return {
    id: alertIdOf(incidentKey, startedAt),
    incidentKey,
    kind: 'usage_spike',
    severity: 'critical',
    state: 'open',
    tenant: 'acme',
    meter: 'input_tokens',
    dimensions: {},
    unit: 'tokens',
    observed: '100000',
    expected: '10000',
    ratio: 10,
    notifiedRatio: 10,
    window: { start: startedAt, end: '2026-11-08T11:00:00.000Z' },
    startedAt,
    updatedAt: '2026-11-08T10:12:00.000Z',
    normalHours: 0,
    evaluatedHour: '2026-11-08T09:00:00.000Z',
    history: [{ at: '2026-11-08T10:12:00.000Z', event: 'alert.opened', severity: 'critical' }],
    version: 3,
    title: 'acme: input_tokens is 10.0× its normal level',
    summary: 'input_tokens is on pace for 100000 tokens this hour against 10000 tokens expected.',
    action: 'Check for a runaway agent.',
    ...overrides,
  };
}
