/** Options and output shared by the commands that call the API. */
import type { Command } from 'commander';
import { type ApiClient, apiClient } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import { resolveApiConnection } from '../connection.js';

export interface ApiCommandOptions {
  readonly apiUrl?: string;
  readonly token?: string;
  readonly json?: boolean;
}

export function withApiOptions(command: Command): Command {
  return command
    .option('--api-url <url>', 'API base URL (default: $TOLLGATE_API_URL, else the local runtime)')
    .option('--token <token>', 'bearer token (default: $TOLLGATE_TOKEN, else the local admin token)')
    .option('--json', "print the API's JSON answer");
}

export async function connect(options: ApiCommandOptions, io: CliIo): Promise<ApiClient> {
  const connection = await resolveApiConnection(
    {
      ...(options.apiUrl === undefined ? {} : { apiUrl: options.apiUrl }),
      ...(options.token === undefined ? {} : { token: options.token }),
    },
    io,
  );
  return apiClient(connection, io);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function tenantPath(tenant: string, rest = ''): string {
  return `/v1/tenants/${encodeURIComponent(tenant)}${rest}`;
}
