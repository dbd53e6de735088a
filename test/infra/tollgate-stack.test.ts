import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgateApp, type TollgateApp } from '../../infra/tollgate-app.js';
import { CONSUMER_SOURCE, STREAM, TABLE_IDS, TABLES } from '../../shared/tables/table-definitions.js';

const PROJECT_ROOT = new URL('../../', import.meta.url);
const CDK_JSON = JSON.parse(readFileSync(new URL('cdk.json', PROJECT_ROOT), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * The context `cdk synth` sees, so the template under test is the one that gets deployed.
 * Flags this aws-cdk-lib has removed make every construct throw; they are left out here and
 * reported by their own test instead.
 */
const CDK_JSON_CONTEXT = Object.fromEntries(
  Object.entries(CDK_JSON.context).filter(([key]) => !cxapi.CURRENT_VERSION_EXPIRED_FLAGS.includes(key)),
);
/** Skips esbuild: only the default app below bundles the real handlers. */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

interface Synthesized extends TollgateApp {
  readonly outdir: string;
  readonly template?: Template;
  readonly synthError?: unknown;
}

const outdirs: string[] = [];

function synthesize(context: Record<string, unknown>): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-infra-'));
  outdirs.push(outdir);
  const built = createTollgateApp({ outdir, context: { ...CDK_JSON_CONTEXT, ...context } });
  try {
    // Synthesizes the app, which runs the cdk-nag plugin and throws on unacknowledged errors.
    return { ...built, outdir, template: Template.fromStack(built.stack) };
  } catch (synthError) {
    return { ...built, outdir, synthError };
  }
}

function templateOf(synthesized: Synthesized): Template {
  if (synthesized.template === undefined) {
    throw new Error(`synthesis failed: ${String(synthesized.synthError)}`);
  }
  return synthesized.template;
}

/** cdk-nag AwsSolutions findings left after acknowledgements, of any severity. */
function nagFindings(synthesized: Synthesized): string[] {
  const report = new AwsSolutionsChecks().validateScope(synthesized.app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`,
    ),
  );
}

/** Every `Validations.of(construct).acknowledge()` in the app, as construct path and rule id. */
function acknowledgements(app: App): { path: string; id: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
      .map((key) => ({ path: construct.node.path, id: key.replace(/^annotation::/i, '') })),
  );
}

/** What cdk-nag would report if nothing were acknowledged: rule id and construct path. */
function findingsIgnoringAcknowledgements(app: App): { id: string; path: string }[] {
  const pack = new AwsSolutionsChecks();
  // cdk-nag consults this (private) method for every finding; answering no reveals them all.
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      id: violation.ruleName,
      path: resource.constructPath ?? '',
    })),
  );
}

function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const ids = Object.keys(template.findResources(type, props));
  expect(ids, `exactly one ${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return ids[0]!;
}

/** The one resource of `type` whose logical id starts with `prefix` (its construct path). */
function logicalIdStartingWith(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `exactly one ${type} with a logical id starting ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

function keyRef(template: Template) {
  return { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key'), 'Arn'] };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

it('cdk.json sets no feature flag that aws-cdk-lib has removed (cdk synth would throw)', () => {
  const expired = Object.keys(CDK_JSON.context).filter((key) =>
    cxapi.CURRENT_VERSION_EXPIRED_FLAGS.includes(key),
  );
  expect(expired).toEqual([]);
});

describe('with default context', () => {
  let synthesized: Synthesized;
  let template: Template;

  // Bundles the seven handlers with esbuild: longer than the default hook timeout on a busy machine.
  beforeAll(() => {
    synthesized = synthesize({});
    template = templateOf(synthesized);
  }, 120_000);

  it('synthesizes with no cdk-nag AwsSolutions finding left unacknowledged', () => {
    expect(synthesized.synthError).toBeUndefined();
    expect(nagFindings(synthesized)).toEqual([]);
  });

  it('acknowledges only findings cdk-nag actually reports (none is stale)', () => {
    const findings = findingsIgnoringAcknowledgements(synthesized.app);
    const acks = acknowledgements(synthesized.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const matched = findings.some(
        (finding) =>
          finding.id === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)),
      );
      expect(matched, `${ack.id} acknowledged at ${ack.path}`).toBe(true);
    }
  });

  it('builds one table per definition, with its key schema, TTL and indexes', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(TABLE_IDS.length);
    for (const id of TABLE_IDS) {
      const definition = TABLES[id];
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
          ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
        TimeToLiveSpecification: definition.timeToLiveAttribute
          ? { AttributeName: definition.timeToLiveAttribute, Enabled: true }
          : Match.absent(),
        GlobalSecondaryIndexes:
          definition.globalIndexes.length > 0
            ? definition.globalIndexes.map((index) =>
                Match.objectLike({
                  IndexName: index.indexName,
                  KeySchema: [
                    { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                    ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
                  ],
                }),
              )
            : Match.absent(),
        Tags: Match.arrayWith([{ Key: 'tollgate:table', Value: id }]),
      });
    }
  });

  it('expires dedup markers through the ttl attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('gives every table on-demand billing, PITR, the stack key, deletion protection and RETAIN', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyRef(template) },
      });
    }
  });

  it('creates one customer-managed key with rotation, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
  });

  it('lets CloudWatch use the key and publish to the alarms topic for this stack alarms only', () => {
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
    };
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: fromOwnAlarms,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: fromOwnAlarms,
          }),
        ]),
      },
    });
  });

  it('creates an on-demand, KMS-encrypted stream with the retention of the shared definition', () => {
    template.hasResource('AWS::Kinesis::Stream', {
      DeletionPolicy: 'Retain',
      Properties: {
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        ShardCount: Match.absent(),
        RetentionPeriodHours: STREAM.retentionHours,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: keyRef(template) },
      },
    });
  });

  it('encrypts every topic (thresholds, alarms, invoices, alerts) with the stack key and denies publishing without TLS', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(4);
    for (const topic of Object.values(topics)) {
      expect(topic.Properties.KmsMasterKeyId).toEqual(keyRef(template));
    }
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('keeps failed consumer batches 14 days in a KMS-encrypted, TLS-only queue', () => {
    const queueId = logicalIdStartingWith(template, 'AWS::SQS::Queue', 'IngestConsumerDlq');
    expect(template.findResources('AWS::SQS::Queue')[queueId]?.Properties).toMatchObject({
      KmsMasterKeyId: keyRef(template),
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('stores quarantine blobs encrypted, private, versioned, logged and archived but never expired', () => {
    const blobId = logicalIdStartingWith(template, 'AWS::S3::Bucket', 'QuarantineBlobs');
    const blob = template.findResources('AWS::S3::Bucket')[blobId]!;
    expect(blob.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(blob.DeletionPolicy).toBe('Retain');
    expect(blob.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyRef(template) },
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
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.any(String) } },
    });
    const rules = blob.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
    });
    expect(rules[0]).not.toHaveProperty('ExpirationInDays');
    expect(rules[0]).not.toHaveProperty('NoncurrentVersionExpiration');

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: blobId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const logBucketId = blob.Properties.LoggingConfiguration.DestinationBucketName.Ref as string;
    expect(logBucketId).not.toBe(blobId);
    const logBucket = template.findResources('AWS::S3::Bucket')[logBucketId];
    expect(logBucket?.DeletionPolicy).toBe('Retain');
    // Server access logs can only be delivered to an SSE-S3 bucket.
    expect(logBucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  it('runs every function (consumer, API, ingest, invoice planner and worker, alert detector and notifier) on nodejs24.x arm64 with its own log group', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(7);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
    }
    // No AWSLambdaBasicExecutionRole: each role may write only to its function's log group.
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('bundles each handler as an ESM module with a createRequire banner', () => {
    const bundles = readdirSync(synthesized.outdir)
      .filter((entry) => entry.startsWith('asset.'))
      .map((entry) => join(synthesized.outdir, entry, 'index.mjs'))
      .filter((file) => existsSync(file));
    expect(bundles).toHaveLength(7);
    for (const bundle of bundles) {
      expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire as \w+ \} from 'node:module';/);
    }
  });

  it('configures the consumer with 1024 MB, 60 s and its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 60,
      Environment: {
        Variables: {
          TOLLGATE_USAGE_TABLE: { Ref: Match.stringLikeRegexp('^TablesUsage') },
          TOLLGATE_DEDUP_TABLE: { Ref: Match.stringLikeRegexp('^TablesDedup') },
          TOLLGATE_CONFIG_TABLE: { Ref: Match.stringLikeRegexp('^TablesConfig') },
          TOLLGATE_QUARANTINE_TABLE: { Ref: Match.stringLikeRegexp('^TablesQuarantine') },
          TOLLGATE_QUARANTINE_BUCKET: { Ref: Match.stringLikeRegexp('^QuarantineBlobs') },
          TOLLGATE_THRESHOLD_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^TopicsThresholds') },
          TOLLGATE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^IngestEvents') },
          TOLLGATE_ENVELOPE_DEDUP: 'on',
          POWERTOOLS_SERVICE_NAME: 'tollgate-consumer',
          POWERTOOLS_METRICS_NAMESPACE: 'Tollgate',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('configures the API function with the tables, stream and admin token secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOLLGATE_USAGE_TABLE: Match.anyValue(),
          TOLLGATE_CONFIG_TABLE: Match.anyValue(),
          TOLLGATE_QUARANTINE_TABLE: Match.anyValue(),
          TOLLGATE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^IngestEvents') },
          TOLLGATE_QUARANTINE_BUCKET: { Ref: Match.stringLikeRegexp('^QuarantineBlobs') },
          TOLLGATE_ADMIN_TOKEN_SECRET_ARN: { Ref: Match.stringLikeRegexp('^ApiAdminToken') },
          POWERTOOLS_SERVICE_NAME: 'tollgate-api',
        }),
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
      KmsKeyId: keyRef(template),
    });
  });

  it('maps the stream to the consumer with the shared CONSUMER_SOURCE settings and the DLQ', () => {
    const streamMappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Kinesis::Stream'), 'Arn'] },
      },
    });
    expect(Object.keys(streamMappings)).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Kinesis::Stream'), 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: CONSUMER_SOURCE.batchSize,
      MaximumBatchingWindowInSeconds: CONSUMER_SOURCE.maxBatchingWindowSeconds,
      ParallelizationFactor: CONSUMER_SOURCE.parallelizationFactor,
      BisectBatchOnFunctionError: CONSUMER_SOURCE.bisectBatchOnError,
      MaximumRetryAttempts: CONSUMER_SOURCE.maxRetryAttempts,
      MaximumRecordAgeInSeconds:
        CONSUMER_SOURCE.maxRecordAgeSeconds === -1 ? Match.absent() : CONSUMER_SOURCE.maxRecordAgeSeconds,
      FunctionResponseTypes: CONSUMER_SOURCE.reportBatchItemFailures
        ? ['ReportBatchItemFailures']
        : Match.absent(),
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalIdStartingWith(template, 'AWS::SQS::Queue', 'IngestConsumerDlq'), 'Arn'],
          },
        },
      },
    });
  });

  it('grants the consumer read-only access to the config table and the API none to the dedup table', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statementsOf = (prefix: string) =>
      Object.entries(policies)
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const onTable = (statements: Record<string, unknown>[], tablePrefix: string) =>
      statements.filter((statement) => JSON.stringify(statement.Resource).includes(`"${tablePrefix}`));
    const writeActions = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;

    const consumerOnConfig = onTable(statementsOf('IngestConsumerRole'), 'TablesConfig');
    expect(consumerOnConfig.length).toBeGreaterThan(0);
    for (const statement of consumerOnConfig) {
      expect([statement.Action].flat().filter((action) => writeActions.test(String(action)))).toEqual([]);
    }
    expect(onTable(statementsOf('ApiHandlerRole'), 'TablesDedup')).toEqual([]);
  });

  it('grants the consumer exactly the DynamoDB actions it calls on each table, PartiQL claims included', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('IngestConsumerRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const dynamoActionsOn = (tablePrefix: string) =>
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(`"${tablePrefix}`))
        .flatMap((statement) => [statement.Action].flat().map(String))
        .filter((action) => action.startsWith('dynamodb:'))
        .sort();
    // Claims are BatchExecuteStatement INSERTs: without PartiQLInsert every claim is denied.
    expect(dynamoActionsOn('TablesDedup')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PartiQLInsert']);
    expect(dynamoActionsOn('TablesUsage')).toEqual(['dynamodb:UpdateItem']);
  });

  it('lets the consumer read its stream back for replays: GetShardIterator, GetRecords and ListShards on it', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('IngestConsumerRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const streamId = logicalIdOf(template, 'AWS::Kinesis::Stream');
    const onStream = statements
      .filter((statement) => JSON.stringify(statement.Resource).includes(`"${streamId}"`))
      .flatMap((statement) => [statement.Action].flat().map(String));
    expect(onStream).toEqual(
      expect.arrayContaining(['kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards']),
    );
    expect(
      onStream.filter((action) => /^kinesis:(Put|Delete|Update|Create|Merge|Split)/.test(action)),
    ).toEqual([]);
  });

  it('lets the API re-drive quarantine: GetObject on the blob keys, UpdateItem on the quarantine table, no other write', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ApiHandlerRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const actionsOn = (resourcePrefix: string) =>
      statements
        .filter((statement) => JSON.stringify(statement.Resource).includes(`"${resourcePrefix}`))
        .flatMap((statement) => [statement.Action].flat().map(String));
    expect(actionsOn('QuarantineBlobs')).toEqual(['s3:GetObject']);
    const s3Statement = statements.find((statement) => statement.Action === 's3:GetObject');
    expect(JSON.stringify(s3Statement?.Resource)).toContain('/quarantine/*');
    const quarantineWrites = actionsOn('TablesQuarantine').filter((action) =>
      /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/.test(action),
    );
    expect(quarantineWrites).toEqual(['dynamodb:UpdateItem']);
  });

  it('routes ANY /v1/{proxy+} to the API function with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /v1/{proxy+}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('routes POST /v1/events to a function of its own, throttled apart from the stage default', () => {
    const ingestFunction = logicalIdOf(template, 'AWS::Lambda::Function', {
      Properties: {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'tollgate-ingest' }) },
      },
    });
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const [integrationId] = Object.entries(integrations).find(([, integration]) =>
      JSON.stringify(integration.Properties.IntegrationUri).includes(`"${ingestFunction}"`),
    ) ?? [undefined];
    expect(integrationId).toBeDefined();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /v1/events',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
    // The read API keeps every other route; API Gateway prefers the exact route.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /v1/{proxy+}' });
    template.hasResource('AWS::ApiGatewayV2::Stage', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^ApiHttpPOSTv1events')]),
      Properties: Match.objectLike({
        RouteSettings: { 'POST /v1/events': { throttlingRateLimit: 500, throttlingBurstLimit: 1000 } },
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 15,
      Environment: {
        Variables: {
          TOLLGATE_CONFIG_TABLE: { Ref: Match.stringLikeRegexp('^TablesConfig') },
          TOLLGATE_RATE_LIMIT_TABLE: { Ref: Match.stringLikeRegexp('^TablesDedup') },
          TOLLGATE_STREAM_NAME: { Ref: Match.stringLikeRegexp('^IngestEvents') },
          TOLLGATE_INGEST_KEY_CACHE_SECONDS: '60',
          POWERTOOLS_SERVICE_NAME: 'tollgate-ingest',
          POWERTOOLS_METRICS_NAMESPACE: 'Tollgate',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('grants the ingest function exactly what it calls: PutRecords, the key via Kinesis and DynamoDB, ingest keys and rate-limit items', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('HttpIngestHandlerRole'),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Record<string, unknown>[];
    const via = (service: string) => ({
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      },
    });
    const getAtt = (prefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), 'Arn'] });
    const expected = [
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt('HttpIngestHandlerLogs') },
      {
        Action: 'kinesis:PutRecords',
        Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Kinesis::Stream'), 'Arn'] },
      },
      { Action: 'kms:GenerateDataKey', Resource: keyRef(template), Condition: via('kinesis') },
      {
        Action: 'dynamodb:GetItem',
        Resource: getAtt('TablesConfig'),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INGESTKEY#*'] } },
      },
      {
        Action: 'dynamodb:UpdateItem',
        Resource: getAtt('TablesDedup'),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['rl#*'] } },
      },
      { Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: keyRef(template), Condition: via('dynamodb') },
    ];
    expect(statements).toHaveLength(expected.length);
    for (const [i, statement] of expected.entries()) {
      const result = Match.objectEquals({ Effect: 'Allow', ...statement }).test(statements[i]);
      expect(result.isSuccess, `statement ${i}: ${result.toHumanStrings().join('; ')}`).toBe(true);
    }
    // Nothing on the usage or quarantine tables, the blob bucket or the admin token secret.
    const text = JSON.stringify(statements);
    for (const absent of [
      'TablesUsage',
      'TablesQuarantine',
      'QuarantineBlobs',
      'ApiAdminToken',
      'secretsmanager',
    ]) {
      expect(text).not.toContain(absent);
    }
  });

  it.each([
    ['consumer iterator age', { MetricName: 'IteratorAge', Namespace: 'AWS/Lambda', Threshold: 60_000 }],
    ['consumer errors', { MetricName: 'Errors', Namespace: 'AWS/Lambda' }],
    ['consumer throttles', { MetricName: 'Throttles', Namespace: 'AWS/Lambda' }],
    ['DLQ depth', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 0 }],
    [
      'quarantine rate',
      {
        MetricName: 'Quarantined',
        Namespace: 'Tollgate',
        Dimensions: [{ Name: 'service', Value: 'tollgate-consumer' }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 100,
      },
    ],
    ['API 5xx', { MetricName: '5xx', Namespace: 'AWS/ApiGateway' }],
  ])('alarms on %s and notifies the alarms topic', (_name, metric) => {
    const alarmsTopic = logicalIdOf(template, 'AWS::SNS::Topic', {
      Properties: { DisplayName: 'Tollgate alarms' },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...metric,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmName: Match.stringLikeRegexp('^Tollgate-'),
      // The alerts topic is notified too (test/infra/alerting.test.ts).
      AlarmActions: Match.arrayWith([{ Ref: alarmsTopic }]),
      OKActions: Match.arrayWith([{ Ref: alarmsTopic }]),
    });
  });

  it('subscribes no email address when tollgate:alarmEmail is unset', () => {
    expect(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })).toEqual(
      {},
    );
  });

  it('outputs what the CLI and operators need', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'StreamName',
        'StreamArn',
        'UsageTableName',
        'DedupTableName',
        'ConfigTableName',
        'QuarantineTableName',
        'ApiUrl',
        'AdminTokenSecretArn',
        'ThresholdsTopicArn',
        'AlarmsTopicArn',
        'ConsumerDlqUrl',
        'ConsumerFunctionName',
        'EventsUrl',
        'IngestFunctionName',
        'InvoicesTableName',
        'DocumentsBucketName',
        'InvoiceJobsQueueUrl',
        'InvoiceJobsDlqUrl',
        'InvoicesTopicArn',
        'PlannerFunctionName',
        'WorkerFunctionName',
      ]),
    );
  });
});

describe('with a provisioned stream, an alarm email, envelope dedup off and destroy', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize({
      ...SKIP_BUNDLING,
      'tollgate:stackName': 'TollgateDev',
      'tollgate:streamMode': 'PROVISIONED',
      'tollgate:shardCount': '3',
      'tollgate:alarmEmail': 'oncall@example.com',
      'tollgate:envelopeDedup': 'off',
      'tollgate:removalPolicy': 'destroy',
    });
    template = templateOf(synthesized);
  });

  it('synthesizes with no cdk-nag AwsSolutions finding left unacknowledged', () => {
    expect(synthesized.synthError).toBeUndefined();
    expect(nagFindings(synthesized)).toEqual([]);
    expect(synthesized.stack.stackName).toBe('TollgateDev');
  });

  it('creates a provisioned stream with the requested shard count', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 3,
    });
  });

  it('subscribes the email address to the alarms topic', () => {
    expect(
      Object.keys(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'email' } })),
    ).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: {
        Ref: logicalIdOf(template, 'AWS::SNS::Topic', { Properties: { DisplayName: 'Tollgate alarms' } }),
      },
    });
  });

  it('passes envelope dedup off to the consumer', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOLLGATE_ENVELOPE_DEDUP: 'off' }) },
    });
  });

  it('deletes tables, stream, key and buckets with the stack', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Kinesis::Stream', 'AWS::KMS::Key', 'AWS::S3::Bucket']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DeletionPolicy, type).toBe('Delete');
      }
    }
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
    // Quarantine blobs, their access logs and the invoice documents.
    expect(Object.keys(template.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(3);
  });
});

describe('invalid context', () => {
  it.each([
    ['tollgate:streamMode', 'SIDEWAYS'],
    ['tollgate:shardCount', '0'],
    ['tollgate:shardCount', 'two'],
    ['tollgate:alarmEmail', 'not-an-email'],
    ['tollgate:envelopeDedup', 'maybe'],
    ['tollgate:removalPolicy', 'snapshot'],
    ['tollgate:stackName', '1-starts-with-a-digit'],
    ['tollgate:alarmEmial', 'typo@example.com'],
  ])('rejects %s=%s naming the key', (key, value) => {
    const context = { 'tollgate:streamMode': 'PROVISIONED', [key]: value };
    expect(() => createTollgateApp({ context })).toThrow(`Invalid CDK context ${key}:`);
  });

  it('rejects tollgate:shardCount for an on-demand stream', () => {
    expect(() => createTollgateApp({ context: { 'tollgate:shardCount': '4' } })).toThrow(
      /tollgate:shardCount: only applies when tollgate:streamMode is PROVISIONED/,
    );
  });
});

it('fails synthesis on an unacknowledged cdk-nag error', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'tollgate-infra-'));
  outdirs.push(outdir);
  const { stack } = createTollgateApp({ outdir, context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING } });
  new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-SQS/);
});
