import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { CliIo } from '../../../functions/cli/cli-io.js';
import { runCli } from '../../../functions/cli/program.js';

export interface FakeIo extends CliIo {
  /** The files `readFile` serves, with whatever `appendFile` added. */
  readonly files: Record<string, string>;
  readonly out: string[];
  readonly err: string[];
  readonly sleeps: number[];
  readonly requests: Array<{ method: string; url: string; headers: Record<string, string>; body?: unknown }>;
}

export interface FakeIoOptions {
  readonly files?: Record<string, string>;
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly now?: number;
  /** Answers API calls: (method, url) → [status, json body]. */
  readonly api?: (method: string, url: URL) => [number, unknown];
}

export const NOW = Date.parse('2026-11-29T21:10:00.000Z');

export function fakeIo(options: FakeIoOptions = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  const requests: FakeIo['requests'] = [];
  const files: Record<string, string> = { ...options.files };
  const fetchFake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    requests.push({
      method,
      url: url.toString(),
      headers: { ...(init?.headers as Record<string, string> | undefined) },
      ...(init?.body === undefined ? {} : { body: JSON.parse(String(init.body)) }),
    });
    if (options.api === undefined)
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    const [status, body] = options.api(method, url);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return {
    files,
    out,
    err,
    sleeps,
    requests,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    readStdin: async () => options.stdin ?? '',
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
          code: 'ENOENT',
        });
      }
      return text;
    },
    appendFile: async (path, text) => {
      files[path] = (files[path] ?? '') + text;
    },
    env: options.env ?? {},
    cwd: '/repo',
    now: () => options.now ?? NOW,
    sleep: async (ms) => void sleeps.push(ms),
    fetch: fetchFake as typeof fetch,
    kinesis: ({ region }) =>
      new KinesisClient({ region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    dynamodb: ({ region }) =>
      new DynamoDBClient({ region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    close: () => {},
  };
}

export async function run(
  argv: string[],
  io: FakeIo,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = await runCli(argv, io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

export const LOCAL_STATUS = JSON.stringify({
  apiUrl: 'http://127.0.0.1:4000',
  kinesisEndpoint: 'http://127.0.0.1:4567',
  streamName: 'tollgate-usage-events',
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  adminToken: 'local-admin-token',
});

/** A valid event for `subject`, with `size`-ish padding in a dimension. */
export function wireEvent(
  subject: string,
  id: string,
  data: Record<string, number | string> = { input_tokens: 10 },
) {
  return {
    specversion: '1.0',
    id,
    type: 'llm.completion',
    subject,
    time: '2026-11-29T21:04:05.123Z',
    data,
  };
}
