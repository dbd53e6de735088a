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

export interface ApiClient {
  call(
    method: string,
    path: string,
    options?: { readonly query?: Readonly<Record<string, string | undefined>>; readonly body?: unknown },
  ): Promise<unknown>;
}

const TIMEOUT_MS = 30_000;

export function apiClient(connection: ApiConnection, io: Pick<CliIo, 'fetch'>): ApiClient {
  return {
    async call(method, path, options = {}) {
      const url = new URL(`${connection.url}${path}`);
      for (const [name, value] of Object.entries(options.query ?? {})) {
        if (value !== undefined) url.searchParams.set(name, value);
      }
      let response: Response;
      try {
        response = await io.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${connection.token}`,
            accept: 'application/json',
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
      const text = await response.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!response.ok) {
        const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)
          ?.error;
        const code = typeof error?.code === 'string' ? error.code : 'http_error';
        const message =
          typeof error?.message === 'string' ? error.message : `${response.status} ${response.statusText}`;
        const field = typeof error?.field === 'string' ? error.field : undefined;
        throw new ApiCallError(response.status, code, field, `${response.status} ${code}: ${message}`);
      }
      return body;
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
