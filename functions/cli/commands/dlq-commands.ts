/**
 * `dlq list` and `dlq replay`: the batches the local consumer's event source gave up on, and
 * their replay against the running local stack (docs/operations.md). A replay reads the records
 * back from the Kinesis emulator and meters them under their own identity, so claims they made
 * before are theirs and nothing is counted twice.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type ReplayOutcome, replayRange } from '../../../shared/metering/replay-failed-batch.js';
import { TABLE_IDS, type TableId } from '../../../shared/tables/table-definitions.js';
import { localReplayDeps } from '../../composition/local.js';
import { CliError, usageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { type DlqEntry, markReplayed, readDlqFile } from '../dlq-file.js';
import * as flags from '../flags.js';
import { formatTable } from '../format-table.js';
import { dataDirOf, readStatusFile, statusFilePath } from '../status-file.js';
import { printJson } from './command-support.js';

interface ReplayOptions {
  readonly all?: boolean;
  readonly index?: number;
  readonly json?: boolean;
}

function entryJson(entry: DlqEntry) {
  return { index: entry.index, ...entry.record, replayedAt: entry.replayedAt ?? null };
}

function warnUnreadable(io: CliIo, path: string, lines: readonly number[]): void {
  if (lines.length === 0) return;
  io.stderr(
    `warning: ${path}: line${lines.length === 1 ? '' : 's'} ${lines.join(', ')} skipped (not an entry)\n`,
  );
}

function listDlq(io: CliIo) {
  return async (options: { json?: boolean }) => {
    const file = await readDlqFile(io);
    warnUnreadable(io, file.path, file.unreadableLines);
    if (options.json === true) {
      printJson(io, { path: file.path, entries: file.entries.map(entryJson) });
      return;
    }
    if (file.entries.length === 0) {
      io.stdout(`no batches given up (${file.path})\n`);
      return;
    }
    io.stdout(
      formatTable(
        ['INDEX', 'GAVE UP', 'SHARD', 'FIRST', 'LAST', 'RECORDS', 'REASON', 'REPLAYED'],
        file.entries.map(({ index, record, replayedAt }) => [
          String(index),
          record.timestamp,
          record.shardId,
          record.startSequenceNumber,
          record.endSequenceNumber,
          String(record.batchSize),
          record.reason,
          replayedAt ?? '-',
        ]),
      ),
    );
  };
}

/** The metering deps of the running local stack, from its status file. */
async function localDeps(io: CliIo) {
  const status = await readStatusFile(io);
  const file = statusFilePath(io);
  if (status === undefined) {
    throw new CliError(
      'unreachable',
      `no local runtime status at ${file}: start it with npm start (or set TOLLGATE_DATA_DIR)`,
    );
  }
  const { dynamodbEndpoint, kinesisEndpoint, streamName, region, tables, envelopeDedup } = status;
  const missingTable = TABLE_IDS.find((id) => tables?.[id] === undefined);
  if (
    dynamodbEndpoint === undefined ||
    kinesisEndpoint === undefined ||
    streamName === undefined ||
    tables === undefined ||
    missingTable !== undefined ||
    envelopeDedup === undefined
  ) {
    throw new CliError(
      'invalid_input',
      `${file} lacks what a replay needs (endpoints, stream, tables, envelopeDedup): restart the local runtime (npm start)`,
    );
  }
  const at = region ?? 'us-east-1';
  return localReplayDeps({
    dynamodb: io.dynamodb({ endpoint: dynamodbEndpoint, region: at }),
    kinesis: io.kinesis({ endpoint: kinesisEndpoint, region: at }),
    streamName,
    tables: tables as Record<TableId, string>,
    dataDir: resolve(io.cwd, dataDirOf(io)),
    envelopeDedup,
    print: (line) => io.stderr(`${line}\n`),
  });
}

function describeOutcome(outcome: ReplayOutcome): string {
  if (outcome.status === 'failed') return `${outcome.error.code}: ${outcome.error.message}`;
  const { report } = outcome;
  const notes = [
    outcome.status === 'incomplete' ? `stopped at ${report.resumeFrom}: ${report.lastError ?? ''}` : '',
    report.countersAhead > 0
      ? `${report.countersAhead} counter items already held later records: see docs/operations.md`
      : '',
  ].filter((note) => note !== '');
  return notes.length === 0 ? '-' : notes.join('; ');
}

function replayDlq(io: CliIo) {
  return async (options: ReplayOptions) => {
    if ((options.all === true) === (options.index !== undefined)) {
      throw usageError('--all', 'give either --all (every entry not replayed yet) or --index <n>');
    }
    const file = await readDlqFile(io);
    warnUnreadable(io, file.path, file.unreadableLines);
    let chosen: DlqEntry[];
    if (options.index === undefined) {
      chosen = file.entries.filter((entry) => entry.replayedAt === undefined);
    } else {
      const entry = file.entries.find((e) => e.index === options.index);
      if (entry === undefined) {
        const count = `${file.entries.length} ${file.entries.length === 1 ? 'entry' : 'entries'}`;
        throw usageError('--index', `${file.path} has no entry ${options.index} (it has ${count})`);
      }
      chosen = [entry];
    }
    const results: Array<{ index: number; outcome: ReplayOutcome }> = [];
    if (chosen.length > 0) {
      const deps = await localDeps(io);
      for (const entry of chosen) {
        const { shardId, startSequenceNumber, endSequenceNumber } = entry.record;
        const outcome = await replayRange({ shardId, startSequenceNumber, endSequenceNumber }, deps);
        if (outcome.status === 'replayed') {
          await markReplayed(io, outcome.range, new Date(io.now()).toISOString());
        }
        results.push({ index: entry.index, outcome });
      }
    }
    const failed = results.filter(({ outcome }) => outcome.status !== 'replayed').length;
    if (options.json === true) {
      printJson(io, { replayed: results.length - failed, failed, entries: results });
    } else if (results.length === 0) {
      io.stdout(`nothing to replay (${file.path})\n`);
    } else {
      io.stdout(
        formatTable(
          [
            'INDEX',
            'SHARD',
            'RECORDS',
            'COUNTED',
            'REDELIVERED',
            'DUPLICATES',
            'QUARANTINED',
            'STATUS',
            'NOTE',
          ],
          results.map(({ index, outcome }) => {
            const report = outcome.status === 'failed' ? undefined : outcome.report;
            const quarantined = Object.values(report?.quarantined ?? {}).reduce((a, b) => a + b, 0);
            return [
              String(index),
              outcome.range.shardId,
              String(report?.records ?? '-'),
              String(report?.counted ?? '-'),
              String(report?.redelivered ?? '-'),
              String(report?.duplicates ?? '-'),
              report === undefined ? '-' : String(quarantined),
              outcome.status,
              describeOutcome(outcome),
            ];
          }),
        ),
      );
    }
    if (failed > 0) {
      throw new CliError(
        'replay_failed',
        `${failed} of ${results.length} entries were not replayed completely`,
      );
    }
  };
}

/** `dlq` (list) and `dlq replay`. */
export function registerDlqCommands(program: Command, io: CliIo): void {
  const dlq = program
    .command('dlq')
    .description('batches the local consumer gave up on; `dlq replay` meters them again from the stream')
    .enablePositionalOptions();
  dlq
    .command('list', { isDefault: true })
    .description(`list the entries of <dataDir>/consumer-dlq.jsonl, numbered from 1`)
    .option('--json', 'print JSON')
    .action(listDlq(io));
  dlq
    .command('replay')
    .description(
      'read the records of given-up batches back from the local stream and meter them (counted once)',
    )
    .option('--all', 'every entry not replayed yet')
    .option('--index <n>', 'the entry numbered <n> by `dlq list`', flags.wholeNumber(1, 1_000_000))
    .option('--json', 'print JSON')
    .action(replayDlq(io));
}
