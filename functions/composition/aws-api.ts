/**
 * The AWS composition root of the HTTP API: reads and validates the environment once per
 * container, creates the SDK clients once, and fetches the admin token from Secrets Manager on
 * first use (once per container; a failed fetch is retried by the next request).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { S3BlobStore } from '../adapters/blob/s3-blob-store.js';
import { DynamoDbAlertStore } from '../adapters/dynamodb/dynamodb-alert-store.js';
import { DynamoDbConfigStore } from '../adapters/dynamodb/dynamodb-config-store.js';
import { DynamoDbIngestKeyStore } from '../adapters/dynamodb/dynamodb-ingest-key-store.js';
import { DynamoDbQuarantineReader } from '../adapters/dynamodb/dynamodb-quarantine-reader.js';
import { DynamoDbQuarantineStore } from '../adapters/dynamodb/dynamodb-quarantine-store.js';
import { DynamoDbUsageReader } from '../adapters/dynamodb/dynamodb-usage-reader.js';
import { KinesisStreamWriter } from '../adapters/kinesis/kinesis-stream-writer.js';
import type { ApiDeps, ApiLogger } from '../api/api-types.js';
import { awsApiBillingDeps } from './aws-billing.js';
import { ConfigurationError } from './aws-config.js';

const schema = z.object({
  TOLLGATE_USAGE_TABLE: z.string().min(3),
  TOLLGATE_CONFIG_TABLE: z.string().min(3),
  TOLLGATE_QUARANTINE_TABLE: z.string().min(3),
  TOLLGATE_ALERTS_TABLE: z.string().min(3).optional(),
  TOLLGATE_QUARANTINE_BUCKET: z.string().min(3),
  TOLLGATE_STREAM_NAME: z.string().min(1),
  TOLLGATE_ADMIN_TOKEN_SECRET_ARN: z.string().startsWith('arn:'),
  AWS_REGION: z.string().min(1),
});

export type AwsApiConfig = z.infer<typeof schema>;

/** Throws `ConfigurationError` naming each bad or missing variable. */
export function readAwsApiConfig(env: NodeJS.ProcessEnv): AwsApiConfig {
  return parseEnvironment(schema, env);
}

/** The environment through `schema`; throws `ConfigurationError` naming each bad or missing variable. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map(
        (issue) =>
          `${issue.path.join('.')}: ${env[String(issue.path[0])] === undefined ? 'is not set' : issue.message}`,
      )
      .join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return result.data;
}

/** Resolves the secret once; a failure is not cached, so the next call tries again. */
export function secretOnce(fetch: () => Promise<string>): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= fetch().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

export async function fetchSecretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const token = result.SecretString?.trim() ?? '';
  if (token === '') throw new ConfigurationError(`the admin token secret ${secretId} has no SecretString`);
  return token;
}

export function powertoolsApiLogger(logger: Logger): ApiLogger {
  return {
    info: (message, details) => logger.info(message, { ...details }),
    error: (message, details) => {
      const { error, ...rest } = details;
      logger.error(message, error instanceof Error ? { ...rest, error } : { ...rest, cause: String(error) });
    },
  };
}

export function awsApiDeps(env: NodeJS.ProcessEnv = process.env): ApiDeps {
  const config = readAwsApiConfig(env);
  const region = config.AWS_REGION;
  const dynamodb = new DynamoDBClient({ region });
  const secrets = new SecretsManagerClient({ region });
  const blobs = new S3BlobStore(new S3Client({ region }), config.TOLLGATE_QUARANTINE_BUCKET);
  return {
    config: new DynamoDbConfigStore(dynamodb, config.TOLLGATE_CONFIG_TABLE),
    ingestKeys: new DynamoDbIngestKeyStore(dynamodb, config.TOLLGATE_CONFIG_TABLE),
    // No `ingest`: API Gateway sends POST /v1/events to the ingest function (aws-ingest.ts).
    usage: new DynamoDbUsageReader(dynamodb, config.TOLLGATE_USAGE_TABLE),
    quarantine: new DynamoDbQuarantineReader(dynamodb, config.TOLLGATE_QUARANTINE_TABLE),
    redrive: {
      blobs,
      // Short backoff: the API answers within API Gateway's 30 s.
      stream: new KinesisStreamWriter(new KinesisClient({ region }), {
        stream: config.TOLLGATE_STREAM_NAME,
        maxAttempts: 5,
        maxDelayMs: 1_000,
      }),
      marker: new DynamoDbQuarantineStore(dynamodb, config.TOLLGATE_QUARANTINE_TABLE, blobs),
    },
    adminToken: secretOnce(() => fetchSecretString(secrets, config.TOLLGATE_ADMIN_TOKEN_SECRET_ARN)),
    billing: awsApiBillingDeps(env),
    ...(config.TOLLGATE_ALERTS_TABLE === undefined
      ? {}
      : { alerts: new DynamoDbAlertStore(dynamodb, config.TOLLGATE_ALERTS_TABLE) }),
    clock: Date.now,
    logger: powertoolsApiLogger(new Logger({ serviceName: 'tollgate-api' })),
  };
}
