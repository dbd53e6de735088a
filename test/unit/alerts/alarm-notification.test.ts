import type { SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createSlackNotifier } from '../../../functions/alerts/slack-notifier.js';
import { parseNotification } from '../../../shared/alerts/notification.js';
import type { SlackPayload } from '../../../shared/alerts/slack-message.js';

/** A CloudWatch alarm state change as SNS delivers it to the alerts topic's subscribers. */
function alarmMessage(state: 'ALARM' | 'OK', name = 'Tollgate-consumer-iterator-age'): string {
  return JSON.stringify({
    AlarmName: name,
    AlarmDescription: 'The consumer is more than 60 s behind the stream for 3 minutes.',
    AWSAccountId: '123456789012',
    NewStateValue: state,
    NewStateReason:
      'Threshold Crossed: 3 datapoints [95000.0, 88000.0, 72000.0] were greater than the threshold (60000.0).',
    StateChangeTime: '2026-12-02T10:15:00.000+0000',
    Region: 'EU (Ireland)',
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    Trigger: { MetricName: 'IteratorAge', Namespace: 'AWS/Lambda' },
  });
}

function snsEvent(message: string): SNSEvent {
  return {
    Records: [
      { Sns: { Message: message, MessageId: 'm-1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:alerts' } },
    ],
  } as unknown as SNSEvent;
}

describe('pipeline alarms on the alerts topic', () => {
  it('reads a CloudWatch alarm notification, and refuses one with a bad state naming the field', () => {
    expect(parseNotification(alarmMessage('ALARM'))).toMatchObject({
      kind: 'alarm',
      alarm: { AlarmName: 'Tollgate-consumer-iterator-age', NewStateValue: 'ALARM' },
    });
    const bad = JSON.stringify({ ...JSON.parse(alarmMessage('ALARM')), NewStateValue: 'ON_FIRE' });
    expect(() => parseNotification(bad)).toThrow(expect.objectContaining({ field: 'NewStateValue' }));
  });

  it('posts a firing alarm and its recovery to Slack, escaping what CloudWatch sends', async () => {
    const posted: SlackPayload[] = [];
    const notifier = createSlackNotifier({
      poster: {
        configured: async () => true,
        post: async (payload) => {
          posted.push(payload);
          return ['default'];
        },
      },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    await notifier(snsEvent(alarmMessage('ALARM', 'Tollgate-<api>-5xx')));
    await notifier(snsEvent(alarmMessage('OK')));
    expect(posted).toHaveLength(2);
    const firing = JSON.stringify(posted[0]);
    expect(firing).toContain('Pipeline alarm');
    expect(firing).toContain('&lt;api&gt;');
    expect(firing).toContain('What to do');
    expect(JSON.stringify(posted[1])).toContain('Recovered: Tollgate-consumer-iterator-age');
    expect(JSON.stringify(posted[1])).not.toContain('What to do');
  });
});
