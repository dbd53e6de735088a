import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BillingTables } from './billing-tables.js';
import { METRICS_NAMESPACE } from './ingest-pipeline.js';
import { INVOICE_DOCUMENT_PATTERN, INVOICES_BY_TENANT_INDEX } from './invoicing.js';
import { KMS_REASON, kmsWildcardFindings, nagRef } from './nag-findings.js';
import { TollgateFunction } from './tollgate-function.js';

export interface TollgateApiProps {
  readonly key: kms.IKey;
  readonly tables: BillingTables;
  readonly stream: kinesis.IStream;
  /** The quarantine blob bucket: re-driving reads the bytes of large quarantined records. */
  readonly quarantineBucket: s3.Bucket;
  /** Invoice routes: read documents, queue re-runs of a tenant period. */
  readonly documentsBucket: s3.Bucket;
  readonly invoiceJobsQueue: sqs.IQueue;
  readonly graceHours: number;
  readonly removalPolicy: RemovalPolicy;
}

/** Keys of quarantined bytes in the blob bucket (`DynamoDbQuarantineStore`: `quarantine/{tenant}/{sk}`). */
export const QUARANTINE_BLOB_PATTERN = 'quarantine/*';

/** Stage-wide default route throttling (requests per second, and burst). */
export const API_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * The HTTP API: `ANY /v1/{proxy+}` to one Lambda that authenticates the bearer token itself
 * (the admin token from Secrets Manager, tenant tokens by their sha256 in the config table),
 * reads usage and quarantine, manages catalog and tenants, and re-drives quarantined records
 * (reads their bytes, puts them back on the stream, marks the entries).
 */
export class TollgateApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly handler: TollgateFunction;
  readonly adminTokenSecret: secretsmanager.Secret;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TollgateApiProps) {
    super(scope, id);
    const { tables } = props;

    this.adminTokenSecret = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'Tollgate admin bearer token (the secret string is the token)',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.adminTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin token is held by operators and CI, so rotating it means handing them the new value: rotation is a manual, documented step (docs/deploy.md, put-secret-value). Tenants authenticate with their own hashed tokens, not this one.',
    });

    this.handler = new TollgateFunction(this, 'Handler', {
      entry: 'functions/api/handler.ts',
      description: 'Tollgate HTTP API (payload v2, bearer-token auth in the function)',
      memorySize: 1024,
      // HTTP API integrations time out at 30 s.
      timeout: Duration.seconds(29),
      removalPolicy: props.removalPolicy,
      environment: {
        ...tables.nameVariables(),
        TOLLGATE_STREAM_NAME: props.stream.streamName,
        TOLLGATE_QUARANTINE_BUCKET: props.quarantineBucket.bucketName,
        TOLLGATE_ADMIN_TOKEN_SECRET_ARN: this.adminTokenSecret.secretArn,
        TOLLGATE_DOCUMENTS_BUCKET: props.documentsBucket.bucketName,
        TOLLGATE_INVOICE_QUEUE_URL: props.invoiceJobsQueue.queueUrl,
        TOLLGATE_GRACE_HOURS: String(props.graceHours),
        POWERTOOLS_SERVICE_NAME: 'tollgate-api',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    const role = this.handler.role;
    tables.byId.usage.grantReadData(role);
    tables.byId.quarantine.grantReadData(role);
    // Re-drive marks entries `redrivenAt`; no other write on the quarantine table.
    tables.byId.quarantine.grant(role, 'dynamodb:UpdateItem');
    tables.byId.config.grantReadWriteData(role);
    props.stream.grantWrite(role);
    // GetObject on the blob keys, nothing else of the bucket (no list: a missing blob reads as
    // access denied, which re-drive reports as `bytes_unreadable`).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.quarantineBucket.arnForObjects(QUARANTINE_BLOB_PATTERN)],
      }),
    );
    // Alert routes: list and read alerts, acknowledge one (a conditional PutItem of its item).
    const alerts = tables.byId.alerts;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
        resources: [alerts.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${alerts.tableArn}/index/by-tenant`, `${alerts.tableArn}/index/by-state`],
      }),
    );
    // Invoice routes: read and list invoices, void them and grant credits (transactions are
    // authorized per item action), download documents, queue a tenant period again.
    const invoices = tables.byId.invoices;
    const invoiceStatements = [
      new iam.PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [invoices.tableArn],
      }),
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${invoices.tableArn}/index/${INVOICES_BY_TENANT_INDEX}`],
      }),
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.documentsBucket.arnForObjects(INVOICE_DOCUMENT_PATTERN)],
      }),
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.invoiceJobsQueue.queueArn] }),
      // The queue is SSE-KMS: SendMessage takes a data key (kms:Decrypt is granted below).
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [props.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    ];
    for (const statement of invoiceStatements) role.addToPrincipalPolicy(statement);
    props.key.grantDecrypt(role);
    this.adminTokenSecret.grantRead(role);

    for (const finding of kmsWildcardFindings) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: KMS_REASON,
      });
    }
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(tables.byId.quarantine, 'Arn')}/index/*]`,
      reason:
        'Read access to the indexes of the quarantine table (its by-reason index lists quarantined records by reason code); no other table. The UpdateItem grant (re-drive marks) lists the indexes too, but a write cannot target an index.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(props.quarantineBucket, 'Arn')}/${QUARANTINE_BLOB_PATTERN}]`,
      reason:
        'GetObject only, on the quarantine blob keys only: re-driving reads the bytes of a large quarantined record under the key its quarantine entry names.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(props.documentsBucket, 'Arn')}/${INVOICE_DOCUMENT_PATTERN}]`,
      reason:
        'GetObject only, on the invoice document keys only: the invoice routes serve the documents of the invoice the request names.',
    });

    this.httpApi = new apigwv2.HttpApi(this, 'Http', {
      description: 'Tollgate API',
      createDefaultStage: false,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });

    const [route] = this.httpApi.addRoutes({
      path: '/v1/{proxy+}',
      methods: [apigwv2.HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Handler', this.handler.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    if (route !== undefined) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The function authenticates every request itself: a bearer token compared with the admin token from Secrets Manager, or looked up by its sha256 in the config table (tenant tokens), before any handler runs.',
      });
    }
  }

  /** `https://{api-id}.execute-api.{region}.amazonaws.com/` */
  get url(): string {
    return this.stage.url;
  }
}
