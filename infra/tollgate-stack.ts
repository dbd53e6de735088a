import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { TABLE_IDS } from '../shared/tables/table-definitions.js';
import type { TollgateConfig } from './config.js';
import { AlertTopics } from './constructs/alert-topics.js';
import { Alerting } from './constructs/alerting.js';
import { BillingTables } from './constructs/billing-tables.js';
import { HttpIngest } from './constructs/http-ingest.js';
import { CONSUMER_SERVICE_NAME, IngestPipeline, METRICS_NAMESPACE } from './constructs/ingest-pipeline.js';
import { Invoicing } from './constructs/invoicing.js';
import { notifyOnStateChange, OperationalAlarms } from './constructs/operational-alarms.js';
import { PipelineDashboard } from './constructs/pipeline-dashboard.js';
import { QuarantineBlobStore } from './constructs/quarantine-blob-store.js';
import { TollgateApi } from './constructs/tollgate-api.js';

export interface TollgateStackProps extends StackProps {
  readonly config: TollgateConfig;
}

/**
 * Everything Tollgate runs in the customer's account: Kinesis -> consumer Lambda -> DynamoDB,
 * the HTTP API (and HTTP ingest onto the stream), the quarantine blob store, threshold and alarm topics,
 * invoicing (scheduled planner, job queue, worker, documents, invoices topic), and alerting
 * (scheduled detector, alerts topic, Slack notifier, pipeline alarms and dashboard), all under
 * one customer-managed key.
 */
export class TollgateStack extends Stack {
  readonly key: kms.Key;
  readonly tables: BillingTables;
  readonly quarantine: QuarantineBlobStore;
  readonly topics: AlertTopics;
  readonly ingest: IngestPipeline;
  readonly invoicing: Invoicing;
  readonly api: TollgateApi;
  readonly httpIngest: HttpIngest;
  readonly alerting: Alerting;
  readonly alarms: OperationalAlarms;
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: TollgateStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retain = config.removalPolicy === 'retain';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const alarmNamePrefix = `${this.stackName}-`;

    this.key = new kms.Key(this, 'Key', {
      description: `Tollgate ${this.stackName}: stream, tables, topics, queues and quarantine blobs`,
      alias: `alias/tollgate/${this.stackName}`,
      enableKeyRotation: true,
      removalPolicy,
      ...(retain ? {} : { pendingWindow: Duration.days(7) }),
    });

    this.tables = new BillingTables(this, 'Tables', {
      key: this.key,
      removalPolicy,
      deletionProtection: retain,
    });

    this.quarantine = new QuarantineBlobStore(this, 'Quarantine', {
      key: this.key,
      removalPolicy,
      autoDeleteObjects: !retain,
    });

    this.topics = new AlertTopics(this, 'Topics', {
      key: this.key,
      alarmNamePrefix,
      ...(config.alarmEmail === undefined ? {} : { alarmEmail: config.alarmEmail }),
    });

    this.ingest = new IngestPipeline(this, 'Ingest', {
      key: this.key,
      streamMode: config.streamMode,
      ...(config.shardCount === undefined ? {} : { shardCount: config.shardCount }),
      envelopeDedup: config.envelopeDedup,
      tables: this.tables,
      quarantineBucket: this.quarantine.bucket,
      thresholdsTopic: this.topics.thresholds,
      removalPolicy,
    });

    this.invoicing = new Invoicing(this, 'Invoicing', {
      key: this.key,
      tables: this.tables,
      // `Bucket` is an `IBucket`; the cast only bridges exactOptionalPropertyTypes (`isWebsite?`).
      accessLogBucket: this.quarantine.accessLogBucket as s3.IBucket,
      scheduleExpression: config.invoiceSchedule,
      graceHours: config.graceHours,
      alarmsTopic: this.topics.alarms,
      alarmNamePrefix,
      removalPolicy,
      autoDeleteObjects: !retain,
    });

    this.api = new TollgateApi(this, 'Api', {
      key: this.key,
      tables: this.tables,
      stream: this.ingest.stream,
      quarantineBucket: this.quarantine.bucket,
      documentsBucket: this.invoicing.documentsBucket,
      invoiceJobsQueue: this.invoicing.jobsQueue,
      graceHours: config.graceHours,
      removalPolicy,
    });

    this.httpIngest = new HttpIngest(this, 'HttpIngest', {
      key: this.key,
      tables: this.tables,
      stream: this.ingest.stream,
      api: this.api,
      removalPolicy,
    });

    this.alerting = new Alerting(this, 'Alerting', {
      key: this.key,
      tables: this.tables,
      thresholdsTopic: this.topics.thresholds,
      ...(config.alertEmail === undefined ? {} : { alertEmail: config.alertEmail }),
      scheduleExpression: config.detectorSchedule,
      resolveAfterQuietMinutes: config.resolveAfterQuietMinutes,
      apiUrl: this.api.url,
      alarmsTopic: this.topics.alarms,
      alarmNamePrefix,
      removalPolicy,
    });

    // Pipeline health reaches the people who get the alerts, as well as the operators.
    this.alarms = new OperationalAlarms(this, 'Alarms', {
      alarmNamePrefix,
      topics: [this.topics.alarms, this.alerting.topic],
      consumer: this.ingest.consumer.function,
      deadLetterQueue: this.ingest.deadLetterQueue,
      httpApi: this.api.httpApi,
      metricsNamespace: METRICS_NAMESPACE,
      consumerServiceName: CONSUMER_SERVICE_NAME,
    });
    // Invoicing's alarms already notify the alarms topic.
    notifyOnStateChange(this.invoicing.alarms, [this.alerting.topic]);

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      dashboardName: `${this.stackName}-pipeline`,
      stream: this.ingest.stream,
      consumer: this.ingest.consumer.function,
      metricsNamespace: METRICS_NAMESPACE,
      consumerServiceName: CONSUMER_SERVICE_NAME,
      deadLetterQueues: {
        Consumer: this.ingest.deadLetterQueue,
        'Invoice jobs': this.invoicing.jobsDeadLetterQueue,
        'Invoice schedule': this.invoicing.scheduleDeadLetterQueue,
        'Alert notifier': this.alerting.notifierDeadLetterQueue,
        'Detector schedule': this.alerting.scheduleDeadLetterQueue,
      },
      httpApi: this.api.httpApi,
      invoiceWorker: this.invoicing.worker.function,
      detector: this.alerting.detector.function,
      alarms: [...this.alarms.alarms, ...this.invoicing.alarms, ...this.alerting.alarms],
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });

    output('StreamName', this.ingest.stream.streamName, 'Kinesis stream that receives usage events');
    output('StreamArn', this.ingest.stream.streamArn, 'ARN of the usage event stream');
    for (const tableId of TABLE_IDS) {
      const id = `${tableId.charAt(0).toUpperCase()}${tableId.slice(1)}TableName`;
      output(id, this.tables.byId[tableId].tableName, `DynamoDB ${tableId} table`);
    }
    output(
      'QuarantineBucketName',
      this.quarantine.bucket.bucketName,
      'S3 bucket with quarantined record bytes',
    );
    output('ApiUrl', this.api.url, 'Base URL of the Tollgate API (routes under /v1/)');
    output(
      'EventsUrl',
      `${this.api.url}v1/events`,
      'HTTP ingest: POST usage events here with an ingest key (tollgate keys create)',
    );
    output(
      'IngestFunctionName',
      this.httpIngest.handler.function.functionName,
      'The function behind POST /v1/events',
    );
    output(
      'AdminTokenSecretArn',
      this.api.adminTokenSecret.secretArn,
      'Secrets Manager secret holding the admin token',
    );
    output(
      'ThresholdsTopicArn',
      this.topics.thresholds.topicArn,
      'SNS topic for entitlement threshold crossings',
    );
    output('AlarmsTopicArn', this.topics.alarms.topicArn, 'SNS topic for operational alarms');
    output(
      'ConsumerDlqUrl',
      this.ingest.deadLetterQueue.queueUrl,
      'SQS queue of batches the consumer gave up on',
    );
    output(
      'ConsumerFunctionName',
      this.ingest.consumer.function.functionName,
      'Consumer Lambda; invoke it with a replay event to re-meter a given-up batch',
    );
    const { invoicing } = this;
    output(
      'DocumentsBucketName',
      invoicing.documentsBucket.bucketName,
      'S3 bucket with rendered invoice documents (invoices/…)',
    );
    output(
      'InvoiceJobsQueueUrl',
      invoicing.jobsQueue.queueUrl,
      'SQS queue of invoice jobs (one tenant period each)',
    );
    output(
      'InvoiceJobsDlqUrl',
      invoicing.jobsDeadLetterQueue.queueUrl,
      'SQS queue of invoice jobs that failed 5 times; redrive them into the jobs queue',
    );
    output(
      'InvoiceScheduleDlqUrl',
      invoicing.scheduleDeadLetterQueue.queueUrl,
      'SQS queue of planner runs EventBridge Scheduler could not deliver',
    );
    output('InvoicesTopicArn', invoicing.invoicesTopic.topicArn, 'SNS topic for invoice.finalized events');
    output(
      'PlannerFunctionName',
      invoicing.planner.function.functionName,
      'Invoice planner Lambda (scheduled)',
    );
    output(
      'WorkerFunctionName',
      invoicing.worker.function.functionName,
      'Invoice worker Lambda (jobs queue)',
    );
    const { alerting } = this;
    output(
      'AlertsTopicArn',
      alerting.topic.topicArn,
      'SNS topic for usage and spend anomalies, threshold alerts and pipeline health',
    );
    output(
      'SlackWebhookSecretArn',
      alerting.slackWebhookSecret.secretArn,
      'Secrets Manager secret: put the Slack incoming-webhook URL for alerts here',
    );
    output(
      'DetectorFunctionName',
      alerting.detector.function.functionName,
      'Alert detector Lambda (scheduled)',
    );
    output(
      'NotifierFunctionName',
      alerting.notifier.function.functionName,
      'Slack notifier Lambda (alerts and thresholds topics)',
    );
    output(
      'NotifierDlqUrl',
      alerting.notifierDeadLetterQueue.queueUrl,
      'SQS queue of alert and threshold messages that did not reach Slack',
    );
    output(
      'DetectorScheduleDlqUrl',
      alerting.scheduleDeadLetterQueue.queueUrl,
      'SQS queue of detector runs EventBridge Scheduler could not deliver',
    );
    output('DashboardName', this.dashboard.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline');
    output('KeyArn', this.key.keyArn, 'Customer-managed KMS key encrypting the stack data');
  }
}
