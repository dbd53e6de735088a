/**
 * The AWS composition root of the ingest function (`POST /v1/events`): reads and validates the
 * environment once per container and creates the SDK clients once. It reads only ingest keys
 * from the config table (cached up to 60 s: a revoked key is refused within that time), counts
 * rate-limit windows in the dedup table, and puts records on the stream; nothing else.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { z } from 'zod';
import { CachedIngestKeyLookup } from '../adapters/dynamodb/cached-config-sources.js';
import { DynamoDbIngestKeyStore } from '../adapters/dynamodb/dynamodb-ingest-key-store.js';
import { DynamoDbRateLimiter } from '../adapters/dynamodb/dynamodb-rate-limiter.js';
import { KinesisStreamWriter } from '../adapters/kinesis/kinesis-stream-writer.js';
import type { IngestApiDeps } from '../api/api-types.js';
import { parseEnvironment, powertoolsApiLogger } from './aws-api.js';

/** The longest a key lookup is cached: the documented bound on revocation. */
export const MAX_KEY_CACHE_SECONDS = 60;

const schema = z.object({
  TOLLGATE_CONFIG_TABLE: z.string().min(3),
  /** The dedup table: rate-limit windows live there under `rl#` (shared/tables). */
  TOLLGATE_RATE_LIMIT_TABLE: z.string().min(3),
  TOLLGATE_STREAM_NAME: z.string().min(1),
  TOLLGATE_INGEST_KEY_CACHE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_KEY_CACHE_SECONDS)
    .default(MAX_KEY_CACHE_SECONDS),
  AWS_REGION: z.string().min(1),
});

export type AwsIngestConfig = z.infer<typeof schema>;

/** Throws `ConfigurationError` naming each bad or missing variable. */
export function readAwsIngestConfig(env: NodeJS.ProcessEnv): AwsIngestConfig {
  return parseEnvironment(schema, env);
}

export function awsIngestDeps(env: NodeJS.ProcessEnv = process.env): IngestApiDeps {
  const config = readAwsIngestConfig(env);
  const region = config.AWS_REGION;
  const dynamodb = new DynamoDBClient({ region });
  return {
    ingest: {
      keys: new CachedIngestKeyLookup(
        new DynamoDbIngestKeyStore(dynamodb, config.TOLLGATE_CONFIG_TABLE),
        config.TOLLGATE_INGEST_KEY_CACHE_SECONDS * 1000,
      ),
      // Short backoff: the producer is waiting, and a failed event is its to resend.
      stream: new KinesisStreamWriter(new KinesisClient({ region }), {
        stream: config.TOLLGATE_STREAM_NAME,
        maxAttempts: 4,
        maxDelayMs: 400,
      }),
      limiter: new DynamoDbRateLimiter(dynamodb, config.TOLLGATE_RATE_LIMIT_TABLE),
    },
    clock: Date.now,
    logger: powertoolsApiLogger(new Logger({ serviceName: 'tollgate-ingest' })),
  };
}
