/**
 * Everything the CLI touches outside itself, injectable for tests: output streams, stdin and
 * files, the environment and working directory, the clock, timers, HTTP and the Kinesis and
 * DynamoDB clients.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { closeAwsClients, createDynamoDbClient, createKinesisClient } from '../adapters/aws-clients.js';
import { usageError } from './cli-error.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /** Resolves relative paths against `cwd`. */
  readonly readFile: (path: string) => Promise<string>;
  /** Appends to a file (created if absent); resolves relative paths against `cwd`. */
  readonly appendFile: (path: string, text: string) => Promise<void>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly fetch: typeof fetch;
  readonly kinesis: (options: { readonly endpoint?: string; readonly region: string }) => KinesisClient;
  readonly dynamodb: (options: { readonly endpoint?: string; readonly region: string }) => DynamoDBClient;
  /** Releases clients (open sockets) before the process exits. */
  readonly close: () => void;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function nodeIo(): CliIo {
  const cwd = process.cwd();
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      if (process.stdin.isTTY === true) {
        throw usageError('[file]', 'no file given and stdin is a terminal: pass a file, or pipe events in');
      }
      return readAll(process.stdin);
    },
    readFile: (path) => readFile(resolvePath(cwd, path), 'utf8'),
    appendFile: (path, text) => appendFile(resolvePath(cwd, path), text),
    env: process.env,
    cwd,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    fetch: globalThis.fetch,
    kinesis: ({ endpoint, region }) =>
      createKinesisClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
    dynamodb: ({ endpoint, region }) =>
      createDynamoDbClient({ region, ...(endpoint === undefined ? {} : { endpoint }) }),
    close: () => closeAwsClients(),
  };
}
