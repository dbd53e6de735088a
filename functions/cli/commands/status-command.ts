import type { Command } from 'commander';
import { CliError, EXIT_FAILURE } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { formatTable } from '../format-table.js';
import { readStatusFile, statusFilePath } from '../status-file.js';
import { printJson } from './command-support.js';

type Health =
  | { readonly ok: true; readonly catalogVersion: number | null }
  | { readonly ok: false; readonly error: string };

async function probeHealth(apiUrl: string, io: CliIo): Promise<Health> {
  try {
    const response = await io.fetch(`${apiUrl.replace(/\/+$/, '')}/v1/health`, {
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    const body = (await response.json()) as { catalogVersion?: unknown };
    return { ok: true, catalogVersion: typeof body.catalogVersion === 'number' ? body.catalogVersion : null };
  } catch (error) {
    const detail =
      error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
    return { ok: false, error: detail };
  }
}

/** `tollgate status`: where the local runtime is, and whether its API answers. Never prints the token. */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description("show the local runtime's endpoints and whether its API answers")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await readStatusFile(io);
      if (status === undefined) {
        throw new CliError(
          'unreachable',
          `no local runtime status at ${statusFilePath(io)}: start it with npm start (or set TOLLGATE_DATA_DIR)`,
        );
      }
      const health: Health =
        status.apiUrl === undefined
          ? { ok: false, error: 'no apiUrl in the status file' }
          : await probeHealth(status.apiUrl, io);
      const summary = {
        apiUrl: status.apiUrl ?? null,
        kinesisEndpoint: status.kinesisEndpoint ?? null,
        streamName: status.streamName ?? null,
        dynamodbEndpoint: status.dynamodbEndpoint ?? null,
        api: health,
      };
      if (options.json === true) {
        printJson(io, summary);
      } else {
        const answer = health.ok
          ? `ok (catalog version ${health.catalogVersion ?? 'none'})`
          : `not answering (${health.error})`;
        io.stdout(
          formatTable(
            ['SETTING', 'VALUE'],
            [
              ['apiUrl', summary.apiUrl ?? '-'],
              ['kinesisEndpoint', summary.kinesisEndpoint ?? '-'],
              ['streamName', summary.streamName ?? '-'],
              ['dynamodbEndpoint', summary.dynamodbEndpoint ?? '-'],
              ['api', answer],
            ],
          ),
        );
      }
      // Already reported above: fail without another message, so scripts can wait on it.
      if (!health.ok) throw new CliError('unreachable', '', EXIT_FAILURE);
    });
}
