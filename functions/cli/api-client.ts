/** A small client of the Tollgate HTTP API for the CLI; errors keep the API's code and field. */
import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { ApiConnection } from './connection.js';

export class ApiCallError extends CliError {
  constructor(
    readonly status: number,
    readonly apiCode: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super('api_error', message);
  }
}

/** A document the API sent as bytes. */
export interface ApiDownload {
  readonly bytes: Uint8Array;
  readonly contentType: string | undefined;
  /** The `filename` of `Content-Disposition`, as sent (not yet safe to use as a path). */
  readonly fileName: string | undefined;
}

type Query = Readonly<Record<string, string | undefined>>;

export interface ApiClient {
  call(
    method: string,
    path: string,
    options?: { readonly query?: Query; readonly body?: unknown },
  ): Promise<unknown>;
  /** `GET path`, answering the body's bytes (documents); errors as for `call`. */
  download(path: string, options?: { readonly query?: Query }): Promise<ApiDownload>;
}

const TIMEOUT_MS = 30_000;

/** The API's error body as an `ApiCallError` (its code, field and message). */
function apiCallError(response: Response, text: string): ApiCallError {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)
    ?.error;
  const code = typeof error?.code === 'string' ? error.code : 'http_error';
  const message =
    typeof error?.message === 'string' ? error.message : `${response.status} ${response.statusText}`;
  const field = typeof error?.field === 'string' ? error.field : undefined;
  return new ApiCallError(response.status, code, field, `${response.status} ${code}: ${message}`);
}

function fileNameOf(disposition: string | null): string | undefined {
  if (disposition === null) return undefined;
  return /filename="([^"]*)"/i.exec(disposition)?.[1] ?? /filename=([^;\s]+)/i.exec(disposition)?.[1];
}

export function apiClient(connection: ApiConnection, io: Pick<CliIo, 'fetch'>): ApiClient {
  const send = async (
    method: string,
    path: string,
    options: { readonly query?: Query; readonly body?: unknown },
    accept: string,
  ): Promise<Response> => {
    const url = new URL(`${connection.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    try {
      return await io.fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${connection.token}`,
          accept,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const detail =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new CliError('unreachable', `cannot reach the API at ${connection.url}: ${detail}`, undefined, {
        cause: error,
      });
    }
  };
  return {
    async call(method, path, options = {}) {
      const response = await send(method, path, options, 'application/json');
      const text = await response.text();
      if (!response.ok) throw apiCallError(response, text);
      try {
        return text === '' ? undefined : JSON.parse(text);
      } catch {
        return undefined;
      }
    },
    async download(path, options = {}) {
      const response = await send('GET', path, options, '*/*');
      if (!response.ok) throw apiCallError(response, await response.text());
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        contentType: response.headers.get('content-type') ?? undefined,
        fileName: fileNameOf(response.headers.get('content-disposition')),
      };
    },
  };
}

/**
 * Rewrites a 4xx about a parameter the user gave as a flag into a usage error naming the
 * flag (exit 2), e.g. `meter` → `--meter`.
 */
export function asFlagError(error: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof ApiCallError) || error.status >= 500 || error.field === undefined) return error;
  const flag = flags[error.field] ?? flags[error.field.split('.')[0] ?? ''];
  if (flag === undefined) return error;
  const message = error.message.replace(/^\d+ [a-z_]+: /, '').replace(new RegExp(`^${error.field}: `), '');
  return new CliError('invalid_usage', `${flag}: ${message} (${error.apiCode})`);
}
