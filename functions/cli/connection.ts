/**
 * Where the CLI connects: flags first, then environment variables, then the local runtime's
 * status file. Missing or malformed settings are usage errors naming the flag to pass.
 */
import { usageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { readStatusFile, statusFilePath } from './status-file.js';

export interface ApiFlags {
  readonly apiUrl?: string;
  readonly token?: string;
}

export interface ApiConnection {
  /** Without a trailing slash. */
  readonly url: string;
  readonly token: string;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function checkHttpUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(flag, `must be an http(s) URL, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(flag, `must be an http(s) URL, not "${text}"`);
  }
  return text.replace(/\/+$/, '');
}

/** The first value present, and where it came from (for error messages). */
function firstOf(...candidates: Array<[source: string, value: string | undefined]>) {
  for (const [source, value] of candidates) {
    const text = present(value);
    if (text !== undefined) return { source, value: text };
  }
  return undefined;
}

export async function resolveApiConnection(flags: ApiFlags, io: CliIo): Promise<ApiConnection> {
  const fromFlags = {
    url: firstOf(['--api-url', flags.apiUrl], ['TOLLGATE_API_URL', io.env.TOLLGATE_API_URL]),
    token: firstOf(['--token', flags.token], ['TOLLGATE_TOKEN', io.env.TOLLGATE_TOKEN]),
  };
  const status =
    fromFlags.url === undefined || fromFlags.token === undefined ? await readStatusFile(io) : undefined;
  const url = fromFlags.url ?? firstOf([statusFilePath(io), status?.apiUrl]);
  const token = fromFlags.token ?? firstOf([statusFilePath(io), status?.adminToken]);
  if (url === undefined) {
    throw usageError(
      '--api-url',
      `no API URL: pass --api-url, set TOLLGATE_API_URL, or start the local runtime (npm start writes ${statusFilePath(io)})`,
    );
  }
  if (token === undefined) {
    throw usageError('--token', 'no API token: pass --token or set TOLLGATE_TOKEN');
  }
  return { url: checkHttpUrl(url.source, url.value), token: token.value };
}

export interface StreamFlags {
  readonly kinesisEndpoint?: string;
  readonly stream?: string;
  readonly region?: string;
}

export interface StreamConnection {
  /** Absent on AWS: the SDK's default endpoint and credential chain. */
  readonly endpoint?: string;
  readonly streamName: string;
  readonly region: string;
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128}$/;

export async function resolveStreamConnection(flags: StreamFlags, io: CliIo): Promise<StreamConnection> {
  const given = {
    stream: firstOf(['--stream', flags.stream], ['TOLLGATE_STREAM', io.env.TOLLGATE_STREAM]),
    endpoint: firstOf(
      ['--kinesis-endpoint', flags.kinesisEndpoint],
      ['TOLLGATE_KINESIS_ENDPOINT', io.env.TOLLGATE_KINESIS_ENDPOINT],
    ),
    region: firstOf(
      ['--region', flags.region],
      ['AWS_REGION', io.env.AWS_REGION],
      ['AWS_DEFAULT_REGION', io.env.AWS_DEFAULT_REGION],
    ),
  };
  // The status file describes the local runtime: used only when the stream is not given.
  const status = given.stream === undefined ? await readStatusFile(io) : undefined;
  const file = statusFilePath(io);
  const stream = given.stream ?? firstOf([file, status?.streamName]);
  const endpoint = given.endpoint ?? firstOf([file, status?.kinesisEndpoint]);
  const region = given.region ?? firstOf([file, status?.region]);
  if (stream === undefined) {
    throw usageError(
      '--stream',
      `no stream: pass --stream, set TOLLGATE_STREAM, or start the local runtime (npm start writes ${file})`,
    );
  }
  if (!STREAM_NAME.test(stream.value) && !STREAM_ARN.test(stream.value)) {
    throw usageError(stream.source, `must be a Kinesis stream name or ARN, not "${stream.value}"`);
  }
  if (region === undefined && endpoint === undefined) {
    throw usageError('--region', 'no AWS region: pass --region or set AWS_REGION');
  }
  return {
    ...(endpoint === undefined ? {} : { endpoint: checkHttpUrl(endpoint.source, endpoint.value) }),
    streamName: stream.value,
    region: region?.value ?? 'us-east-1',
  };
}
