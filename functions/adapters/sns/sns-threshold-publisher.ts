import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ThresholdCrossing, ThresholdPublisher } from '../../../shared/metering/ports.js';

export const THRESHOLD_MESSAGE_TYPE = 'entitlement.threshold_crossed';

/** The JSON message body published for one crossing (documented in the README). */
export function thresholdMessage(crossing: ThresholdCrossing): string {
  return JSON.stringify({ type: THRESHOLD_MESSAGE_TYPE, version: 1, ...crossing });
}

/**
 * Publishes crossings to the thresholds topic, ten per request. Each message carries the
 * crossing's stable id, so a subscriber can drop the rare repeat after a crash.
 */
export class SnsThresholdPublisher implements ThresholdPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(crossings: readonly ThresholdCrossing[]): Promise<void> {
    for (let i = 0; i < crossings.length; i += 10) {
      const chunk = crossings.slice(i, i + 10);
      const result = await this.client.send(
        new PublishBatchCommand({
          TopicArn: this.topicArn,
          PublishBatchRequestEntries: chunk.map((crossing, k) => ({
            Id: `c${i + k}`,
            Message: thresholdMessage(crossing),
            MessageAttributes: {
              type: { DataType: 'String', StringValue: THRESHOLD_MESSAGE_TYPE },
              tenant: { DataType: 'String', StringValue: crossing.tenant },
              crossingId: { DataType: 'String', StringValue: crossing.id },
            },
          })),
        }),
      );
      if ((result.Failed ?? []).length > 0) {
        const first = result.Failed?.[0];
        throw new Error(
          `threshold publish failed for ${result.Failed?.length} messages: ${first?.Code} ${first?.Message ?? ''}`,
        );
      }
    }
  }
}
