import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SCHEDULE, readTollgateConfig } from '../../infra/config.js';
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

const synthesize = (context: Record<string, unknown>): Synthesized => synthesizeStack(context, 'alerting');

/** The actions of the statements naming the resource with logical id `id` (and no other). */
function actionsOnId(statements: Statement[], id: string): string[] {
  return statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(`"${id}"`))
    .flatMap((statement) => [statement.Action].flat().map(String))
    .sort();
}

function emailSubscriptions(template: Template) {
  return Object.values(
    template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } }),
  ).map((subscription) => subscription.Properties as { Endpoint: string; TopicArn: unknown });
}

describe('alerting with default context', () => {
  let synthesized: Synthesized;
  let template: Template;
  let alertsTopic: string;
  let keyArn: ReturnType<typeof getAtt>;

  beforeAll(() => {
    synthesized = synthesize({});
    template = synthesized.template;
    alertsTopic = idOf(template, 'AWS::SNS::Topic', 'AlertingAlerts');
    keyArn = getAtt(idOf(template, 'AWS::KMS::Key', 'Key'));
    // Synthesis with cdk-nag takes seconds; more on a machine shared with other test runs.
  }, 120_000);

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  it('encrypts the alerts topic with the stack key, denies publishing without TLS and admits only this stack alarms', () => {
    expect(resourceOf(template, 'AWS::SNS::Topic', 'AlertingAlerts').Properties).toEqual({
      DisplayName: 'Tollgate alerts',
      KmsMasterKeyId: keyArn,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: alertsTopic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes no email address to the alerts topic when tollgate:alertEmail is unset', () => {
    expect(emailSubscriptions(template)).toEqual([]);
  });

  it('configures the detector with 1024 MB, 2 minutes, no reserved concurrency, the tables, the alerts topic and the API URL', () => {
    const detector = resourceOf(template, 'AWS::Lambda::Function', 'AlertingDetectorFunction');
    expect(detector.Properties).toMatchObject({
      MemorySize: 1024,
      Timeout: 120,
    });
    expect(detector.Properties.ReservedConcurrentExecutions).toBeUndefined();
    const table = (path: string) => ({ Ref: idOf(template, 'AWS::DynamoDB::Table', path) });
    expect(detector.Properties.Environment.Variables).toEqual({
      TOLLGATE_USAGE_TABLE: table('TablesUsage'),
      TOLLGATE_DEDUP_TABLE: table('TablesDedup'),
      TOLLGATE_CONFIG_TABLE: table('TablesConfig'),
      TOLLGATE_QUARANTINE_TABLE: table('TablesQuarantine'),
      TOLLGATE_INVOICES_TABLE: table('TablesInvoices'),
      TOLLGATE_ALERTS_TABLE: table('TablesAlerts'),
      TOLLGATE_ALERTS_TOPIC_ARN: { Ref: alertsTopic },
      TOLLGATE_RESOLVE_AFTER_QUIET_MINUTES: '30',
      TOLLGATE_API_URL: {
        'Fn::Join': [
          '',
          expect.arrayContaining(['https://', { Ref: idOf(template, 'AWS::ApiGatewayV2::Api', 'ApiHttp') }]),
        ],
      },
      POWERTOOLS_SERVICE_NAME: 'tollgate-alert-detector',
      POWERTOOLS_METRICS_NAMESPACE: 'Tollgate',
      NODE_OPTIONS: '--enable-source-maps',
    });
    // A failed run is retried by the next scheduled one, not by Lambda.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf(template, 'AWS::Lambda::Function', 'AlertingDetectorFunction') },
      MaximumRetryAttempts: 0,
    });
  });

  it('runs the detector every 5 minutes with the scheduled time, 3 retries, then a KMS-encrypted DLQ', () => {
    const dlq = idOf(template, 'AWS::SQS::Queue', 'AlertingScheduleDlq');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: {
        Arn: getAtt(idOf(template, 'AWS::Lambda::Function', 'AlertingDetectorFunction')),
        RoleArn: getAtt(idOf(template, 'AWS::IAM::Role', 'AlertingScheduleRole')),
        Input: JSON.stringify({ source: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: getAtt(dlq) },
      },
    });
    expect(resourceOf(template, 'AWS::SQS::Queue', 'AlertingScheduleDlq').Properties).toMatchObject({
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(DEFAULT_DETECTOR_SCHEDULE).toBe('rate(5 minutes)');
  });

  it('lets only this account scheduler assume the schedule role, to invoke the detector and dead-letter its runs', () => {
    const role = resourceOf(template, 'AWS::IAM::Role', 'AlertingScheduleRole');
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
    const statements = statementsOf(template, 'AlertingScheduleRole');
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'lambda:InvokeFunction',
      'sqs:SendMessage',
    ]);
    expect(
      actionsOnId(statements, idOf(template, 'AWS::Lambda::Function', 'AlertingDetectorFunction')),
    ).toEqual(['lambda:InvokeFunction']);
  });

  it('lets the detector read usage, plans and invoices, and write alerts without DeleteItem or Scan', () => {
    const statements = statementsOf(template, 'AlertingDetectorRole');
    const table = (path: string) => idOf(template, 'AWS::DynamoDB::Table', path);
    expect(actionsOnId(statements, table('TablesUsage'))).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOnId(statements, table('TablesConfig'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    expect(actionsOnId(statements, table('TablesInvoices'))).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // The table, then its two indexes (Query only).
    expect(actionsOnId(statements, table('TablesAlerts'))).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    const indexStatements = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes('/index/'),
    );
    expect(indexStatements).toHaveLength(1);
    expect(indexStatements[0]?.Action).toBe('dynamodb:Query');
    expect(JSON.stringify(indexStatements[0]?.Resource)).toMatch(/\/index\/by-state".*\/index\/by-tenant"/);
    expect(actionsOnId(statements, table('TablesDedup'))).toEqual([]);
    expect(actionsOnId(statements, table('TablesQuarantine'))).toEqual([]);
    const actions = statements.flatMap((statement) => [statement.Action].flat().map(String));
    for (const forbidden of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*']) {
      expect(actions).not.toContain(forbidden);
    }
    const scans = statements.filter((statement) => [statement.Action].flat().includes('dynamodb:Scan'));
    expect(scans.map((statement) => statement.Resource)).toEqual([getAtt(table('TablesConfig'))]);
  });

  it('lets the detector publish to the alerts topic only, using the key through DynamoDB and SNS only', () => {
    const statements = statementsOf(template, 'AlertingDetectorRole');
    const publishes = statements.filter((statement) => [statement.Action].flat().includes('sns:Publish'));
    expect(publishes.map((statement) => statement.Resource)).toEqual([{ Ref: alertsTopic }]);
    const onKey = statements.filter(
      (statement) => JSON.stringify(statement.Resource) === JSON.stringify(keyArn),
    );
    expect(onKey.map((statement) => JSON.stringify(statement.Condition).match(/"(\w+)\."/)?.[1])).toEqual([
      'dynamodb',
      'sns',
    ]);
  });

  it('configures the Slack notifier with 256 MB, 30 s, the webhook secret and the API URL, and no table', () => {
    const notifier = resourceOf(template, 'AWS::Lambda::Function', 'AlertingSlackNotifierFunction');
    expect(notifier.Properties).toMatchObject({ MemorySize: 256, Timeout: 30 });
    expect(notifier.Properties.Environment.Variables).toEqual({
      TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: {
        Ref: idOf(template, 'AWS::SecretsManager::Secret', 'AlertingSlackWebhook'),
      },
      TOLLGATE_API_URL: expect.objectContaining({ 'Fn::Join': expect.any(Array) }),
      POWERTOOLS_SERVICE_NAME: 'tollgate-slack-notifier',
      POWERTOOLS_METRICS_NAMESPACE: 'Tollgate',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(JSON.stringify(statementsOf(template, 'AlertingSlackNotifierRole'))).not.toContain('dynamodb:');
  });

  it('subscribes the notifier to the alerts and thresholds topics, dead-lettering what SNS cannot deliver', () => {
    const notifier = idOf(template, 'AWS::Lambda::Function', 'AlertingSlackNotifierFunction');
    const dlq = idOf(template, 'AWS::SQS::Queue', 'AlertingNotifierDlq');
    const subscriptions = Object.values(
      template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'lambda' } }),
    ).map((subscription) => subscription.Properties);
    expect(subscriptions).toHaveLength(2);
    const topics = [{ Ref: alertsTopic }, { Ref: idOf(template, 'AWS::SNS::Topic', 'TopicsThresholds') }];
    expect(subscriptions.map((subscription) => subscription.TopicArn)).toEqual(
      expect.arrayContaining(topics),
    );
    for (const subscription of subscriptions) {
      expect(subscription).toMatchObject({
        Endpoint: getAtt(notifier),
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlq) },
      });
    }
    for (const topic of topics) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: getAtt(notifier),
        Principal: 'sns.amazonaws.com',
        SourceArn: topic,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlq }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': topic } },
            }),
          ]),
        },
      });
    }
    // SNS encrypts what it dead-letters with the queue's key: the key policy lets it, from this account.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('retries a failed Slack post twice within an hour, then sends it to a KMS-encrypted, TLS-only, 14-day DLQ', () => {
    const dlq = idOf(template, 'AWS::SQS::Queue', 'AlertingNotifierDlq');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf(template, 'AWS::Lambda::Function', 'AlertingSlackNotifierFunction') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: getAtt(dlq) } },
    });
    expect(resourceOf(template, 'AWS::SQS::Queue', 'AlertingNotifierDlq').Properties).toEqual({
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    expect(
      actionsOnId(statementsOf(template, 'AlertingSlackNotifierRole'), dlq).filter((action) =>
        action.startsWith('sqs:'),
      ),
    ).toContain('sqs:SendMessage');
  });

  it('keeps the Slack webhook in a KMS-encrypted secret holding the placeholder "none", readable by the notifier only', () => {
    const secretId = idOf(template, 'AWS::SecretsManager::Secret', 'AlertingSlackWebhook');
    const secret = template.findResources('AWS::SecretsManager::Secret')[secretId]!;
    expect(secret.Properties).toMatchObject({ KmsKeyId: keyArn, SecretString: 'none' });
    expect(secret.Properties.Description).toMatch(/put-secret-value/);
    expect(secret.Properties.GenerateSecretString).toBeUndefined();

    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes(`"${secretId}"`))
      .map(([id]) => id);
    expect(readers).toHaveLength(1);
    expect(readers[0]).toMatch(/^AlertingSlackNotifierRole/);
    const statements = statementsOf(template, 'AlertingSlackNotifierRole');
    expect(actionsOnId(statements, secretId)).toEqual(['secretsmanager:GetSecretValue']);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: keyArn,
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
      }),
    );
    // No role reads secrets by wildcard.
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        if ([statement.Action].flat().some((action) => String(action).startsWith('secretsmanager:'))) {
          expect(statement.Resource).not.toBe('*');
        }
      }
    }
  });

  it('notifies the alerts topic and the alarms topic from every alarm, when it fires and when it recovers', () => {
    const alarmsTopic = idOf(template, 'AWS::SNS::Topic', 'TopicsAlarms');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // 6 pipeline, 4 invoicing, 3 alerting.
    expect(alarms).toHaveLength(13);
    for (const alarm of alarms) {
      const name = alarm.Properties.AlarmName as string;
      expect(alarm.Properties.AlarmActions, name).toEqual([{ Ref: alarmsTopic }, { Ref: alertsTopic }]);
      expect(alarm.Properties.OKActions, name).toEqual([{ Ref: alarmsTopic }, { Ref: alertsTopic }]);
    }
  });

  it.each([
    [
      'notifier DLQ depth',
      'alert-notifier-dlq-depth',
      'ApproximateNumberOfMessagesVisible',
      'AlertingNotifierDlq',
    ],
    ['detector errors', 'alert-detector-errors', 'Errors', 'AlertingDetectorFunction'],
    [
      'detector schedule DLQ depth',
      'alert-detector-schedule-dlq-depth',
      'ApproximateNumberOfMessagesVisible',
      'AlertingScheduleDlq',
    ],
  ])('alarms on %s above 0 in 5 minutes', (_name, suffix, metric, resource) => {
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (candidate) => candidate.Properties.AlarmName === `Tollgate-${suffix}`,
    );
    expect(alarm?.Properties).toMatchObject({
      MetricName: metric,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Period: 300,
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(alarm?.Properties.Dimensions)).toMatch(new RegExp(`"${resource}[0-9A-F]{8}"`));
  });

  it('builds the pipeline dashboard: stream, consumer and its metrics, DLQs, API, invoicing, detector and alarms', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe('Tollgate-pipeline');
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const metric of [
      'IncomingRecords',
      'IncomingBytes',
      'GetRecords.IteratorAgeMilliseconds',
      'IteratorAge',
      'Invocations',
      'Throttles',
      'Duration',
      'Events',
      'Counted',
      'Duplicates',
      'Quarantined',
      'ApproximateNumberOfMessagesVisible',
      '4xx',
      '5xx',
      'Latency',
    ]) {
      expect(body, metric).toContain(`\\"${metric}\\"`);
    }
    for (const path of [
      'IngestConsumerDlq',
      'InvoicingJobsDlq',
      'AlertingNotifierDlq',
      'InvoicingWorkerFunction',
      'AlertingDetectorFunction',
    ]) {
      expect(body, path).toMatch(new RegExp(`"${path}[0-9A-F]{8}"`));
    }
    expect(body).toContain('alarm');
    for (const alarmId of Object.keys(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(body, alarmId).toContain(`"${alarmId}"`);
    }
  });

  it('outputs the alerting resources', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining([
        'AlertsTableName',
        'AlertsTopicArn',
        'SlackWebhookSecretArn',
        'DetectorFunctionName',
        'NotifierFunctionName',
        'NotifierDlqUrl',
        'DetectorScheduleDlqUrl',
        'DashboardName',
      ]),
    );
  });
});

describe('alerting with an alert email, an alarm email and a configured schedule, in a destroy stack', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize({
      'tollgate:stackName': 'TollgateAlertsDev',
      'tollgate:alertEmail': 'finance@example.com',
      'tollgate:alarmEmail': 'oncall@example.com',
      'tollgate:detectorSchedule': 'cron(0/10 * * * ? *)',
      'tollgate:resolveAfterQuietMinutes': 45,
      'tollgate:removalPolicy': 'destroy',
    });
    template = synthesized.template;
  }, 120_000);

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(nagFindings(synthesized.app)).toEqual([]);
  });

  it('subscribes the alert email to the alerts topic and the alarm email to the alarms topic', () => {
    expect(emailSubscriptions(template)).toEqual(
      expect.arrayContaining([
        {
          Protocol: 'email',
          Endpoint: 'finance@example.com',
          TopicArn: { Ref: idOf(template, 'AWS::SNS::Topic', 'AlertingAlerts') },
        },
        {
          Protocol: 'email',
          Endpoint: 'oncall@example.com',
          TopicArn: { Ref: idOf(template, 'AWS::SNS::Topic', 'TopicsAlarms') },
        },
      ]),
    );
    expect(emailSubscriptions(template)).toHaveLength(2);
  });

  it('runs the detector on the configured expression', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0/10 * * * ? *)',
      Target: Match.objectLike({
        Arn: getAtt(idOf(template, 'AWS::Lambda::Function', 'AlertingDetectorFunction')),
      }),
    });
  });

  it('tells the detector how long a spike must be quiet to resolve', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('alert detector'),
      Environment: { Variables: Match.objectLike({ TOLLGATE_RESOLVE_AFTER_QUIET_MINUTES: '45' }) },
    });
  });

  it('names the dashboard after the stack and deletes the queues and the secret with it', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'TollgateAlertsDev-pipeline',
    });
    for (const [type, path] of [
      ['AWS::SQS::Queue', 'AlertingNotifierDlq'],
      ['AWS::SQS::Queue', 'AlertingScheduleDlq'],
      ['AWS::SecretsManager::Secret', 'AlertingSlackWebhook'],
    ] as const) {
      expect(resourceOf(template, type, path).DeletionPolicy, path).toBe('Delete');
    }
  });
});

describe('alerting context', () => {
  it('defaults to a detector run every 5 minutes and no alert email', () => {
    const config = readTollgateConfig(new App().node);
    expect(config.detectorSchedule).toBe('rate(5 minutes)');
    expect(config.resolveAfterQuietMinutes).toBe(30);
    expect(config.alertEmail).toBeUndefined();
  });

  it('reads the alert email and the detector schedule', () => {
    const config = readTollgateConfig(
      new App({
        context: {
          'tollgate:alertEmail': ' finance@example.com ',
          'tollgate:detectorSchedule': 'rate(1 minute)',
        },
      }).node,
    );
    expect(config.alertEmail).toBe('finance@example.com');
    expect(config.detectorSchedule).toBe('rate(1 minute)');
  });

  it.each([
    ['tollgate:alertEmail', 'not-an-email'],
    ['tollgate:alertEmail', 'two words@example.com'],
    ['tollgate:alertEmail', 42],
    ['tollgate:detectorSchedule', 'every 5 minutes'],
    ['tollgate:detectorSchedule', 'rate(5 minutes'],
    ['tollgate:detectorSchedule', 'at(2026-12-01T00:15:00)'],
    ['tollgate:alertEmial', 'typo@example.com'],
    ['tollgate:resolveAfterQuietMinutes', 4],
    ['tollgate:resolveAfterQuietMinutes', 'half an hour'],
  ])('rejects %s=%s naming the key', (key, value) => {
    expect(() => createTollgateApp({ context: { [key]: value } })).toThrow(`Invalid CDK context ${key}:`);
  });
});
