import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertMessage } from '../../../shared/alerts/alert.js';
import type { AlertPublisher } from '../../../shared/alerts/ports.js';

/**
 * Publishes alert messages to the alerts topic (docs/alerts.md), with `type`, `tenant`,
 * `severity` and `kind` as message attributes, so subscriptions can filter by severity or
 * tenant (SNS filter policies) — the routing the topic offers without code.
 */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<void> {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.title.slice(0, 99),
        Message: JSON.stringify(message),
        MessageAttributes: {
          type: attribute(message.type),
          tenant: attribute(message.tenant),
          severity: attribute(message.severity),
          kind: attribute(message.kind),
        },
      }),
    );
  }
}
