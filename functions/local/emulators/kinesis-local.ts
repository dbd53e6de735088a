/**
 * The Kinesis emulator (npm `kinesis-local`, i.e. kinesis-mock compiled to JavaScript) as a child
 * process on free ports. Clients use its plain-HTTP port; its TLS port gets a free port too so
 * that two instances never clash on the default. With `dataDir` it persists its streams to
 * `<dataDir>/kinesis/kinesis-data.json` (on a graceful stop and every `persistIntervalSeconds`)
 * and loads them again on the next start.
 *
 * Stopping: the emulator does not exit on SIGTERM while clients hold keep-alive connections, so
 * stop() closes this process's clients for the endpoint, sends SIGINT (a graceful exit that also
 * persists), and SIGKILLs the process group if it is still there after a few seconds.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { closeAwsClients, createKinesisClient } from '../../adapters/aws-clients.js';
import { EmulatorProcess, findFreePort, type LocalEmulator, startOnFreePort } from './emulator-process.js';

export type { LocalEmulator } from './emulator-process.js';

export interface KinesisLocalOptions {
  /** Persist streams under `<dataDir>/kinesis`; in memory when absent. */
  readonly dataDir?: string;
  /** A fixed plain-HTTP port; a free one is found when absent. */
  readonly port?: number;
  /** Default region of the emulator (default `us-east-1`). */
  readonly region?: string;
  /**
   * How long stream operations keep a stream in CREATING/UPDATING/DELETING (default 0: immediate,
   * which also makes UpdateShardCount take effect at once, so resharding can be tested).
   */
  readonly operationDelayMs?: number;
  /** Seconds between persistence snapshots when `dataDir` is set (default 5). */
  readonly persistIntervalSeconds?: number;
  /** The emulator's own log level (default WARN). */
  readonly logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
  /** How long to wait for the first successful ListStreams (default 60 s). */
  readonly startTimeoutMs?: number;
}

const OPERATION_DELAY_VARIABLES = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'SPLIT_SHARD_DURATION',
  'MERGE_SHARDS_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
] as const;

export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<LocalEmulator> {
  const persistPath = options.dataDir === undefined ? undefined : resolve(options.dataDir, 'kinesis');
  if (persistPath !== undefined) {
    await mkdir(persistPath, { recursive: true });
  }
  const start = (port: number) => launch(port, persistPath, options);
  return options.port === undefined ? startOnFreePort(start) : start(options.port);
}

async function launch(
  port: number,
  persistPath: string | undefined,
  options: KinesisLocalOptions,
): Promise<LocalEmulator> {
  const packageDirectory = kinesisLocalDirectory();
  const endpoint = `http://127.0.0.1:${port}`;
  const region = options.region ?? 'us-east-1';
  const delay = `${options.operationDelayMs ?? 0}ms`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(port),
    KINESIS_MOCK_TLS_PORT: String(await findFreePort()),
    KINESIS_MOCK_CERT_PATH: join(packageDirectory, 'server.json'),
    AWS_REGION: region,
    LOG_LEVEL: options.logLevel ?? 'WARN',
    ...Object.fromEntries(OPERATION_DELAY_VARIABLES.map((name) => [name, delay])),
    ...(persistPath === undefined
      ? { SHOULD_PERSIST_DATA: 'false', LOAD_DATA_IF_EXISTS: 'false' }
      : {
          SHOULD_PERSIST_DATA: 'true',
          LOAD_DATA_IF_EXISTS: 'true',
          PERSIST_PATH: persistPath,
          PERSIST_INTERVAL: `${options.persistIntervalSeconds ?? 5}s`,
        }),
  };
  delete env.INITIALIZE_STREAMS;
  const child = new EmulatorProcess({
    name: 'Kinesis emulator',
    command: process.execPath,
    args: [join(packageDirectory, 'main.js')],
    cwd: packageDirectory,
    env,
  });
  const stop = () =>
    child.stop({ beforeSignal: () => closeAwsClients({ endpoint }), signal: 'SIGINT', graceMs: 3_000 });
  try {
    const probe = createKinesisClient({ endpoint, region, maxAttempts: 1 });
    await child.waitUntilReady(
      (signal) => probe.send(new ListStreamsCommand({ Limit: 1 }), { abortSignal: signal }),
      options.startTimeoutMs ?? 60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid: child.pid, output: () => child.output(), stop };
}

function kinesisLocalDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('kinesis-local/package.json'));
}
