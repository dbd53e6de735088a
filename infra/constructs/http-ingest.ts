import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ITEM_KEY_PREFIXES } from '../../shared/tables/table-definitions.js';
import type { BillingTables } from './billing-tables.js';
import { METRICS_NAMESPACE } from './ingest-pipeline.js';
import type { TollgateApi } from './tollgate-api.js';
import { TollgateFunction } from './tollgate-function.js';

export interface HttpIngestProps {
  readonly key: kms.IKey;
  readonly tables: BillingTables;
  readonly stream: kinesis.IStream;
  /** The HTTP API whose stage also serves `POST /v1/events`. */
  readonly api: TollgateApi;
  readonly removalPolicy: RemovalPolicy;
}

export const INGEST_ROUTE_KEY = 'POST /v1/events';

/**
 * Throttling of `POST /v1/events` at API Gateway, for all keys together (each key is also held
 * to its own limits by the function): up to 1,000 events per request, so 500 requests per second
 * carry up to 500,000 events per second.
 */
export const INGEST_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

/**
 * HTTP ingest for producers outside AWS: `POST /v1/events` on the API's stage, to a function of
 * its own that authenticates ingest keys (by their sha256 in the config table), throttles each
 * key (conditional writes on `rl#` items of the dedup table) and puts the events on the stream.
 * Its role holds exactly that: no admin token, no read of usage, tenants or tokens.
 */
export class HttpIngest extends Construct {
  readonly handler: TollgateFunction;
  readonly route: apigwv2.HttpRoute;

  constructor(scope: Construct, id: string, props: HttpIngestProps) {
    super(scope, id);
    const { tables, key } = props;
    const config = tables.byId.config;
    const dedup = tables.byId.dedup;

    this.handler = new TollgateFunction(this, 'Handler', {
      entry: 'functions/api/ingest-handler.ts',
      description: 'Tollgate HTTP ingest: POST /v1/events with an ingest key, onto the usage-event stream',
      memorySize: 1024,
      // A request is one key lookup, one rate-limit write and a PutRecords with a short backoff.
      timeout: Duration.seconds(15),
      removalPolicy: props.removalPolicy,
      environment: {
        TOLLGATE_CONFIG_TABLE: config.tableName,
        TOLLGATE_RATE_LIMIT_TABLE: dedup.tableName,
        TOLLGATE_STREAM_NAME: props.stream.streamName,
        TOLLGATE_INGEST_KEY_CACHE_SECONDS: '60',
        POWERTOOLS_SERVICE_NAME: 'tollgate-ingest',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    const role = this.handler.role;
    const region = Stack.of(this).region;
    const statements = [
      // Producers of a KMS-encrypted stream need PutRecords and GenerateDataKey on its key.
      new iam.PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [props.stream.streamArn] }),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `kinesis.${region}.amazonaws.com` } },
      }),
      // Ingest keys only: the authentication items, not tenants, tokens or the catalog.
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [config.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ITEM_KEY_PREFIXES.ingestKey}*`] },
        },
      }),
      // Rate-limit windows only: never the consumer's claim markers in the same table.
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [dedup.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ITEM_KEY_PREFIXES.rateLimit}*`] },
        },
      }),
      // The tables are encrypted with the stack key: DynamoDB decrypts their table keys with it.
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      }),
    ];
    for (const statement of statements) role.addToPrincipalPolicy(statement);

    const [route] = props.api.httpApi.addRoutes({
      path: '/v1/events',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Handler', this.handler.function, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    if (route === undefined) throw new Error('HttpIngest: the POST /v1/events route was not created');
    this.route = route;
    Validations.of(route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The function authenticates every request itself: the bearer token must be an ingest key (tg_k_…), looked up by its sha256 in the config table, not revoked, before any event is read.',
    });

    // Route throttling lives on the stage; the stage must not be deployed before the route.
    const stage = props.api.stage.node.defaultChild as apigwv2.CfnStage;
    stage.routeSettings = {
      [INGEST_ROUTE_KEY]: {
        throttlingRateLimit: INGEST_THROTTLE.rateLimit,
        throttlingBurstLimit: INGEST_THROTTLE.burstLimit,
      },
    };
    props.api.stage.node.addDependency(route);
  }
}
