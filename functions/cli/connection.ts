/**
 * Where the CLI connects: flags first, then environment variables, then the local runtime's
 * status file. Missing or malformed settings are usage errors naming the flag to pass.
 */
import { CliError, usageError } from './cli-error.js';
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

export async function resolveApiConnection(flags: ApiFlags, io: CliIo): Promise<ApiConnection> {
  let url = present(flags.apiUrl) ?? present(io.env.TOLLGATE_API_URL);
  let token = present(flags.token) ?? present(io.env.TOLLGATE_TOKEN);
  if (url === undefined || token === undefined) {
    const status = await readStatusFile(io);
    url ??= present(status?.apiUrl);
    token ??= present(status?.adminToken);
  }
  if (url === undefined) {
    throw usageError(
      '--api-url',
      `no API URL: pass --api-url, set TOLLGATE_API_URL, or start the local runtime (npm start writes ${statusFilePath(io)})`,
    );
  }
  if (token === undefined) {
    throw usageError('--token', 'no API token: pass --token or set TOLLGATE_TOKEN');
  }
  return { url: checkHttpUrl(flags.apiUrl === undefined ? 'TOLLGATE_API_URL' : '--api-url', url), token };
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
  let endpoint = present(flags.kinesisEndpoint) ?? present(io.env.TOLLGATE_KINESIS_ENDPOINT);
  let streamName = present(flags.stream) ?? present(io.env.TOLLGATE_STREAM);
  let region = present(flags.region) ?? present(io.env.AWS_REGION) ?? present(io.env.AWS_DEFAULT_REGION);
  if (streamName === undefined) {
    const status = await readStatusFile(io);
    streamName = present(status?.streamName);
    endpoint ??= present(status?.kinesisEndpoint);
    region ??= present(status?.region);
  }
  if (streamName === undefined) {
    throw usageError(
      '--stream',
      `no stream: pass --stream, set TOLLGATE_STREAM, or start the local runtime (npm start writes ${statusFilePath(io)})`,
    );
  }
  if (!STREAM_NAME.test(streamName) && !STREAM_ARN.test(streamName)) {
    throw usageError('--stream', `must be a Kinesis stream name or ARN, not "${streamName}"`);
  }
  if (endpoint !== undefined) {
    endpoint = checkHttpUrl(flags.kinesisEndpoint === undefined ? 'TOLLGATE_KINESIS_ENDPOINT' : '--kinesis-endpoint', endpoint);
  }
  if (region === undefined) {
    if (endpoint === undefined) {
      throw usageError('--region', 'no AWS region: pass --region or set AWS_REGION');
    }
    region = 'us-east-1';
  }
  return { ...(endpoint === undefined ? {} : { endpoint }), streamName, region };
}

export { CliError };
