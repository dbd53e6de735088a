import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GRACE_HOURS, DEFAULT_INVOICE_SCHEDULE, readTollgateConfig } from '../../infra/config.js';
import { createTollgateApp } from '../../infra/tollgate-app.js';
import {
  getAtt,
  idOf,
  nagFindings,
  removeOutdirs,
  resourceOf,
  type Statement,
  type Synthesized,
  statementsOf,
  synthesize as synthesizeStack,
} from './synth-support.js';

afterAll(removeOutdirs);

const synthesize = (context: Record<string, unknown>): Synthesized => synthesizeStack(context, 'invoicing');

/** A logical id: the construct path without separators, then an 8-digit hash. */

/** The actions of the statements naming the resource at construct path `path`. */
function actionsOn(statements: Statement[], path: string): string[] {
  const reference = new RegExp(`"${path}[0-9A-F]{8}"`);
  return statements
    .filter((statement) => reference.test(JSON.stringify(statement.Resource)))
    .flatMap((statement) => [statement.Action].flat().map(String))
    .sort();
}

function allActions(statements: Statement[]): string[] {
  return statements.flatMap((statement) => [statement.Action].flat().map(String));
}

function functionEnvironment(template: Template, prefix: string): Record<string, unknown> {
  return resourceOf(template, 'AWS::Lambda::Function', prefix).Properties.Environment.Variables;
}

describe('invoicing with default context', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize({});
    template = synthesized.template;
    // Synthesis with cdk-nag takes seconds; more on a machine shared with other test runs.
  }, 120_000);

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  it('keeps the invoices table with PITR, deletion protection, RETAIN and the stack key', () => {
    const table = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesInvoices');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: getAtt(idOf(template, 'AWS::KMS::Key', 'Key')),
      },
      GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'by-tenant' })],
    });
  });

  it('stores invoice documents KMS-encrypted, private, versioned, TLS-only, logged and retained', () => {
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'InvoicingDocuments');
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: getAtt(idOf(template, 'AWS::KMS::Key', 'Key')),
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: idOf(template, 'AWS::S3::Bucket', 'QuarantineAccessLogs') },
        LogFilePrefix: 'invoice-documents/',
      },
    });
    // Issued invoices never expire.
    for (const rule of bucket.Properties.LifecycleConfiguration.Rules as Statement[]) {
      expect(rule).not.toHaveProperty('ExpirationInDays');
      expect(rule).not.toHaveProperty('NoncurrentVersionExpiration');
    }
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('queues invoice jobs encrypted, with a 14-day DLQ after 5 receives and 6x the worker timeout of visibility', () => {
    const key = getAtt(idOf(template, 'AWS::KMS::Key', 'Key'));
    const dlqId = idOf(template, 'AWS::SQS::Queue', 'InvoicingJobsDlq');
    const jobs = resourceOf(template, 'AWS::SQS::Queue', 'InvoicingJobs');
    const worker = resourceOf(template, 'AWS::Lambda::Function', 'InvoicingWorkerFunction');
    expect(jobs.DeletionPolicy).toBe('Retain');
    expect(jobs.Properties).toMatchObject({
      KmsMasterKeyId: key,
      RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 5 },
    });
    expect(jobs.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Properties.Timeout);
    expect(template.findResources('AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({
      KmsMasterKeyId: key,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const queueId of [idOf(template, 'AWS::SQS::Queue', 'InvoicingJobs'), dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('encrypts the invoices topic with the stack key and denies publishing without TLS', () => {
    const topicId = idOf(template, 'AWS::SNS::Topic', 'InvoicingInvoices');
    expect(template.findResources('AWS::SNS::Topic')[topicId]?.Properties.KmsMasterKeyId).toEqual(
      getAtt(idOf(template, 'AWS::KMS::Key', 'Key')),
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('configures the planner with 512 MB, 5 minutes, the tables, the jobs queue and 12 grace hours', () => {
    const planner = resourceOf(template, 'AWS::Lambda::Function', 'InvoicingPlannerFunction');
    expect(planner.Properties).toMatchObject({ MemorySize: 512, Timeout: 300 });
    expect(functionEnvironment(template, 'InvoicingPlannerFunction')).toEqual({
      TOLLGATE_USAGE_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesUsage') },
      TOLLGATE_DEDUP_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesDedup') },
      TOLLGATE_CONFIG_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesConfig') },
      TOLLGATE_QUARANTINE_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesQuarantine') },
      TOLLGATE_INVOICES_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesInvoices') },
      TOLLGATE_ALERTS_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesAlerts') },
      TOLLGATE_INVOICE_QUEUE_URL: { Ref: idOf(template, 'AWS::SQS::Queue', 'InvoicingJobs') },
      TOLLGATE_GRACE_HOURS: String(DEFAULT_GRACE_HOURS),
      POWERTOOLS_SERVICE_NAME: 'tollgate-billing-planner',
      POWERTOOLS_METRICS_NAMESPACE: 'Tollgate',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('configures the worker with 1024 MB, 2 minutes, the tables, documents bucket, invoices topic and grace hours', () => {
    const worker = resourceOf(template, 'AWS::Lambda::Function', 'InvoicingWorkerFunction');
    expect(worker.Properties).toMatchObject({ MemorySize: 1024, Timeout: 120 });
    expect(functionEnvironment(template, 'InvoicingWorkerFunction')).toMatchObject({
      TOLLGATE_USAGE_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesUsage') },
      TOLLGATE_CONFIG_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesConfig') },
      TOLLGATE_INVOICES_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesInvoices') },
      TOLLGATE_DOCUMENTS_BUCKET: { Ref: idOf(template, 'AWS::S3::Bucket', 'InvoicingDocuments') },
      TOLLGATE_INVOICE_TOPIC_ARN: { Ref: idOf(template, 'AWS::SNS::Topic', 'InvoicingInvoices') },
      TOLLGATE_GRACE_HOURS: '12',
      POWERTOOLS_SERVICE_NAME: 'tollgate-invoice-worker',
    });
  });

  it('feeds the worker from the jobs queue 10 at a time, reporting failed jobs alone, at most 10 concurrently', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(idOf(template, 'AWS::SQS::Queue', 'InvoicingJobs')),
      FunctionName: { Ref: idOf(template, 'AWS::Lambda::Function', 'InvoicingWorkerFunction') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('runs the planner daily at 00:15 UTC with {"source":"schedule"}, 3 retries within an hour, then a DLQ', () => {
    // The planner's and the alert detector's.
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: DEFAULT_INVOICE_SCHEDULE,
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: {
        Arn: getAtt(idOf(template, 'AWS::Lambda::Function', 'InvoicingPlannerFunction')),
        RoleArn: getAtt(idOf(template, 'AWS::IAM::Role', 'InvoicingScheduleRole')),
        Input: JSON.stringify({ source: 'schedule' }),
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: getAtt(idOf(template, 'AWS::SQS::Queue', 'InvoicingScheduleDlq')) },
      },
    });
    expect(DEFAULT_INVOICE_SCHEDULE).toBe('cron(15 0 * * ? *)');
  });

  it('lets only this account scheduler assume the schedule role, to invoke the planner and dead-letter its runs', () => {
    const role = resourceOf(template, 'AWS::IAM::Role', 'InvoicingScheduleRole');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': expect.anything(),
          },
        },
      }),
    ]);
    const statements = statementsOf(template, 'InvoicingScheduleRole');
    expect(allActions(statements).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'lambda:InvokeFunction',
      'sqs:SendMessage',
    ]);
    expect(actionsOn(statements, 'InvoicingPlannerFunction')).toEqual(['lambda:InvokeFunction']);
    expect(actionsOn(statements, 'InvoicingScheduleDlq')).toEqual(['sqs:SendMessage']);
  });

  it.each([
    [
      'invoice jobs DLQ depth',
      'invoice-jobs-dlq-depth',
      'ApproximateNumberOfMessagesVisible',
      'InvoicingJobsDlq',
    ],
    [
      'schedule DLQ depth',
      'invoice-schedule-dlq-depth',
      'ApproximateNumberOfMessagesVisible',
      'InvoicingScheduleDlq',
    ],
    ['worker errors', 'invoice-worker-errors', 'Errors', 'InvoicingWorkerFunction'],
    ['planner errors', 'invoice-planner-errors', 'Errors', 'InvoicingPlannerFunction'],
  ])('alarms on %s above 0 in 5 minutes and notifies the alarms topic', (_name, suffix, metric, resource) => {
    const alarmsTopic = idOf(template, 'AWS::SNS::Topic', 'TopicsAlarms');
    // The alerts topic is notified too (test/infra/alerting.test.ts).
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (candidate) => candidate.Properties.AlarmName === `Tollgate-${suffix}`,
    );
    expect(alarm?.Properties).toMatchObject({
      MetricName: metric,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 300,
      AlarmActions: expect.arrayContaining([{ Ref: alarmsTopic }]),
      OKActions: expect.arrayContaining([{ Ref: alarmsTopic }]),
    });
    expect(JSON.stringify(alarm?.Properties.Dimensions)).toMatch(new RegExp(`"${resource}[0-9A-F]{8}"`));
  });

  it('lets the worker read usage and plans, and write invoices without DeleteItem or Scan', () => {
    const statements = statementsOf(template, 'InvoicingWorkerRole');
    expect(actionsOn(statements, 'TablesUsage')).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOn(statements, 'TablesConfig')).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOn(statements, 'TablesInvoices')).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actionsOn(statements, 'TablesDedup')).toEqual([]);
    expect(actionsOn(statements, 'TablesQuarantine')).toEqual([]);
    const actions = allActions(statements);
    for (const forbidden of [
      'dynamodb:DeleteItem',
      'dynamodb:Scan',
      'dynamodb:BatchWriteItem',
      'dynamodb:*',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
  });

  it('lets the worker put and get invoice documents only, publish to the invoices topic, and delete nothing', () => {
    const statements = statementsOf(template, 'InvoicingWorkerRole');
    const onBucket = statements.filter(
      (statement) => actionsOn([statement], 'InvoicingDocuments').length > 0,
    );
    expect(onBucket).toHaveLength(1);
    expect(onBucket[0]?.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(onBucket[0]?.Resource)).toContain('"/invoices/*"');
    expect(actionsOn(statements, 'InvoicingInvoices')).toEqual(['sns:Publish']);
    expect(actionsOn(statements, 'TopicsAlarms')).toEqual([]);
    const actions = allActions(statements);
    expect(actions.filter((action) => /^s3:(Delete|PutBucket|\*)/.test(action))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('s3:'))).not.toContain('s3:DeleteObject');
  });

  it('gives the planner read-only tables (Scan only on config) and SendMessage on the jobs queue, no invoice write', () => {
    const statements = statementsOf(template, 'InvoicingPlannerRole');
    expect(actionsOn(statements, 'TablesConfig')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    expect(actionsOn(statements, 'TablesInvoices')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Query',
    ]);
    expect(actionsOn(statements, 'TablesUsage')).toEqual([]);
    expect(actionsOn(statements, 'InvoicingJobs')).toEqual(['sqs:SendMessage']);
    const writes = allActions(statements).filter((action) =>
      /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem|PartiQL)/.test(action),
    );
    expect(writes).toEqual([]);
  });

  it('lets the planner and worker use the key only through the services they call', () => {
    const keyId = idOf(template, 'AWS::KMS::Key', 'Key');
    for (const [role, services] of [
      ['InvoicingPlannerRole', ['dynamodb', 'sqs']],
      ['InvoicingWorkerRole', ['dynamodb', 's3', 'sns']],
    ] as const) {
      const onKey = statementsOf(template, role).filter(
        (statement) => JSON.stringify(statement.Resource) === JSON.stringify(getAtt(keyId)),
      );
      const viaServices = onKey
        .flatMap((statement) => {
          const via = (statement.Condition as { StringEquals?: Record<string, unknown> } | undefined)
            ?.StringEquals?.['kms:ViaService'];
          return via === undefined ? [] : [via].flat();
        })
        .map((via) => JSON.stringify(via).match(/"(\w+)\."/)?.[1]);
      expect([...new Set(viaServices)].sort()).toEqual([...services]);
      // Only the SQS event source's own kms:Decrypt is unconditioned.
      const unconditioned = onKey.filter((statement) => statement.Condition === undefined);
      expect(allActions(unconditioned)).toEqual(role === 'InvoicingWorkerRole' ? ['kms:Decrypt'] : []);
    }
  });

  it('serves invoice routes from the API: invoice items, document reads, job queueing and the invoicing environment', () => {
    const statements = statementsOf(template, 'ApiHandlerRole');
    expect([...new Set(actionsOn(statements, 'TablesInvoices'))]).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actionsOn(statements, 'InvoicingDocuments')).toEqual(['s3:GetObject']);
    const documentRead = statements.find(
      (statement) => actionsOn([statement], 'InvoicingDocuments').length > 0,
    );
    expect(JSON.stringify(documentRead?.Resource)).toContain('"/invoices/*"');
    expect(actionsOn(statements, 'InvoicingJobs')).toEqual(['sqs:SendMessage']);
    expect(functionEnvironment(template, 'ApiHandlerFunction')).toMatchObject({
      TOLLGATE_INVOICES_TABLE: { Ref: idOf(template, 'AWS::DynamoDB::Table', 'TablesInvoices') },
      TOLLGATE_DOCUMENTS_BUCKET: { Ref: idOf(template, 'AWS::S3::Bucket', 'InvoicingDocuments') },
      TOLLGATE_INVOICE_QUEUE_URL: { Ref: idOf(template, 'AWS::SQS::Queue', 'InvoicingJobs') },
      TOLLGATE_GRACE_HOURS: '12',
    });
  });

  it('grants the HTTP ingest function nothing of invoicing', () => {
    const text = JSON.stringify(statementsOf(template, 'HttpIngestHandlerRole'));
    for (const absent of ['TablesInvoices', 'Invoicing', 'sqs:', 's3:', 'sns:']) {
      expect(text).not.toContain(absent);
    }
    expect(JSON.stringify(functionEnvironment(template, 'HttpIngestHandlerFunction'))).not.toMatch(
      /INVOICE|DOCUMENTS|GRACE/,
    );
  });

  it('outputs the invoicing resources', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining([
        'InvoicesTableName',
        'DocumentsBucketName',
        'InvoiceJobsQueueUrl',
        'InvoiceJobsDlqUrl',
        'InvoiceScheduleDlqUrl',
        'InvoicesTopicArn',
        'PlannerFunctionName',
        'WorkerFunctionName',
      ]),
    );
  });
});

describe('invoicing with a configured schedule and grace, in a destroy stack', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize({
      'tollgate:stackName': 'TollgateInvoicingDev',
      'tollgate:invoiceSchedule': 'rate(6 hours)',
      'tollgate:graceHours': '48',
      'tollgate:removalPolicy': 'destroy',
    });
    template = synthesized.template;
    // Synthesis with cdk-nag takes seconds; more on a machine shared with other test runs.
  }, 120_000);

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  it('runs the planner on the configured expression', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(6 hours)' });
  });

  it('passes the configured grace hours to the planner, the worker and the API', () => {
    for (const prefix of ['InvoicingPlannerFunction', 'InvoicingWorkerFunction', 'ApiHandlerFunction']) {
      expect(functionEnvironment(template, prefix).TOLLGATE_GRACE_HOURS, prefix).toBe('48');
    }
  });

  it('deletes and empties the documents bucket, and deletes the queues and the invoices table, with the stack', () => {
    const bucketId = idOf(template, 'AWS::S3::Bucket', 'InvoicingDocuments');
    expect(template.findResources('AWS::S3::Bucket')[bucketId]?.DeletionPolicy).toBe('Delete');
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
    for (const path of ['InvoicingJobs', 'InvoicingJobsDlq', 'InvoicingScheduleDlq']) {
      expect(resourceOf(template, 'AWS::SQS::Queue', path).DeletionPolicy, path).toBe('Delete');
    }
    const table = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesInvoices');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  });
});

describe('invoicing context', () => {
  it('defaults to a daily 00:15 UTC run and 12 grace hours', () => {
    const config = readTollgateConfig(new App().node);
    expect(config.invoiceSchedule).toBe('cron(15 0 * * ? *)');
    expect(config.graceHours).toBe(12);
  });

  it.each([
    ['0', 0],
    ['720', 720],
    [24, 24],
  ])('accepts tollgate:graceHours=%s', (value, expected) => {
    const config = readTollgateConfig(new App({ context: { 'tollgate:graceHours': value } }).node);
    expect(config.graceHours).toBe(expected);
  });

  it.each([
    ['tollgate:invoiceSchedule', 'daily'],
    ['tollgate:invoiceSchedule', 'cron 15 0 * * ? *'],
    ['tollgate:invoiceSchedule', 'at(2026-12-01T00:15:00)'],
    ['tollgate:invoiceSchedule', 'rate(1 day'],
    ['tollgate:graceHours', '-1'],
    ['tollgate:graceHours', '721'],
    ['tollgate:graceHours', '1.5'],
    ['tollgate:graceHours', 'twelve'],
    ['tollgate:graceHours', true],
  ])('rejects %s=%s naming the key', (key, value) => {
    expect(() => createTollgateApp({ context: { [key]: value } })).toThrow(`Invalid CDK context ${key}:`);
  });
});
