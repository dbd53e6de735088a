import type { Command } from 'commander';
import { fitsInRecord, saltedPartitionKeys } from '../../../shared/sdk/pack-records.js';
import { UsageClient } from '../../../shared/sdk/usage-client.js';
import type { UsageEventInput } from '../../../shared/sdk/usage-event-input.js';
import { KinesisPutTransport } from '../../adapters/kinesis/kinesis-put-transport.js';
import { CliError, usageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { resolveStreamConnection } from '../connection.js';
import { type InputProblem, parseEventsText, type ValidEvent, validateEvents } from '../event-input.js';
import { partitionKeySalt } from '../flags.js';
import { printJson } from './command-support.js';

interface SendOptions {
  readonly partitionKeySalt?: number;
  readonly skipInvalid?: boolean;
  readonly kinesisEndpoint?: string;
  readonly stream?: string;
  readonly region?: string;
  readonly json?: boolean;
}

async function readInput(file: string | undefined, io: CliIo): Promise<string> {
  if (file === undefined || file === '-') return io.readStdin();
  try {
    return await io.readFile(file);
  } catch (error) {
    throw usageError('[file]', `cannot read "${file}": ${(error as Error).message}`);
  }
}

function problemLine(problem: InputProblem): string {
  return `${problem.where}: ${problem.message}${problem.field !== '' && !problem.message.startsWith(problem.field) ? ` (${problem.field})` : ''}`;
}

interface SendReport {
  readonly events: number;
  readonly records: number;
  readonly requests: number;
  readonly retried: number;
  readonly bytes: number;
  /** Error code → events not delivered with it. */
  readonly failures: Readonly<Record<string, number>>;
}

/** Sends validated events through the SDK's UsageClient: packed, gzipped, retried. */
async function sendWithSdk(
  events: readonly ValidEvent[],
  stream: { readonly streamName: string; readonly region: string; readonly endpoint?: string },
  salt: number,
  io: CliIo,
): Promise<SendReport> {
  const kinesis = io.kinesis({
    region: stream.region,
    ...(stream.endpoint === undefined ? {} : { endpoint: stream.endpoint }),
  });
  const failures: Record<string, number> = {};
  const client = new UsageClient({
    transport: new KinesisPutTransport(kinesis, stream.streamName),
    now: io.now,
    partitionKeySalt: () => salt,
    retry: { sleep: io.sleep },
    hooks: {
      onFailed: (failed, error) => {
        failures[error.code] = (failures[error.code] ?? 0) + failed.length;
      },
    },
  });
  try {
    for (const event of events) await client.record(event.input.raw as UsageEventInput);
  } finally {
    await client.close();
  }
  const stats = client.stats();
  return {
    events: stats.sentEvents,
    records: stats.sentRecords,
    requests: stats.requests,
    retried: stats.retriedRecords,
    bytes: stats.sentBytes,
    failures,
  };
}

/** `tollgate send [file|-]`: validate events, pack them into records, put them on the stream. */
export function registerSendCommand(program: Command, io: CliIo): void {
  program
    .command('send')
    .description('validate usage events (JSON, JSON array or NDJSON) and put them on the stream')
    .argument('[file]', 'file to read, or - for stdin (default: stdin)')
    .option(
      '--partition-key-salt <n>',
      "spread each tenant's records over n partition keys tenant#0..n-1",
      partitionKeySalt,
    )
    .option('--skip-invalid', 'send the valid events even if some are invalid')
    .option(
      '--kinesis-endpoint <url>',
      'Kinesis endpoint (default: $TOLLGATE_KINESIS_ENDPOINT, else the local runtime; none on AWS)',
    )
    .option('--stream <name>', 'stream name or ARN (default: $TOLLGATE_STREAM, else the local runtime)')
    .option('--region <region>', 'AWS region (default: $AWS_REGION)')
    .option('--json', 'print a JSON report')
    .action(async (file: string | undefined, options: SendOptions) => {
      const salt = options.partitionKeySalt ?? 1;
      const parsed = parseEventsText(await readInput(file, io));
      const { valid, problems } = validateEvents(parsed.events, io.now());
      const keys = saltedPartitionKeys(() => salt);
      const tooLarge = new Set(valid.filter((event) => !fitsInRecord(event, keys)));
      const sendable = valid.filter((event) => !tooLarge.has(event));
      const invalid: InputProblem[] = [
        ...parsed.problems,
        ...problems,
        ...[...tooLarge].map((event) => ({
          where: `event ${event.input.position}`,
          field: '',
          message: 'is larger than a Kinesis record holds (1 MiB with its partition key)',
        })),
      ];
      const total = parsed.events.length + parsed.problems.length;
      if (total === 0) throw new CliError('invalid_input', 'no events in the input');
      if (invalid.length > 0) {
        for (const problem of invalid) io.stderr(`invalid: ${problemLine(problem)}\n`);
        if (options.skipInvalid !== true || sendable.length === 0) {
          if (options.json === true) printJson(io, { sent: false, invalid });
          throw new CliError(
            'invalid_input',
            `${invalid.length} of ${total} events are invalid; nothing was sent${sendable.length > 0 ? ' (--skip-invalid sends the valid ones)' : ''}`,
          );
        }
      }
      const stream = await resolveStreamConnection(options, io);
      const report = await sendWithSdk(sendable, stream, salt, io);
      const refused = Object.values(report.failures).reduce((sum, n) => sum + n, 0);
      if (options.json === true) {
        printJson(io, {
          sent: refused === 0,
          stream: stream.streamName,
          ...report,
          failed: refused,
          invalid,
        });
      } else {
        io.stdout(
          `sent ${report.events} events in ${report.records} records (${report.requests} PutRecords requests, ${report.retried} record retries) to ${stream.streamName}` +
            `${invalid.length > 0 ? `; skipped ${invalid.length} invalid` : ''}\n`,
        );
      }
      if (refused > 0) {
        const codes = Object.entries(report.failures)
          .map(([code, count]) => `${code} ×${count}`)
          .join(', ');
        throw new CliError('put_failed', `${refused} events were not delivered after retries (${codes})`);
      }
    });
}
