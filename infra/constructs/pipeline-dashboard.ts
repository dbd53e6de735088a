import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PipelineDashboardProps {
  readonly dashboardName: string;
  readonly stream: kinesis.IStream;
  readonly consumer: lambda.IFunction;
  /** Where the consumer's Powertools metrics go: namespace and `service` dimension. */
  readonly metricsNamespace: string;
  readonly consumerServiceName: string;
  /** Every dead-letter queue of the stack, by the label the graph shows. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly httpApi: apigwv2.HttpApi;
  readonly invoiceWorker: lambda.IFunction;
  readonly detector: lambda.IFunction;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** What the consumer counts per batch (functions/ingest-consumer/powertools-observer.ts). */
export const CONSUMER_THROUGHPUT_METRICS = ['Events', 'Counted', 'Duplicates', 'Redelivered'] as const;
export const CONSUMER_TROUBLE_METRICS = [
  'Quarantined',
  'RetriedRecords',
  'ThresholdsPublished',
  'CounterWrites',
] as const;

const PERIOD = Duration.minutes(5);
const FULL = 24;
const HALF = 12;

/**
 * One page for the pipeline, top to bottom as an event travels: the stream, the consumer and
 * what it counted, the dead-letter queues, the API, invoicing and alerting, then every alarm.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };
    const max = { statistic: cloudwatch.Stats.MAXIMUM, period: PERIOD };
    const consumerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.consumerServiceName },
        ...sum,
      });
    const invocationsAndErrors = (title: string, fn: lambda.IFunction, width: number) =>
      new cloudwatch.GraphWidget({
        title,
        width,
        left: [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)],
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stream: incoming records and bytes',
        width: HALF,
        left: [props.stream.metricIncomingRecords(sum)],
        right: [props.stream.metricIncomingBytes(sum)],
      }),
      new cloudwatch.GraphWidget({
        title: 'Iterator age (ms): stream and consumer',
        width: HALF,
        left: [
          props.stream.metricGetRecordsIteratorAgeMilliseconds(max),
          props.consumer.metric('IteratorAge', { ...max, label: 'Consumer IteratorAge' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      invocationsAndErrors('Consumer: invocations, errors, throttles', props.consumer, HALF),
      new cloudwatch.GraphWidget({
        title: 'Consumer: duration (ms)',
        width: HALF,
        left: [
          props.consumer.metricDuration({ statistic: cloudwatch.Stats.AVERAGE, period: PERIOD }),
          props.consumer.metricDuration({ statistic: cloudwatch.Stats.p(99), period: PERIOD }),
          props.consumer.metricDuration(max),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Consumer: events, counted, duplicates, redelivered',
        width: HALF,
        left: CONSUMER_THROUGHPUT_METRICS.map(consumerMetric),
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumer: quarantined, retried records, thresholds, counter writes',
        width: HALF,
        left: CONSUMER_TROUBLE_METRICS.map(consumerMetric),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues: messages visible',
        width: FULL,
        left: Object.entries(props.deadLetterQueues).map(([label, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ ...max, label }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API: requests, 4xx and 5xx',
        width: HALF,
        left: [props.httpApi.metricCount(sum)],
        right: [props.httpApi.metricClientError(sum), props.httpApi.metricServerError(sum)],
      }),
      new cloudwatch.GraphWidget({
        title: 'API: latency (ms)',
        width: HALF,
        left: [
          props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(50), period: PERIOD }),
          props.httpApi.metricLatency({ statistic: cloudwatch.Stats.p(99), period: PERIOD }),
          props.httpApi.metricIntegrationLatency({ statistic: cloudwatch.Stats.p(99), period: PERIOD }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      invocationsAndErrors('Invoice worker: invocations, errors, throttles', props.invoiceWorker, HALF),
      invocationsAndErrors('Alert detector: invocations, errors, throttles', props.detector, HALF),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        width: FULL,
        alarms: [...props.alarms],
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );
  }
}
