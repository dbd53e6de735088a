/**
 * DynamoDB Local (the official jar shipped in npm `amplify-dynamodb-simulator`) as a child
 * process on a free port: in memory, or persisted under `dataDir` with `-dbPath`. Started with
 * `-sharedDb`, so every client sees the same tables whatever its credentials or region (handy for
 * poking at local data with other tools), and `-disableTelemetry`, so it never calls out.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { closeAwsClients, createDynamoDbClient } from '../../adapters/aws-clients.js';
import { LocalRuntimeError } from '../local-runtime-error.js';
import { EmulatorProcess, type LocalEmulator, startOnFreePort } from './emulator-process.js';

export type { LocalEmulator } from './emulator-process.js';

export interface DynamoDbLocalOptions {
  /** Persist tables under `<dataDir>/dynamodb`; in memory when absent. */
  readonly dataDir?: string;
  /** A fixed port; a free one is found when absent. */
  readonly port?: number;
  /** The `java` executable; `java` on the PATH when absent. */
  readonly javaPath?: string;
  /** Maximum heap, in MiB (default 512). */
  readonly heapMb?: number;
  /** How long to wait for the first successful ListTables (default 60 s). */
  readonly startTimeoutMs?: number;
}

export const MINIMUM_JAVA_VERSION = 17;
const JAVA_HINT = `Tollgate's local runtime needs Java ${MINIMUM_JAVA_VERSION}+ for DynamoDB Local: install openjdk-17-jre-headless`;
const PROBE_REGION = 'us-east-1';

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<LocalEmulator> {
  const javaPath = options.javaPath ?? 'java';
  await assertJavaVersion(javaPath);
  const dbPath = options.dataDir === undefined ? undefined : resolve(options.dataDir, 'dynamodb');
  if (dbPath !== undefined) {
    await mkdir(dbPath, { recursive: true });
  }
  const start = (port: number) => launch(port, javaPath, dbPath, options);
  return options.port === undefined ? startOnFreePort(start) : start(options.port);
}

async function launch(
  port: number,
  javaPath: string,
  dbPath: string | undefined,
  options: DynamoDbLocalOptions,
): Promise<LocalEmulator> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = new EmulatorProcess({
    name: 'DynamoDB Local',
    command: javaPath,
    args: [
      `-Xmx${options.heapMb ?? 512}m`,
      '-Djava.library.path=./DynamoDBLocal_lib',
      '-jar',
      'DynamoDBLocal.jar',
      '-port',
      String(port),
      ...(dbPath === undefined ? ['-inMemory'] : ['-dbPath', dbPath]),
      '-sharedDb',
      '-disableTelemetry',
    ],
    cwd: emulatorDirectory(),
    env: process.env,
  });
  const stop = () =>
    child.stop({ beforeSignal: () => closeAwsClients({ endpoint }), signal: 'SIGTERM', graceMs: 5_000 });
  try {
    const probe = createDynamoDbClient({ endpoint, region: PROBE_REGION, maxAttempts: 1 });
    await child.waitUntilReady(
      (signal) => probe.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal }),
      options.startTimeoutMs ?? 60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid: child.pid, output: () => child.output(), stop };
}

/** The folder holding DynamoDBLocal.jar inside the installed `amplify-dynamodb-simulator`. */
function emulatorDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

/** Throws a `java_missing` / `java_too_old` error naming the fix unless `javaPath` is Java 17+. */
export async function assertJavaVersion(javaPath: string): Promise<number> {
  let output: string;
  try {
    const result = await promisify(execFile)(javaPath, ['-version'], { timeout: 15_000 });
    output = `${result.stderr}\n${result.stdout}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw new LocalRuntimeError('java_missing', `${JAVA_HINT} (no runnable \`${javaPath}\` found).`, {
        cause: error,
      });
    }
    throw new LocalRuntimeError('java_missing', `${JAVA_HINT} (\`${javaPath} -version\` failed).`, {
      cause: error,
    });
  }
  const version = parseJavaMajorVersion(output);
  if (version === undefined || version < MINIMUM_JAVA_VERSION) {
    const found = version === undefined ? 'an unrecognised version' : `Java ${version}`;
    throw new LocalRuntimeError('java_too_old', `${JAVA_HINT} (\`${javaPath}\` is ${found}).`);
  }
  return version;
}

/** `openjdk version "17.0.15"` → 17, `java version "1.8.0_392"` → 8. */
export function parseJavaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) {
    return undefined;
  }
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}
