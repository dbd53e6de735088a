import { randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { DetectionSummary } from '../../shared/alerts/run-detection.js';
import { loadCatalogText } from '../../shared/catalog/load-catalog.js';
import { loadTenantSeedText } from '../../shared/catalog/tenant-profile.js';
import type { BillingRunRequest, BillingRunSummary } from '../../shared/invoicing/plan-billing-run.js';
import { closeAwsClients, createDynamoDbClient, createKinesisClient } from '../adapters/aws-clients.js';
import { DynamoDbIngestKeyStore } from '../adapters/dynamodb/dynamodb-ingest-key-store.js';
import { DynamoDbQuarantineReader } from '../adapters/dynamodb/dynamodb-quarantine-reader.js';
import { DynamoDbQuarantineStore } from '../adapters/dynamodb/dynamodb-quarantine-store.js';
import { DynamoDbUsageReader } from '../adapters/dynamodb/dynamodb-usage-reader.js';
import { KinesisStreamWriter } from '../adapters/kinesis/kinesis-stream-writer.js';
import { TokenBucketRateLimiter } from '../adapters/local/token-bucket-rate-limiter.js';
import { type ApiServer, startApiServer } from '../api/local-server.js';
import { localBlobStore, localMeteringDeps } from '../composition/local.js';
import { type ConsumerObserver, createConsumer } from '../ingest-consumer/consume-kinesis-event.js';
import { createCheckpointStore } from './checkpoint-store.js';
import { startDynamoDbLocal } from './emulators/dynamodb-local.js';
import type { LocalEmulator } from './emulators/emulator-process.js';
import { startKinesisLocal } from './emulators/kinesis-local.js';
import { type EventSourcePoller, startEventSourcePoller } from './event-source-poller.js';
import { startLocalAlerting } from './local-alerting.js';
import { startLocalBilling } from './local-billing.js';
import type { LocalConfig } from './local-config.js';
import type { LocalQueue } from './local-queue.js';
import { provisionLocal } from './provision.js';
import type { SqsWorkerPoller } from './sqs-worker-poller.js';

export const LOCAL_REGION = 'us-east-1';

/** What `npx tollgate status --json` reads, in `<dataDir>/status.json`. */
export interface LocalStatus {
  readonly apiUrl: string;
  readonly kinesisEndpoint: string;
  readonly streamName: string;
  readonly dynamodbEndpoint: string;
  readonly region: string;
  readonly adminToken: string;
  readonly tables: Readonly<Record<string, string>>;
  /** The consumer's claim mode: a replay (`tollgate dlq replay`) must claim the same way. */
  readonly envelopeDedup: boolean;
}

export interface LocalRuntime {
  readonly status: LocalStatus;
  readonly poller: EventSourcePoller;
  /** Invoicing: the jobs queue, the worker polling it, and one planner run on demand. */
  /** Alerting: one detector run on demand. */
  readonly alerting: { run(): Promise<DetectionSummary> };
  readonly billing: {
    readonly queue: LocalQueue<string>;
    readonly worker: SqsWorkerPoller;
    runPlanner(request?: BillingRunRequest): Promise<BillingRunSummary>;
  };
  stop(): Promise<void>;
}

function formatOf(path: string): 'yaml' | 'json' {
  return extname(path) === '.json' ? 'json' : 'yaml';
}

/** The admin token: configured, or generated once and kept (mode 0600) in the data dir. */
async function adminTokenFor(config: LocalConfig): Promise<string> {
  if (config.adminToken !== undefined) return config.adminToken;
  const path = join(config.dataDir, 'admin-token');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const token = `tg_admin_${randomBytes(24).toString('base64url')}`;
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

/**
 * The local composition root: the real emulators, the tables and stream from the shared
 * definition, the real consumer behind a poller with the event source mapping's semantics,
 * and the API on 127.0.0.1. Everything a deploy would run, on one machine.
 */
export async function startLocalRuntime(
  config: LocalConfig,
  print: (line: string) => void,
): Promise<LocalRuntime> {
  if (config.fresh) await rm(config.dataDir, { recursive: true, force: true });
  await mkdir(config.dataDir, { recursive: true });
  // Configuration files first: a bad catalog should fail before anything starts.
  const catalog = loadCatalogText(await readFile(config.catalogPath, 'utf8'), formatOf(config.catalogPath));
  const seed = loadTenantSeedText(
    await readFile(config.tenantsPath, 'utf8'),
    formatOf(config.tenantsPath),
    catalog,
  );

  const emulators: LocalEmulator[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    closeAwsClients();
    await Promise.all(emulators.map((e) => e.stop().catch(() => {})));
  };
  try {
    const [dynamodb, kinesis] = await Promise.all([
      startDynamoDbLocal({
        dataDir: config.dataDir,
        ...(config.dynamodbPort ? { port: config.dynamodbPort } : {}),
      }),
      startKinesisLocal({
        dataDir: config.dataDir,
        region: LOCAL_REGION,
        ...(config.kinesisPort ? { port: config.kinesisPort } : {}),
      }),
    ]);
    emulators.push(dynamodb, kinesis);
    const dynamodbClient = createDynamoDbClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION });
    const kinesisClient = createKinesisClient({ endpoint: kinesis.endpoint, region: LOCAL_REGION });
    const resources = await provisionLocal({
      dynamodb: dynamodbClient,
      kinesis: kinesisClient,
      shardCount: 2,
    });

    const deps = localMeteringDeps({
      dynamodb: dynamodbClient,
      tables: resources.tables,
      dataDir: config.dataDir,
      envelopeDedup: config.envelopeDedup,
      print,
    });
    const published = await deps.config.publishCatalog(catalog);
    print(
      published.created
        ? `catalog ${config.catalogPath} published as version ${published.version}`
        : `catalog ${config.catalogPath} is active (version ${published.version})`,
    );
    let seeded = 0;
    for (const profile of seed) {
      if ((await deps.config.getTenant(profile.tenant)) === undefined) {
        // Billed from the day it is seeded, as a tenant set up through the API is.
        const billingStart = profile.billingStart ?? new Date().toISOString().slice(0, 10);
        await deps.config.putTenant({ ...profile, billingStart });
        seeded += 1;
      }
    }
    if (seeded > 0) print(`seeded ${seeded} tenants from ${config.tenantsPath}`);

    const observer: ConsumerObserver = {
      batchMetered({ stats, errors }) {
        for (const error of errors) print(`consumer: a record will be retried: ${(error as Error).message}`);
        const quarantined = Object.entries(stats.quarantined);
        if (quarantined.length > 0) {
          print(
            `consumer: quarantined ${quarantined.map(([reason, n]) => `${n} ${reason}`).join(', ')} (npx tollgate quarantine)`,
          );
        }
      },
    };
    const dlqPath = join(config.dataDir, 'consumer-dlq.jsonl');
    const poller = await startEventSourcePoller({
      kinesis: kinesisClient,
      streamName: resources.streamName,
      handler: createConsumer(deps, observer),
      checkpointStore: createCheckpointStore({ dataDir: config.dataDir, consumerName: 'ingest-consumer' }),
      onFailure: async (record) => {
        await appendFile(dlqPath, `${JSON.stringify(record)}\n`);
        print(
          `consumer: gave up on ${record.shardId} ${record.startSequenceNumber}…${record.endSequenceNumber} (${record.reason}); recorded in ${dlqPath} (npx tollgate dlq list, dlq replay)`,
        );
      },
      logger: { warn: (message) => print(`event source: ${message}`) },
    });
    cleanups.push(() => poller.stop());

    const billing = startLocalBilling({
      dynamodb: dynamodbClient,
      tables: resources.tables,
      dataDir: config.dataDir,
      graceHours: config.graceHours,
      intervalSeconds: config.billingIntervalSeconds,
      print,
    });
    cleanups.push(() => billing.stop());
    let apiUrl: string | undefined;
    const alerting = startLocalAlerting({
      dynamodb: dynamodbClient,
      tables: resources.tables,
      dataDir: config.dataDir,
      intervalSeconds: config.detectorIntervalSeconds,
      ...(config.slackRouting === undefined ? {} : { slackRouting: config.slackRouting }),
      apiUrl: () => apiUrl,
      print,
    });
    cleanups.push(() => alerting.stop());

    const adminToken = await adminTokenFor(config);
    const blobs = localBlobStore(config.dataDir);
    const ingestKeys = new DynamoDbIngestKeyStore(dynamodbClient, resources.tables.config);
    const api: ApiServer = await startApiServer({
      host: '127.0.0.1',
      port: config.apiPort,
      deps: {
        config: deps.config,
        ingestKeys,
        // POST /v1/events on the same server. Keys are read on every request (a revoked key is
        // refused at once) and throttled by in-memory token buckets: one process, one limiter.
        ingest: {
          keys: ingestKeys,
          stream: new KinesisStreamWriter(kinesisClient, {
            stream: resources.streamName,
            maxAttempts: 4,
            maxDelayMs: 400,
          }),
          limiter: new TokenBucketRateLimiter(),
        },
        usage: new DynamoDbUsageReader(dynamodbClient, resources.tables.usage),
        quarantine: new DynamoDbQuarantineReader(dynamodbClient, resources.tables.quarantine),
        redrive: {
          blobs,
          stream: new KinesisStreamWriter(kinesisClient, { stream: resources.streamName }),
          marker: new DynamoDbQuarantineStore(dynamodbClient, resources.tables.quarantine, blobs),
        },
        adminToken,
        billing: billing.api,
        alerts: alerting.alerts,
        clock: Date.now,
        logger: {
          info: () => {},
          error: (message, details) =>
            print(
              `api: ${message} ${details.error instanceof Error ? (details.error.stack ?? details.error.message) : JSON.stringify(details)}`,
            ),
        },
      },
    });
    cleanups.push(() => api.close());

    const status: LocalStatus = {
      apiUrl: api.url,
      kinesisEndpoint: kinesis.endpoint,
      streamName: resources.streamName,
      dynamodbEndpoint: dynamodb.endpoint,
      region: LOCAL_REGION,
      adminToken,
      tables: resources.tables,
      envelopeDedup: config.envelopeDedup,
    };
    const statusPath = join(config.dataDir, 'status.json');
    await writeFile(statusPath, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
    await chmod(statusPath, 0o600);
    cleanups.push(() => rm(statusPath, { force: true }));
    apiUrl = api.url;
    billing.start();
    alerting.start();
    return {
      status,
      poller,
      billing: { queue: billing.queue, worker: billing.worker, runPlanner: billing.runPlanner },
      alerting: { run: alerting.run },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
