/**
 * The producer SDK composed with Kinesis: `createUsageClient({ stream })` is all an AI service
 * needs on AWS (credentials and region from the default chain) or against the local runtime
 * (`endpoint`). Everything else is re-exported from shared/sdk.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { UsageClient, type UsageClientOptions } from '../../shared/sdk/usage-client.js';
import { createKinesisClient } from '../adapters/aws-clients.js';
import { KinesisPutTransport } from '../adapters/kinesis/kinesis-put-transport.js';

export * from '../../shared/sdk/index.js';

export interface CreateUsageClientOptions extends Omit<UsageClientOptions, 'transport'> {
  /** The usage stream's name or ARN (the stack output `UsageStreamName`). */
  readonly stream: string;
  /** Default: `$AWS_REGION`, else `us-east-1`. */
  readonly region?: string;
  /** An emulator's URL (the local runtime's Kinesis), absent on AWS. */
  readonly endpoint?: string;
  /** Bring your own client (its retry settings apply beneath the SDK's own). */
  readonly kinesisClient?: KinesisClient;
}

export function createUsageClient(options: CreateUsageClientOptions): UsageClient {
  if (typeof options.stream !== 'string' || options.stream.trim() === '') {
    throw new TypeError('stream: the usage stream name or ARN is required');
  }
  const { stream, region, endpoint, kinesisClient, ...rest } = options;
  const client =
    kinesisClient ??
    createKinesisClient({
      region: region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(endpoint === undefined ? {} : { endpoint }),
      // The UsageClient retries with backoff and jitter itself.
      maxAttempts: 1,
    });
  return new UsageClient({ ...rest, transport: new KinesisPutTransport(client, stream) });
}
