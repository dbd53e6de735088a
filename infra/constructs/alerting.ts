import { Duration, type RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLES } from '../../shared/tables/table-definitions.js';
import { admitCloudWatchAlarms } from './alert-topics.js';
import type { BillingTables } from './billing-tables.js';
import { METRICS_NAMESPACE } from './ingest-pipeline.js';
import { KMS_REASON, kmsWildcardFindings } from './nag-findings.js';
import { ALARM_PERIOD, ANY_IN_PERIOD, notifyOnStateChange, queueDepth } from './operational-alarms.js';
import { allow, encryptedDeadLetterQueue, scheduledInvoke, viaService } from './scheduled-invoke.js';
import { TollgateFunction } from './tollgate-function.js';

export interface AlertingProps {
  readonly key: kms.IKey;
  readonly tables: BillingTables;
  /** Entitlement threshold crossings (published by the consumer): the notifier posts them too. */
  readonly thresholdsTopic: sns.ITopic;
  /** Subscribed by email to the alerts topic. */
  readonly alertEmail?: string;
  /** EventBridge Scheduler expression of the detector run (UTC), e.g. `rate(5 minutes)`. */
  readonly scheduleExpression: string;
  /** Minutes a spike's rate must stay normal before its alert resolves (ADR 0009). */
  readonly resolveAfterQuietMinutes: number;
  /** Base URL of the API (`https://…/`): messages link to the alert and to the usage behind it. */
  readonly apiUrl?: string;
  /** The alarms below notify this topic and the alerts topic; their names start with the prefix. */
  readonly alarmsTopic: sns.ITopic;
  readonly alarmNamePrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

export const DETECTOR_SERVICE_NAME = 'tollgate-alert-detector';
export const NOTIFIER_SERVICE_NAME = 'tollgate-slack-notifier';
/** The indexes of the alerts table (by tenant, by state) the detector queries. */
export const ALERTS_TABLE_INDEXES = TABLES.alerts.globalIndexes.map((index) => index.indexName);
/** What the webhook secret holds until an operator puts the Slack incoming-webhook URL in it. */
export const SLACK_WEBHOOK_PLACEHOLDER = 'none';
/**
 * What EventBridge Scheduler retries when it cannot invoke the detector. A run delivered later
 * than this is superseded by the next ones: detection is idempotent.
 */
export const DETECTOR_SCHEDULE_RETRY = { maxEventAge: Duration.minutes(15), retryAttempts: 3 } as const;
/** `scheduledTime` is the same for every attempt of a run, so a retry evaluates the same window. */
export const DETECTOR_SCHEDULE_INPUT = {
  source: 'schedule',
  scheduledTime: scheduler.ContextAttribute.scheduledTime,
} as const;
/** SNS invokes the notifier asynchronously: Lambda retries a failed post, then dead-letters it. */
export const NOTIFIER_ASYNC_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(1) } as const;

/**
 * Alerts: the alerts topic (usage and spend anomalies, threshold alerts, pipeline health), the
 * scheduled detector that opens, updates and resolves one alert per incident, and the Slack
 * notifier subscribed to the alerts and thresholds topics, with its webhook URL in Secrets
 * Manager and a dead-letter queue for whatever never reached Slack.
 */
export class Alerting extends Construct {
  readonly topic: sns.Topic;
  readonly detector: TollgateFunction;
  readonly notifier: TollgateFunction;
  readonly slackWebhookSecret: secretsmanager.Secret;
  /** Alert messages that never reached Slack: failed notifier runs and undeliverable SNS messages. */
  readonly notifierDeadLetterQueue: sqs.Queue;
  /** Detector runs EventBridge Scheduler could not deliver. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly schedule: scheduler.Schedule;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { key } = props;
    const via = viaService(this);
    const apiUrl = props.apiUrl === undefined ? {} : { TOLLGATE_API_URL: props.apiUrl };

    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: 'Tollgate alerts',
      masterKey: key,
      enforceSSL: true,
    });
    admitCloudWatchAlarms(this.topic, props.alarmNamePrefix);
    if (props.alertEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }

    this.detector = this.createDetector(props, apiUrl, via);

    this.scheduleDeadLetterQueue = encryptedDeadLetterQueue(this, 'ScheduleDlq', props);
    Validations.of(this.scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of the detector schedule's target (EventBridge Scheduler sends the runs it could not deliver here); a dead-letter queue behind it would add nothing.",
    });
    this.schedule = scheduledInvoke(this, {
      id: 'DetectorSchedule',
      what: 'alert detector',
      function: this.detector,
      expression: props.scheduleExpression,
      input: DETECTOR_SCHEDULE_INPUT,
      retry: DETECTOR_SCHEDULE_RETRY,
      deadLetterQueue: this.scheduleDeadLetterQueue,
      key: props.key,
    });

    this.slackWebhookSecret = new secretsmanager.Secret(this, 'SlackWebhook', {
      description: `Slack incoming-webhook URL the Tollgate notifier posts alerts to, or a routing document of several (docs/alerts.md). Created holding the placeholder "${SLACK_WEBHOOK_PLACEHOLDER}" (Slack not configured); put the URL in it with: aws secretsmanager put-secret-value --secret-id <SlackWebhookSecretArn> --secret-string https://hooks.slack.com/services/...`,
      encryptionKey: key,
      secretStringValue: SecretValue.unsafePlainText(SLACK_WEBHOOK_PLACEHOLDER),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.slackWebhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds a Slack incoming-webhook URL, which only Slack issues: no rotation Lambda can mint a new one. Replacing it is a manual step (create a webhook in Slack, put-secret-value, revoke the old one).',
    });

    this.notifierDeadLetterQueue = encryptedDeadLetterQueue(this, 'NotifierDlq', props);
    Validations.of(this.notifierDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the notifier: the on-failure destination of its asynchronous invocations and the redrive target of its SNS subscriptions; a dead-letter queue behind it would add nothing.',
    });
    this.notifier = this.createNotifier(props, apiUrl, via);

    this.alarms = this.createAlarms(props);
  }

  /**
   * One run at a time (reserved concurrency 1): reads usage, plans, rated amounts and credit
   * grants, writes alerts, publishes to the alerts topic. Its role holds exactly that.
   */
  private createDetector(
    props: AlertingProps,
    apiUrl: Record<string, string>,
    via: ReturnType<typeof viaService>,
  ): TollgateFunction {
    const { tables, key } = props;
    const detector = new TollgateFunction(this, 'Detector', {
      entry: 'functions/alerts/detector-handler.ts',
      description:
        'Tollgate alert detector: usage and spend anomalies, thresholds and credit balance, one alert per incident',
      memorySize: 1024,
      timeout: Duration.minutes(2),
      removalPolicy: props.removalPolicy,
      environment: {
        ...tables.nameVariables(),
        TOLLGATE_ALERTS_TOPIC_ARN: this.topic.topicArn,
        TOLLGATE_RESOLVE_AFTER_QUIET_MINUTES: String(props.resolveAfterQuietMinutes),
        ...apiUrl,
        POWERTOOLS_SERVICE_NAME: DETECTOR_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    // No reserved concurrency: a run outlasting the 5-minute schedule may overlap the next one,
    // which is safe (each incident is opened by a conditional write; a repeat writes nothing),
    // while reserving concurrency fails to deploy in accounts whose Lambda limit is 10.
    // The schedule invokes asynchronously. A failed run is not retried by Lambda: the next
    // scheduled run is the retry, and a retry landing beside it would only be throttled.
    detector.function.configureAsyncInvoke({ retryAttempts: 0 });

    const alerts = tables.byId.alerts;
    for (const statement of [
      allow(['dynamodb:GetItem', 'dynamodb:Query'], [tables.byId.usage.tableArn]),
      // Tenant profiles (a Scan lists them) and the active catalog.
      allow(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'], [tables.byId.config.tableArn]),
      // Rated invoices and credit grants.
      allow(['dynamodb:GetItem', 'dynamodb:Query'], [tables.byId.invoices.tableArn]),
      // Alerts and open-incident pointers: conditional writes, no DeleteItem, no Scan.
      allow(
        [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
        ],
        [alerts.tableArn],
      ),
      allow(
        ['dynamodb:Query'],
        ALERTS_TABLE_INDEXES.map((index) => `${alerts.tableArn}/index/${index}`),
      ),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: via('dynamodb'),
      }),
      allow(['sns:Publish'], [this.topic.topicArn]),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: via('sns'),
      }),
    ]) {
      detector.role.addToPrincipalPolicy(statement);
    }
    return detector;
  }

  /**
   * Subscribed to the alerts and thresholds topics. SNS hands each message to Lambda, which
   * retries a failed post twice within the hour, then records it in the dead-letter queue;
   * a message SNS cannot hand to Lambda at all lands in the same queue.
   */
  private createNotifier(
    props: AlertingProps,
    apiUrl: Record<string, string>,
    via: ReturnType<typeof viaService>,
  ): TollgateFunction {
    const { key } = props;
    const dlq = this.notifierDeadLetterQueue;
    const notifier = new TollgateFunction(this, 'SlackNotifier', {
      entry: 'functions/alerts/slack-notifier-handler.ts',
      description:
        'Tollgate Slack notifier: posts alerts and threshold crossings to a Slack incoming webhook',
      memorySize: 256,
      timeout: Duration.seconds(30),
      removalPolicy: props.removalPolicy,
      environment: {
        TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: this.slackWebhookSecret.secretArn,
        ...apiUrl,
        POWERTOOLS_SERVICE_NAME: NOTIFIER_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    // The on-failure destination grants SendMessage (and the queue key) to the notifier's role.
    notifier.function.configureAsyncInvoke({
      ...NOTIFIER_ASYNC_RETRY,
      onFailure: new SqsDestination(dlq),
    });
    for (const topic of [this.topic, props.thresholdsTopic]) {
      topic.addSubscription(
        new subscriptions.LambdaSubscription(notifier.function, { deadLetterQueue: dlq }),
      );
    }
    // SNS writes undeliverable messages into the encrypted DLQ itself, as its service principal.
    // Its source is a topic of this account; naming the topics here would be a dependency
    // cycle (they are encrypted with this key).
    const stack = Stack.of(this);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SnsToEncryptedDeadLetterQueues',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*` },
        },
      }),
    );

    // The webhook URL, and nothing else of Secrets Manager.
    for (const statement of [
      allow(['secretsmanager:GetSecretValue'], [this.slackWebhookSecret.secretArn]),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: via('secretsmanager'),
      }),
    ]) {
      notifier.role.addToPrincipalPolicy(statement);
    }
    for (const finding of kmsWildcardFindings) {
      Validations.of(notifier.role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: KMS_REASON });
    }
    return notifier;
  }

  /** Each notifies the alarms topic and the alerts topic, and again when it recovers. */
  private createAlarms(props: AlertingProps): cloudwatch.Alarm[] {
    const fiveMinutes = ALARM_PERIOD;
    const atLeastOne = ANY_IN_PERIOD;
    const name = (suffix: string) => `${props.alarmNamePrefix}${suffix}`;
    const depth = queueDepth;

    const alarms = [
      depth(this.notifierDeadLetterQueue).createAlarm(this, 'NotifierDlqDepth', {
        alarmName: name('alert-notifier-dlq-depth'),
        alarmDescription:
          'An alert or threshold message did not reach Slack after its retries: check the webhook secret, then redrive the notifier DLQ.',
        ...atLeastOne,
      }),
      this.detector.function
        .metricErrors({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes })
        .createAlarm(this, 'DetectorErrors', {
          alarmName: name('alert-detector-errors'),
          alarmDescription:
            'The alert detector failed a run: anomalies and thresholds go unreported until a run succeeds.',
          ...atLeastOne,
        }),
      depth(this.scheduleDeadLetterQueue).createAlarm(this, 'ScheduleDlqDepth', {
        alarmName: name('alert-detector-schedule-dlq-depth'),
        alarmDescription: 'EventBridge Scheduler could not invoke the alert detector.',
        ...atLeastOne,
      }),
    ];
    notifyOnStateChange(alarms, [props.alarmsTopic, this.topic]);
    return alarms;
  }
}
