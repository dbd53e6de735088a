import type { Command } from 'commander';
import type { EntitlementsView } from '../../../shared/usage/entitlements-view.js';
import type { UsageReport } from '../../../shared/usage/query-usage.js';
import { asFlagError } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatPairs, formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, tenantPath, withApiOptions } from './command-support.js';

interface UsageOptions extends ApiCommandOptions {
  readonly meter: string;
  readonly from?: string;
  readonly to?: string;
  readonly groupBy?: string;
  readonly windowSize?: string;
}

const USAGE_FLAGS = {
  tenant: '<tenant>',
  meter: '--meter',
  from: '--from',
  to: '--to',
  groupBy: '--group-by',
  windowSize: '--window-size',
};

function printUsage(io: CliIo, report: UsageReport): void {
  io.stdout(
    `${report.meter} (${report.aggregation}, ${report.unit}) of ${report.tenant} from ${report.from} to ${report.to}, per ${report.windowSize}\n`,
  );
  io.stdout(
    formatTable(
      ['WINDOW', ...report.groupBy.map((name) => name.toUpperCase()), 'VALUE'],
      report.rows.map((row) => [
        row.windowStart,
        ...report.groupBy.map((name) => row.group[name] || '""'),
        row.value,
      ]),
    ),
  );
  io.stdout(`total ${report.total} ${report.unit}\n`);
}

/** `usage`, `entitlements`: the read API. */
export function registerReadCommands(program: Command, io: CliIo): void {
  withApiOptions(
    program
      .command('usage')
      .description("a tenant's usage of one meter, per hour or day, optionally grouped")
      .argument('<tenant>', 'tenant id', flags.tenantId)
      .requiredOption('--meter <key>', 'meter key')
      .option(
        '--from <time>',
        'start, RFC 3339 or YYYY-MM-DD (default: 24 h or 30 days before --to)',
        flags.queryTime,
      )
      .option('--to <time>', 'end, exclusive (default: the end of the current hour)', flags.queryTime)
      .option('--group-by <dims>', 'comma-separated dimensions of the meter', flags.dimensionList)
      .option('--window-size <size>', 'HOUR (default) or DAY', flags.windowSize),
  ).action(async (tenant: string, options: UsageOptions) => {
    const client = await connect(options, io);
    const report = (await client
      .call('GET', tenantPath(tenant, '/usage'), {
        query: {
          meter: options.meter,
          from: options.from,
          to: options.to,
          groupBy: options.groupBy,
          windowSize: options.windowSize,
        },
      })
      .catch((error: unknown) => {
        throw asFlagError(error, USAGE_FLAGS);
      })) as UsageReport;
    if (options.json === true) printJson(io, report);
    else printUsage(io, report);
  });

  withApiOptions(
    program
      .command('entitlements')
      .description("where a tenant stands against its plan's entitlements this period")
      .argument('<tenant>', 'tenant id', flags.tenantId),
  ).action(async (tenant: string, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const view = (await client.call('GET', tenantPath(tenant, '/entitlements'))) as EntitlementsView;
    if (options.json === true) {
      printJson(io, view);
      return;
    }
    io.stdout(`${view.tenant} on plan ${view.plan}, as of ${view.asOf}\n`);
    io.stdout(
      formatTable(
        [
          'ENTITLEMENT',
          'SCOPE',
          'PERIOD',
          'USED',
          'LIMIT',
          'REMAINING',
          'OVERAGE',
          'REJECTED',
          'MODE',
          'STATE',
          'THRESHOLDS',
        ],
        view.entitlements.map((e) => [
          e.entitlement,
          e.scope === undefined
            ? '-'
            : Object.keys(e.scope).length === 0
              ? '(none yet)'
              : formatPairs(e.scope),
          `${e.period.kind} ${e.period.start.slice(0, 10)}`,
          e.used,
          e.limit,
          e.remaining,
          e.overage,
          e.rejected,
          e.mode,
          e.blocked ? 'BLOCKED' : 'ok',
          e.thresholdsReached.length === 0 ? '-' : e.thresholdsReached.map((p) => `${p}%`).join(','),
        ]),
      ),
    );
  });
}
