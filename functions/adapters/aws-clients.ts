/**
 * SDK client factories. Each client is created once per process for a given (endpoint, region,
 * maxAttempts) and shared, so every adapter talking to the same service reuses one connection
 * pool. The composition root (aws or local) decides the options; this file reads no environment.
 *
 * With an `endpoint` (an emulator on the laptop) the clients use static dummy credentials and an
 * explicit HTTP/1.1 `NodeHttpHandler` (the Kinesis client otherwise negotiates a handler the
 * Kinesis emulator's plain port does not serve). The fixed key keeps every local client on the
 * same data even if DynamoDB Local runs without `-sharedDb` (it then namespaces tables by access
 * key and region). Without an endpoint the SDK's default credential chain and handler are used,
 * as on Lambda.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsClientOptions {
  /** An emulator's base URL (`http://127.0.0.1:PORT`); absent on AWS. */
  readonly endpoint?: string;
  readonly region: string;
  /** SDK attempts per request, including the first; the SDK default (3) when absent. */
  readonly maxAttempts?: number;
}

/** The access key every local client signs with, so all of them see the same local data. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'tollgatelocal', secretAccessKey: 'tollgatelocal' } as const;

interface CachedClient {
  readonly endpoint: string | undefined;
  readonly client: { destroy(): void };
}

const cache = new Map<string, CachedClient>();

export function createDynamoDbClient(options: AwsClientOptions): DynamoDBClient {
  return cached('dynamodb', options, () => new DynamoDBClient(clientConfig(options)));
}

export function createKinesisClient(options: AwsClientOptions): KinesisClient {
  return cached('kinesis', options, () => new KinesisClient(clientConfig(options)));
}

/**
 * Destroys the shared clients (all of them, or those for one endpoint) and forgets them, so open
 * keep-alive sockets do not hold an emulator's shutdown; a later create builds fresh ones.
 */
export function closeAwsClients(filter: { readonly endpoint?: string } = {}): void {
  for (const [key, entry] of cache) {
    if (filter.endpoint === undefined || entry.endpoint === filter.endpoint) {
      entry.client.destroy();
      cache.delete(key);
    }
  }
}

function cached<T extends { destroy(): void }>(
  service: string,
  options: AwsClientOptions,
  build: () => T,
): T {
  const key = JSON.stringify([
    service,
    options.endpoint ?? null,
    options.region,
    options.maxAttempts ?? null,
  ]);
  const existing = cache.get(key);
  if (existing !== undefined) {
    return existing.client as T;
  }
  const client = build();
  cache.set(key, { endpoint: options.endpoint, client });
  return client;
}

function clientConfig(options: AwsClientOptions) {
  const attempts = options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts };
  if (options.endpoint === undefined) {
    return { region: options.region, ...attempts };
  }
  return {
    region: options.region,
    endpoint: options.endpoint,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 2_000,
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    }),
    ...attempts,
  };
}
