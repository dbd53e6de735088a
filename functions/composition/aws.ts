import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { meterBatch } from '../../shared/metering/meter-batch.js';
import type { ReplayDeps } from '../../shared/metering/replay-failed-batch.js';
import { S3BlobStore } from '../adapters/blob/s3-blob-store.js';
import { KinesisStreamRangeReader } from '../adapters/kinesis/kinesis-stream-range-reader.js';
import { SnsThresholdPublisher } from '../adapters/sns/sns-threshold-publisher.js';
import { readAwsConsumerConfig } from './aws-config.js';
import { meteringDeps } from './metering-deps.js';

/**
 * The AWS composition root: the only place on AWS that reads configuration and chooses
 * adapters. Clients are created once per Lambda container.
 */
export function awsConsumerDeps(env: NodeJS.ProcessEnv = process.env) {
  const config = readAwsConsumerConfig(env);
  const region = config.AWS_REGION;
  const metering = meteringDeps({
    dynamodb: new DynamoDBClient({ region }),
    tables: {
      usage: config.TOLLGATE_USAGE_TABLE,
      dedup: config.TOLLGATE_DEDUP_TABLE,
      config: config.TOLLGATE_CONFIG_TABLE,
      quarantine: config.TOLLGATE_QUARANTINE_TABLE,
    },
    blobs: new S3BlobStore(new S3Client({ region }), config.TOLLGATE_QUARANTINE_BUCKET),
    thresholds: new SnsThresholdPublisher(new SNSClient({ region }), config.TOLLGATE_THRESHOLD_TOPIC_ARN),
    envelopeDedup: config.TOLLGATE_ENVELOPE_DEDUP === 'on',
    configCacheMs: config.TOLLGATE_CONFIG_CACHE_SECONDS * 1000,
  });
  const replay: ReplayDeps & { readonly streamName: string } = {
    streamName: config.TOLLGATE_STREAM_NAME,
    reader: new KinesisStreamRangeReader(new KinesisClient({ region }), {
      stream: config.TOLLGATE_STREAM_NAME,
    }),
    meter: (records, options) => meterBatch(records, metering, options),
    pause: (attempt) => new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt))),
  };
  return { metering, replay };
}
