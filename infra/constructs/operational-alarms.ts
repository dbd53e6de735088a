import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface OperationalAlarmsProps {
  /** Every alarm name starts with this; the topics admit CloudWatch only for it. */
  readonly alarmNamePrefix: string;
  /** Notified when an alarm fires and when it recovers: the alarms topic and the alerts topic. */
  readonly topics: readonly sns.ITopic[];
  readonly consumer: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly httpApi: apigwv2.HttpApi;
  /** Where the consumer's Powertools metrics go: namespace and `service` dimension. */
  readonly metricsNamespace: string;
  readonly consumerServiceName: string;
}

/** Consumer falling behind: the oldest record it read was written more than this ago. */
export const ITERATOR_AGE_THRESHOLD = Duration.seconds(60);
/** Quarantined events per 5 minutes above which someone should look at the producers. */
export const QUARANTINE_THRESHOLD = 100;

/** The period of the count alarms. */
export const ALARM_PERIOD = Duration.minutes(5);

/** Fires on any non-zero value in one period; a period without data is healthy. */
export const ANY_IN_PERIOD = {
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  threshold: 0,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  evaluationPeriods: 1,
} as const;

/** Messages waiting in a queue (the most seen in a period): a dead-letter queue's depth. */
export function queueDepth(queue: sqs.IQueue): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({
    statistic: cloudwatch.Stats.MAXIMUM,
    period: ALARM_PERIOD,
  });
}

/**
 * The alarms an operator of the pipeline needs, all notifying the alarms topic and the alerts
 * topic (and again when they recover). A period with no data is healthy: an idle stream emits
 * no iterator age.
 */
export class OperationalAlarms extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const fiveMinutes = ALARM_PERIOD;
    const name = (suffix: string) => `${props.alarmNamePrefix}${suffix}`;
    const healthyWithoutData = { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
    const atLeastOne = ANY_IN_PERIOD;

    const alarms = [
      props.consumer
        .metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) })
        .createAlarm(this, 'ConsumerIteratorAge', {
          alarmName: name('consumer-iterator-age'),
          alarmDescription: `The consumer is more than ${ITERATOR_AGE_THRESHOLD.toSeconds()} s behind the stream for 3 minutes: usage and entitlements lag.`,
          ...healthyWithoutData,
          threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
        }),
      props.consumer
        .metricErrors({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes })
        .createAlarm(this, 'ConsumerErrors', {
          alarmName: name('consumer-errors'),
          alarmDescription: 'The consumer failed whole invocations (batches are retried, then bisected).',
          ...atLeastOne,
        }),
      props.consumer
        .metricThrottles({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes })
        .createAlarm(this, 'ConsumerThrottles', {
          alarmName: name('consumer-throttles'),
          alarmDescription: 'Consumer invocations were throttled: check the account concurrency limit.',
          ...atLeastOne,
        }),
      props.deadLetterQueue
        .metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: fiveMinutes,
        })
        .createAlarm(this, 'ConsumerDlqDepth', {
          alarmName: name('consumer-dlq-depth'),
          alarmDescription:
            'A batch was given up on after its retries: its records are unmetered until replayed from the stream.',
          ...atLeastOne,
        }),
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName: 'Quarantined',
        dimensionsMap: { service: props.consumerServiceName },
        statistic: cloudwatch.Stats.SUM,
        period: fiveMinutes,
      }).createAlarm(this, 'QuarantineRate', {
        alarmName: name('quarantine-rate'),
        alarmDescription: `More than ${QUARANTINE_THRESHOLD} events quarantined in 5 minutes: a producer is sending invalid events.`,
        ...healthyWithoutData,
        threshold: QUARANTINE_THRESHOLD,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      props.httpApi
        .metricServerError({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes })
        .createAlarm(this, 'Api5xx', {
          alarmName: name('api-5xx'),
          alarmDescription: 'The API answered with 5xx responses.',
          ...atLeastOne,
        }),
    ];

    notifyOnStateChange(alarms, props.topics);
    this.alarms = alarms;
  }
}

/** Each alarm notifies each topic when it fires and again when it recovers. */
export function notifyOnStateChange(
  alarms: readonly cloudwatch.Alarm[],
  topics: readonly sns.ITopic[],
): void {
  for (const topic of topics) {
    const notify = new actions.SnsAction(topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
  }
}
