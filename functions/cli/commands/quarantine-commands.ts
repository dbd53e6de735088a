import type { Command } from 'commander';
import { MAX_REDRIVE_LIMIT } from '../../../shared/quarantine/redrive.js';
import { asFlagError } from '../api-client.js';
import { CliError, usageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, withApiOptions } from './command-support.js';

interface ListOptions extends ApiCommandOptions {
  readonly tenant?: string;
  readonly reason?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

interface EntryJson {
  readonly receivedAt: string;
  readonly tenant: string;
  readonly reason: string;
  readonly field?: string;
  readonly eventId?: string;
  readonly message: string;
  readonly redrivenAt?: string;
}

interface ListAnswer {
  readonly entries: readonly EntryJson[];
  readonly nextCursor?: string;
}

interface RedriveOptions extends ApiCommandOptions {
  readonly tenant?: string;
  readonly reason?: string;
  readonly limit?: number;
  readonly dryRun?: boolean;
  readonly includeRedriven?: boolean;
}

interface RedriveAnswer {
  readonly dryRun: boolean;
  readonly matched: number;
  readonly redriven: number;
  readonly failed: number;
  readonly entries: ReadonlyArray<{
    readonly entry: EntryJson;
    readonly status: string;
    readonly error?: { readonly code: string; readonly message: string };
  }>;
}

const FILTER_FLAGS = { tenant: '--tenant', reason: '--reason', limit: '--limit' };

function listQuarantine(io: CliIo) {
  return async (options: ListOptions) => {
    const client = await connect(options, io);
    const answer = (await client
      .call('GET', '/v1/quarantine', {
        query: {
          tenant: options.tenant,
          reason: options.reason,
          limit: options.limit === undefined ? undefined : String(options.limit),
          cursor: options.cursor,
        },
      })
      .catch((error: unknown) => {
        throw asFlagError(error, { ...FILTER_FLAGS, cursor: '--cursor' });
      })) as ListAnswer;
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    io.stdout(
      formatTable(
        ['RECEIVED', 'TENANT', 'REASON', 'FIELD', 'EVENT ID', 'REDRIVEN', 'MESSAGE'],
        answer.entries.map((e) => [
          e.receivedAt,
          e.tenant,
          e.reason,
          e.field ?? '-',
          e.eventId ?? '-',
          e.redrivenAt ?? '-',
          e.message,
        ]),
      ),
    );
    if (answer.nextCursor !== undefined) io.stdout(`more: --cursor ${answer.nextCursor}\n`);
  };
}

/** A flag of the list given before `redrive` would be ignored: refuse it, naming it. */
function refuseListFlags(command: Command): void {
  const given = Object.keys(command.parent?.opts() ?? {});
  const name = given[0];
  if (name !== undefined) {
    const flag = `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw usageError(flag, `give it after "redrive" ("quarantine redrive ${flag} …")`);
  }
}

function redriveQuarantine(io: CliIo) {
  return async (options: RedriveOptions, command: Command) => {
    refuseListFlags(command);
    const client = await connect(options, io);
    const answer = (await client
      .call('POST', '/v1/quarantine/redrive', {
        body: {
          ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(options.dryRun === true ? { dryRun: true } : {}),
          ...(options.includeRedriven === true ? { includeRedriven: true } : {}),
        },
      })
      .catch((error: unknown) => {
        throw asFlagError(error, {
          ...FILTER_FLAGS,
          dryRun: '--dry-run',
          includeRedriven: '--include-redriven',
        });
      })) as RedriveAnswer;
    if (options.json === true) printJson(io, answer);
    else {
      io.stdout(
        answer.dryRun
          ? `dry run: would re-drive ${answer.matched} entries (nothing was put)\n`
          : `re-drove ${answer.redriven} of ${answer.matched} entries to the stream; ${answer.failed} failed\n`,
      );
      if (answer.entries.length > 0) {
        io.stdout(
          formatTable(
            ['RECEIVED', 'TENANT', 'REASON', 'EVENT ID', 'STATUS', 'ERROR'],
            answer.entries.map(({ entry, status, error }) => [
              entry.receivedAt,
              entry.tenant,
              entry.reason,
              entry.eventId ?? '-',
              status,
              error === undefined ? '-' : `${error.code}: ${error.message}`,
            ]),
          ),
        );
      }
    }
    if (answer.failed > 0) {
      throw new CliError(
        'redrive_failed',
        `${answer.failed} entries could not be re-driven (see ERROR); they stay in quarantine, unmarked`,
      );
    }
  };
}

/** `quarantine` (list) and `quarantine redrive`. */
export function registerQuarantineCommands(program: Command, io: CliIo): void {
  const quarantine = withApiOptions(
    program
      .command('quarantine')
      .description('quarantined records and events, newest first; `quarantine redrive` puts them back')
      // The list's flags stop at `redrive`, which has its own (see buildProgram).
      .enablePositionalOptions()
      .option('--tenant <tenant>', 'only this tenant', flags.tenantId)
      .option('--reason <code>', 'only this reason code', flags.quarantineReason)
      .option('--limit <n>', 'entries per page (default 50)', flags.quarantineLimit)
      .option('--cursor <cursor>', 'the next page, from a previous answer', flags.cursor),
  ).action(listQuarantine(io));

  withApiOptions(
    quarantine
      .command('redrive')
      .description(
        'put quarantined bytes back on the stream (admin), e.g. after setting up the tenant; counted once',
      )
      .option('--tenant <tenant>', 'only this tenant', flags.tenantId)
      .option('--reason <code>', 'only this reason code', flags.quarantineReason)
      .option(
        '--limit <n>',
        `at most this many entries, newest first (default 100, at most ${MAX_REDRIVE_LIMIT})`,
        flags.redriveLimit,
      )
      .option('--dry-run', 'list what would be re-driven; put nothing')
      .option('--include-redriven', 'also entries re-driven before'),
  ).action(redriveQuarantine(io));
}
