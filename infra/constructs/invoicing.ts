import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BillingTables } from './billing-tables.js';
import { METRICS_NAMESPACE } from './ingest-pipeline.js';
import { nagRef } from './nag-findings.js';
import { ALARM_PERIOD, ANY_IN_PERIOD, queueDepth } from './operational-alarms.js';
import { allow, encryptedDeadLetterQueue, scheduledInvoke, viaService } from './scheduled-invoke.js';
import { TollgateFunction } from './tollgate-function.js';

export interface InvoicingProps {
  readonly key: kms.IKey;
  readonly tables: BillingTables;
  /** Where the documents bucket delivers its server access logs (the quarantine's log bucket). */
  readonly accessLogBucket: s3.IBucket;
  /** EventBridge Scheduler expression of the planner run (UTC), e.g. `cron(15 0 * * ? *)`. */
  readonly scheduleExpression: string;
  /** Hours after a period ends before its invoice is finalized. */
  readonly graceHours: number;
  /** Alarms notify this topic; their names start with `alarmNamePrefix` (the topic admits only those). */
  readonly alarmsTopic: sns.ITopic;
  readonly alarmNamePrefix: string;
  readonly removalPolicy: RemovalPolicy;
  /** Empty the documents bucket on stack deletion (dev stacks only). */
  readonly autoDeleteObjects: boolean;
}

/** Keys of rendered invoice documents (`InvoiceDocumentStore`: `invoices/{invoice id}.{format}`). */
export const INVOICE_DOCUMENT_PATTERN = 'invoices/*';
/** The index the API lists a tenant's invoices with (shared/tables/table-definitions.ts). */
export const INVOICES_BY_TENANT_INDEX = 'by-tenant';
export const PLANNER_SERVICE_NAME = 'tollgate-billing-planner';
export const WORKER_SERVICE_NAME = 'tollgate-invoice-worker';

export const WORKER_TIMEOUT = Duration.minutes(2);
/** SQS event source of the worker; a failed job returns alone (partial batch response). */
export const INVOICE_WORKER_SOURCE = {
  batchSize: 10,
  reportBatchItemFailures: true,
  /** Caps the worker's share of account concurrency and its read rate on the usage table. */
  maxConcurrency: 10,
} as const;
/** A job failing this many times goes to the jobs DLQ (redrive it with StartMessageMoveTask). */
export const INVOICE_JOB_MAX_RECEIVE_COUNT = 5;
/** What EventBridge Scheduler retries when it cannot invoke the planner. */
export const PLANNER_SCHEDULE_RETRY = { maxEventAge: Duration.hours(1), retryAttempts: 3 } as const;
export const PLANNER_SCHEDULE_INPUT = { source: 'schedule' } as const;

/**
 * Invoicing: a scheduled planner that turns tenants' periods into invoice jobs on a queue, and
 * a worker that drafts, finalizes and renders each invoice into the documents bucket and
 * publishes `invoice.finalized` on the invoices topic. Everything encrypted with the stack key;
 * each role holds only the calls its function makes.
 */
export class Invoicing extends Construct {
  readonly documentsBucket: s3.Bucket;
  readonly jobsQueue: sqs.Queue;
  readonly jobsDeadLetterQueue: sqs.Queue;
  /** Schedule invocations of the planner that EventBridge Scheduler gave up on. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly invoicesTopic: sns.Topic;
  readonly planner: TollgateFunction;
  readonly worker: TollgateFunction;
  readonly schedule: scheduler.Schedule;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InvoicingProps) {
    super(scope, id);
    const { key, tables } = props;
    const invoices = tables.byId.invoices;

    this.documentsBucket = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Issued invoices are records a tenant may be sent again years later: never expired.
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'invoice-documents/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });

    this.jobsDeadLetterQueue = new sqs.Queue(this, 'JobsDlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.jobsQueue = new sqs.Queue(this, 'Jobs', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      // Six times the worker timeout (the Lambda guidance for SQS sources): a job still being
      // retried by the poller is never handed to a second worker.
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.jobsDeadLetterQueue, maxReceiveCount: INVOICE_JOB_MAX_RECEIVE_COUNT },
      removalPolicy: props.removalPolicy,
    });

    this.invoicesTopic = new sns.Topic(this, 'Invoices', {
      displayName: 'Tollgate invoices',
      masterKey: key,
      enforceSSL: true,
    });

    const grace = String(props.graceHours);
    this.planner = new TollgateFunction(this, 'Planner', {
      entry: 'functions/billing/planner-handler.ts',
      description: 'Tollgate billing planner: one invoice job per tenant period to draft or finalize',
      memorySize: 512,
      timeout: Duration.minutes(5),
      removalPolicy: props.removalPolicy,
      environment: {
        ...tables.nameVariables(),
        TOLLGATE_INVOICE_QUEUE_URL: this.jobsQueue.queueUrl,
        TOLLGATE_GRACE_HOURS: grace,
        POWERTOOLS_SERVICE_NAME: PLANNER_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    this.worker = new TollgateFunction(this, 'Worker', {
      entry: 'functions/billing/worker-handler.ts',
      description:
        'Tollgate invoice worker: rates a tenant period, finalizes, renders and announces the invoice',
      memorySize: 1024,
      timeout: WORKER_TIMEOUT,
      removalPolicy: props.removalPolicy,
      environment: {
        ...tables.nameVariables(),
        TOLLGATE_DOCUMENTS_BUCKET: this.documentsBucket.bucketName,
        TOLLGATE_INVOICE_TOPIC_ARN: this.invoicesTopic.topicArn,
        TOLLGATE_GRACE_HOURS: grace,
        POWERTOOLS_SERVICE_NAME: WORKER_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    // The event source mapping polls with the worker's role: receive, delete, change
    // visibility and kms:Decrypt on the queue's key.
    this.worker.function.addEventSource(new SqsEventSource(this.jobsQueue, INVOICE_WORKER_SOURCE));

    const via = viaService(this);
    const invoicesByTenant = `${invoices.tableArn}/index/${INVOICES_BY_TENANT_INDEX}`;
    const tableKey = new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: via('dynamodb'),
    });

    // Planner: lists tenants and reads their plans (config), sees which invoices exist, queues jobs.
    for (const statement of [
      allow(['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:Query'], [tables.byId.config.tableArn]),
      allow(['dynamodb:GetItem', 'dynamodb:Query'], [invoices.tableArn]),
      allow(['dynamodb:Query'], [invoicesByTenant]),
      tableKey,
      ...queueProducer(this.jobsQueue, key, via),
    ]) {
      this.planner.role.addToPrincipalPolicy(statement);
    }

    // Worker: reads usage and plans, writes invoices (transactions are authorized per item
    // action), stores documents, announces finalized invoices. No DeleteItem, no Scan.
    const documents = this.documentsBucket.arnForObjects(INVOICE_DOCUMENT_PATTERN);
    for (const statement of [
      allow(
        ['dynamodb:GetItem', 'dynamodb:Query'],
        [tables.byId.usage.tableArn, tables.byId.config.tableArn],
      ),
      allow(
        [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
        ],
        [invoices.tableArn],
      ),
      tableKey,
      allow(['s3:PutObject', 's3:GetObject'], [documents]),
      allow(['sns:Publish'], [this.invoicesTopic.topicArn]),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: via('s3', 'sns'),
      }),
    ]) {
      this.worker.role.addToPrincipalPolicy(statement);
    }
    Validations.of(this.worker.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(this.documentsBucket, 'Arn')}/${INVOICE_DOCUMENT_PATTERN}]`,
      reason:
        'PutObject and GetObject only, on the invoice document keys only: one object per invoice and format, under a key derived at run time from the invoice id.',
    });

    this.scheduleDeadLetterQueue = encryptedDeadLetterQueue(this, 'ScheduleDlq', props);
    Validations.of(this.scheduleDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of the planner schedule's target (EventBridge Scheduler sends the runs it could not deliver here); a dead-letter queue behind it would add nothing.",
    });
    // Separate from the jobs DLQ on purpose: that one is redriven into the jobs queue, where a
    // dead-letter event of the scheduler would be a malformed job.
    this.schedule = scheduledInvoke(this, {
      id: 'PlannerSchedule',
      what: 'invoice planner',
      function: this.planner,
      expression: props.scheduleExpression,
      input: PLANNER_SCHEDULE_INPUT,
      retry: PLANNER_SCHEDULE_RETRY,
      deadLetterQueue: this.scheduleDeadLetterQueue,
      key,
    });

    this.alarms = this.createAlarms(props);
  }

  /** Each notifies the alarms topic, and again when it recovers. No data is healthy. */
  private createAlarms(props: InvoicingProps): cloudwatch.Alarm[] {
    const fiveMinutes = ALARM_PERIOD;
    const atLeastOne = ANY_IN_PERIOD;
    const name = (suffix: string) => `${props.alarmNamePrefix}${suffix}`;
    const depth = queueDepth;
    const errors = (fn: TollgateFunction) =>
      fn.function.metricErrors({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes });

    const alarms = [
      depth(this.jobsDeadLetterQueue).createAlarm(this, 'JobsDlqDepth', {
        alarmName: name('invoice-jobs-dlq-depth'),
        alarmDescription: `An invoice job failed ${INVOICE_JOB_MAX_RECEIVE_COUNT} times: that tenant period is not invoiced until the job is redriven.`,
        ...atLeastOne,
      }),
      depth(this.scheduleDeadLetterQueue).createAlarm(this, 'ScheduleDlqDepth', {
        alarmName: name('invoice-schedule-dlq-depth'),
        alarmDescription:
          'EventBridge Scheduler could not invoke the invoice planner: no invoice jobs were planned.',
        ...atLeastOne,
      }),
      errors(this.worker).createAlarm(this, 'WorkerErrors', {
        alarmName: name('invoice-worker-errors'),
        alarmDescription: 'The invoice worker failed whole invocations (their jobs return to the queue).',
        ...atLeastOne,
      }),
      errors(this.planner).createAlarm(this, 'PlannerErrors', {
        alarmName: name('invoice-planner-errors'),
        alarmDescription: 'The invoice planner failed: invoices of this run may not have been planned.',
        ...atLeastOne,
      }),
    ];
    const notify = new actions.SnsAction(props.alarmsTopic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }
    return alarms;
  }
}

/** SendMessage on an SSE-KMS queue: SQS takes (and reuses) a data key of the queue's key. */
function queueProducer(
  queue: sqs.IQueue,
  key: kms.IKey,
  via: ReturnType<typeof viaService>,
): iam.PolicyStatement[] {
  return [
    allow(['sqs:SendMessage'], [queue.queueArn]),
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: via('sqs'),
    }),
  ];
}
