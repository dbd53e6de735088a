import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONSUMER_SOURCE, STREAM } from '../../shared/tables/table-definitions.js';
import type { EnvelopeDedup, StreamCapacityMode } from '../config.js';
import type { BillingTables } from './billing-tables.js';
import { KMS_REASON, kmsWildcardFindings, nagRef } from './nag-findings.js';
import { TollgateFunction } from './tollgate-function.js';

export interface IngestPipelineProps {
  readonly key: kms.IKey;
  readonly streamMode: StreamCapacityMode;
  readonly shardCount?: number;
  readonly envelopeDedup: EnvelopeDedup;
  readonly tables: BillingTables;
  readonly quarantineBucket: s3.Bucket;
  readonly thresholdsTopic: sns.ITopic;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The write path: the usage-event stream, the consumer that meters it into DynamoDB, and the
 * queue that receives the coordinates of batches the consumer gave up on.
 */
export class IngestPipeline extends Construct {
  readonly stream: kinesis.Stream;
  readonly consumer: TollgateFunction;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);
    const { tables } = props;

    this.stream = new kinesis.Stream(this, 'Events', {
      streamMode:
        props.streamMode === 'PROVISIONED' ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      ...(props.streamMode === 'PROVISIONED' && props.shardCount !== undefined
        ? { shardCount: props.shardCount }
        : {}),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.key,
      retentionPeriod: Duration.hours(STREAM.retentionHours),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'Usage events carry tenant and billing data: they are encrypted with the stack key like the tables they feed, so one key policy governs all of it.',
    });

    // Receives the shard and sequence range of each batch given up on, not the records: those
    // can be re-read from the stream while within its retention. 14 days is the SQS maximum.
    this.deadLetterQueue = new sqs.Queue(this, 'ConsumerDlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the consumer event source mapping; a dead-letter queue behind it would add nothing.',
    });

    this.consumer = new TollgateFunction(this, 'Consumer', {
      entry: 'functions/ingest-consumer/handler.ts',
      description: 'Meters usage events from the Kinesis stream into DynamoDB',
      memorySize: 1024,
      timeout: Duration.seconds(60),
      removalPolicy: props.removalPolicy,
      environment: {
        ...tables.nameVariables(),
        TOLLGATE_QUARANTINE_BUCKET: props.quarantineBucket.bucketName,
        TOLLGATE_THRESHOLD_TOPIC_ARN: props.thresholdsTopic.topicArn,
        // Replays of given-up batches read their records back from the stream.
        TOLLGATE_STREAM_NAME: this.stream.streamName,
        TOLLGATE_ENVELOPE_DEDUP: props.envelopeDedup,
        POWERTOOLS_SERVICE_NAME: CONSUMER_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });

    this.consumer.function.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: CONSUMER_SOURCE.batchSize,
        maxBatchingWindow: Duration.seconds(CONSUMER_SOURCE.maxBatchingWindowSeconds),
        parallelizationFactor: CONSUMER_SOURCE.parallelizationFactor,
        bisectBatchOnError: CONSUMER_SOURCE.bisectBatchOnError,
        retryAttempts: CONSUMER_SOURCE.maxRetryAttempts,
        ...(CONSUMER_SOURCE.maxRecordAgeSeconds === -1
          ? {}
          : { maxRecordAge: Duration.seconds(CONSUMER_SOURCE.maxRecordAgeSeconds) }),
        reportBatchItemFailures: CONSUMER_SOURCE.reportBatchItemFailures,
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );

    const role = this.consumer.role;
    // The event source mapping reads with the function's role, and so do replays
    // (GetShardIterator, GetRecords, ListShards; docs/operations.md).
    this.stream.grantRead(role);
    // Exactly what the consumer calls: conditional UpdateItem on counters; claims are PartiQL
    // INSERTs (BatchExecuteStatement needs dynamodb:PartiQLInsert, which no grantXData includes)
    // and holders are read back with BatchGetItem. The stack key is granted by the grants below.
    tables.byId.usage.grant(role, 'dynamodb:UpdateItem');
    tables.byId.dedup.grant(role, 'dynamodb:PartiQLInsert', 'dynamodb:BatchGetItem');
    tables.byId.config.grantReadData(role);
    tables.byId.quarantine.grantWriteData(role);
    props.quarantineBucket.grantPut(role);
    props.thresholdsTopic.grantPublish(role);

    const wildcards: ReadonlyArray<readonly [finding: string, reason: string]> = [
      ...kmsWildcardFindings.map((finding) => [finding, KMS_REASON] as const),
      [
        `Resource::${nagRef(props.quarantineBucket, 'Arn')}/*`,
        'Objects of the quarantine blob bucket only: one object per oversized quarantined record, under a key derived at run time from its shard and sequence number.',
      ],
      [
        'Action::s3:Abort*',
        'From grantPut, on the quarantine blob bucket objects only: lets an interrupted multipart upload of a large record be aborted.',
      ],
      [
        `Resource::${nagRef(tables.byId.quarantine, 'Arn')}/index/*`,
        'grantWriteData lists the quarantine table indexes beside the table; write actions cannot target an index, so this grants nothing beyond the table.',
      ],
    ];
    for (const [finding, reason] of wildcards) {
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}

export const CONSUMER_SERVICE_NAME = 'tollgate-consumer';
export const METRICS_NAMESPACE = 'Tollgate';
