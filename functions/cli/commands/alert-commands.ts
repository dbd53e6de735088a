import { type Command, InvalidArgumentError } from 'commander';
import { asFlagError } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, withApiOptions } from './command-support.js';

interface AlertAnswer {
  id: string;
  kind: string;
  severity: string;
  state: string;
  tenant: string;
  meter?: string;
  dimensions: Record<string, string>;
  observed: string;
  expected?: string;
  ratio?: number;
  startedAt: string;
  resolvedAt?: string;
  acknowledgedBy?: string;
  title: string;
}

interface ListOptions extends ApiCommandOptions {
  readonly tenant?: string;
  readonly state?: string;
  readonly limit?: number;
}

interface AckOptions extends ApiCommandOptions {
  readonly by: string;
}

function state(text: string): string {
  if (text !== 'open' && text !== 'resolved') throw new InvalidArgumentError('must be open or resolved.');
  return text;
}

function alertId(text: string): string {
  if (!/^al_[0-9a-z]{26}$/.test(text))
    throw new InvalidArgumentError('must be an alert id (al_ and 26 characters).');
  return text;
}

function who(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 128) throw new InvalidArgumentError('must be 1–128 characters.');
  return trimmed;
}

/** `alerts list|ack`: the alert history (usage and spend anomalies). */
export function registerAlertCommands(program: Command, io: CliIo): void {
  const alerts = program.command('alerts').description('usage and spend alerts: list and acknowledge');

  withApiOptions(
    alerts
      .command('list')
      .description("alerts, newest first: a tenant's (any state), or every open one")
      .option('--tenant <tenant>', 'only this tenant', flags.tenantId)
      .option('--state <state>', 'open or resolved', state)
      .option('--limit <n>', 'at most this many, 1–100 (default 50)', flags.wholeNumber(1, 100)),
  ).action(async (options: ListOptions) => {
    const client = await connect(options, io);
    const query = new URLSearchParams({
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(options.limit === undefined ? {} : { limit: String(options.limit) }),
    });
    const path = `/v1/alerts${query.size > 0 ? `?${query}` : ''}`;
    const answer = (await client.call('GET', path).catch((error: unknown) => {
      throw asFlagError(error, { tenant: '--tenant', state: '--state', limit: '--limit' });
    })) as { alerts: AlertAnswer[] };
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    if (answer.alerts.length === 0) {
      io.stdout('no alerts\n');
      return;
    }
    io.stdout(
      formatTable(
        ['ID', 'STATE', 'SEVERITY', 'KIND', 'TENANT', 'SERIES', 'OBSERVED', 'EXPECTED', 'SINCE', 'ACK'],
        answer.alerts.map((a) => [
          a.id,
          a.state,
          a.severity,
          a.kind,
          a.tenant,
          [a.meter ?? '-', ...Object.entries(a.dimensions).map(([k, v]) => `${k}=${v}`)].join(' '),
          a.observed,
          a.expected ?? '-',
          a.startedAt,
          a.acknowledgedBy ?? '-',
        ]),
      ),
    );
  });

  withApiOptions(
    alerts
      .command('ack')
      .description('acknowledge an alert (once; a repeat changes nothing)')
      .argument('<id>', 'alert id', alertId)
      .requiredOption('--by <who>', 'who acknowledges it', who),
  ).action(async (id: string, options: AckOptions) => {
    const client = await connect(options, io);
    const alert = (await client
      .call('POST', `/v1/alerts/${id}/ack`, { body: { by: options.by } })
      .catch((error: unknown) => {
        throw asFlagError(error, { id: '<id>', by: '--by' });
      })) as AlertAnswer;
    if (options.json === true) printJson(io, alert);
    else io.stdout(`acknowledged ${alert.id} (${alert.title}) by ${alert.acknowledgedBy}\n`);
  });
}
