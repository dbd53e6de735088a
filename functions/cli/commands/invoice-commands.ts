import { writeFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { INVOICE_ID_PATTERN } from '../../../shared/invoicing/invoice.js';
import { MAX_VOID_REASON } from '../../../shared/invoicing/invoice-actions.js';
import type { BillingRunSummary } from '../../../shared/invoicing/plan-billing-run.js';
import { formatServicePeriod } from '../../../shared/invoicing/render-invoice-html.js';
import { asFlagError } from '../api-client.js';
import { CliError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatPairs, formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, tenantPath, withApiOptions } from './command-support.js';

interface InvoiceSummary {
  id: string;
  number?: string;
  status: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  subtotal: string;
  credits: string;
  total: string;
  finalizedAt?: string;
}

interface InvoiceAnswer extends InvoiceSummary {
  tenant: string;
  plan: string;
  lines: Array<{
    kind: string;
    description: string;
    meter?: string;
    group?: Record<string, string>;
    quantity: string;
    unitPrice?: string;
    amount: string;
  }>;
  creditApplications: Array<{ grantId: string; name: string; amount: string }>;
  warnings: string[];
  voidedAt?: string;
  voidReason?: string;
}

const DOCUMENT_FORMATS = ['pdf', 'html', 'json'] as const;
const INVOICE_PAGE_MAX = 100;

function invoiceId(text: string): string {
  if (!INVOICE_ID_PATTERN.test(text)) {
    throw new InvalidArgumentError('must be an invoice id (in_ and 26 characters; tollgate invoices list).');
  }
  return text;
}

function documentFormat(text: string): string {
  const format = text.trim().toLowerCase();
  if (!(DOCUMENT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidArgumentError(`must be one of ${DOCUMENT_FORMATS.join(', ')}.`);
  }
  return format;
}

function voidReason(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > MAX_VOID_REASON) {
    throw new InvalidArgumentError(`must be 1–${MAX_VOID_REASON} characters.`);
  }
  return trimmed;
}

/** First to last day, as the documents print it (the period's end is exclusive). */
const period = (invoice: InvoiceSummary) => formatServicePeriod(invoice.periodStart, invoice.periodEnd);

/** The invoice as a person reads it: who, when, its lines, and the totals. */
function printInvoice(io: CliIo, invoice: InvoiceAnswer): void {
  const name = invoice.number === undefined ? invoice.id : `${invoice.number} (${invoice.id})`;
  io.stdout(`invoice ${name} of ${invoice.tenant}: ${invoice.status}\n`);
  io.stdout(`period ${period(invoice)}, plan ${invoice.plan}, ${invoice.currency}\n`);
  if (invoice.voidReason !== undefined) io.stdout(`voided at ${invoice.voidedAt}: ${invoice.voidReason}\n`);
  io.stdout('\n');
  io.stdout(
    formatTable(
      ['DESCRIPTION', 'KIND', 'METER', 'GROUP', 'QUANTITY', 'UNIT PRICE', 'AMOUNT'],
      invoice.lines.map((line) => [
        line.description,
        line.kind,
        line.meter ?? '-',
        formatPairs(line.group),
        line.quantity,
        line.unitPrice ?? '-',
        line.amount,
      ]),
    ),
  );
  io.stdout('\n');
  const applications = invoice.creditApplications.map((c) => [`  ${c.name} (${c.grantId})`, `-${c.amount}`]);
  io.stdout(
    formatTable(
      ['TOTALS', invoice.currency],
      [
        ['subtotal', invoice.subtotal],
        ['credits', `-${invoice.credits}`],
        ...applications,
        ['total', invoice.total],
      ],
    ),
  );
  for (const warning of invoice.warnings) io.stdout(`warning: ${warning}\n`);
}

/** A name that is safe in the current directory: the API's file name, else `<id>.<format>`. */
function downloadFileName(sent: string | undefined, id: string, format: string): string {
  const safe = sent?.replace(/[^A-Za-z0-9._@-]/g, '_').replace(/^\.+/, '');
  return safe === undefined || safe === '' ? `${id}.${format}` : safe;
}

interface ListOptions extends ApiCommandOptions {
  readonly tenant: string;
  readonly limit?: number;
  readonly cursor?: string;
}

interface TenantOptions extends ApiCommandOptions {
  readonly tenant: string;
}

interface DownloadOptions extends ApiCommandOptions {
  readonly format: string;
  readonly out?: string;
}

interface VoidOptions extends ApiCommandOptions {
  readonly reason: string;
}

interface RunOptions extends ApiCommandOptions {
  readonly asOf?: string;
  readonly tenant?: string;
}

/** `invoices list|show|upcoming|download|void`. */
export function registerInvoiceCommands(program: Command, io: CliIo): void {
  const invoices = program
    .command('invoices')
    .description('invoices: list, read, download and void (a tenant token reads its own)');

  withApiOptions(
    invoices
      .command('list')
      .description("a tenant's invoices, newest period first, drafts included")
      .requiredOption('--tenant <tenant>', 'tenant id', flags.tenantId)
      .option(
        '--limit <n>',
        `invoices per page, 1–${INVOICE_PAGE_MAX} (default 20)`,
        flags.wholeNumber(1, INVOICE_PAGE_MAX),
      )
      .option('--cursor <cursor>', 'the next page, from a previous answer', flags.cursor),
  ).action(async (options: ListOptions) => {
    const client = await connect(options, io);
    const answer = (await client
      .call('GET', tenantPath(options.tenant, '/invoices'), {
        query: {
          limit: options.limit === undefined ? undefined : String(options.limit),
          cursor: options.cursor,
        },
      })
      .catch((error: unknown) => {
        throw asFlagError(error, { tenant: '--tenant', limit: '--limit', cursor: '--cursor' });
      })) as { invoices: InvoiceSummary[]; cursor?: string };
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    io.stdout(
      formatTable(
        ['NUMBER', 'ID', 'STATUS', 'PERIOD', 'SUBTOTAL', 'CREDITS', 'TOTAL', 'FINALIZED'],
        answer.invoices.map((invoice) => [
          invoice.number ?? '-',
          invoice.id,
          invoice.status,
          period(invoice),
          `${invoice.subtotal} ${invoice.currency}`,
          invoice.credits,
          invoice.total,
          invoice.finalizedAt ?? '-',
        ]),
      ),
    );
    if (answer.cursor !== undefined) io.stdout(`more: --cursor ${answer.cursor}\n`);
  });

  withApiOptions(
    invoices
      .command('show')
      .description('one invoice: its lines and totals')
      .argument('<id>', 'invoice id', invoiceId),
  ).action(async (id: string, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const invoice = (await client
      .call('GET', `/v1/invoices/${encodeURIComponent(id)}`)
      .catch((error: unknown) => {
        throw asFlagError(error, { id: '<id>' });
      })) as InvoiceAnswer;
    if (options.json === true) printJson(io, invoice);
    else printInvoice(io, invoice);
  });

  withApiOptions(
    invoices
      .command('upcoming')
      .description('what the tenant would owe for the current period if it ended now')
      .requiredOption('--tenant <tenant>', 'tenant id', flags.tenantId),
  ).action(async (options: TenantOptions) => {
    const client = await connect(options, io);
    const invoice = (await client
      .call('GET', tenantPath(options.tenant, '/invoices/upcoming'))
      .catch((error: unknown) => {
        throw asFlagError(error, { tenant: '--tenant' });
      })) as InvoiceAnswer;
    if (options.json === true) printJson(io, invoice);
    else printInvoice(io, invoice);
  });

  withApiOptions(
    invoices
      .command('download')
      .description('save the document of a finalized invoice (default <number>.<format> here)')
      .argument('<id>', 'invoice id', invoiceId)
      .option('--format <format>', `${DOCUMENT_FORMATS.join(', ')}`, documentFormat, 'pdf')
      .option('--out <file>', 'where to write it (default: <number or id>.<format> in this directory)'),
  ).action(async (id: string, options: DownloadOptions) => {
    const client = await connect(options, io);
    const document = await client
      .download(`/v1/invoices/${encodeURIComponent(id)}/document`, { query: { format: options.format } })
      .catch((error: unknown) => {
        throw asFlagError(error, { id: '<id>', format: '--format' });
      });
    const file = options.out ?? downloadFileName(document.fileName, id, options.format);
    try {
      await writeFile(resolvePath(io.cwd, file), document.bytes);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new CliError('invalid_usage', `--out: cannot write ${file}: ${detail}`, undefined, {
        cause: error,
      });
    }
    if (options.json === true)
      printJson(io, { id, format: options.format, file, bytes: document.bytes.byteLength });
    else io.stdout(`wrote ${file} (${document.bytes.byteLength} bytes)\n`);
  });

  withApiOptions(
    invoices
      .command('void')
      .description('void a finalized invoice (admin); its credits are given back, its number stays taken')
      .argument('<id>', 'invoice id', invoiceId)
      .requiredOption(
        '--reason <text>',
        `why, 1–${MAX_VOID_REASON} characters (kept in the history)`,
        voidReason,
      ),
  ).action(async (id: string, options: VoidOptions) => {
    const client = await connect(options, io);
    const invoice = (await client
      .call('POST', `/v1/invoices/${encodeURIComponent(id)}/void`, { body: { reason: options.reason } })
      .catch((error: unknown) => {
        throw asFlagError(error, { id: '<id>', reason: '--reason' });
      })) as InvoiceAnswer;
    if (options.json === true) printJson(io, invoice);
    else
      io.stdout(
        `voided invoice ${invoice.number ?? invoice.id} of ${invoice.tenant} at ${invoice.voidedAt}\n`,
      );
  });
}

/** `billing run`: a billing run on demand (admin). */
export function registerBillingCommands(program: Command, io: CliIo): void {
  const billing = program.command('billing').description('billing runs (admin)');
  withApiOptions(
    billing
      .command('run')
      .description('queue invoice jobs for the last closed period of every billable tenant (or one)')
      .option('--as-of <time>', "the run's clock, RFC 3339 or YYYY-MM-DD (default: now)", flags.queryTime)
      .option('--tenant <tenant>', 'only this tenant', flags.tenantId),
  ).action(async (options: RunOptions) => {
    const client = await connect(options, io);
    const body = {
      ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    };
    const summary = (await client.call('POST', '/v1/billing-runs', { body }).catch((error: unknown) => {
      throw asFlagError(error, { asOf: '--as-of', tenant: '--tenant' });
    })) as BillingRunSummary;
    if (options.json === true) {
      printJson(io, summary);
      return;
    }
    io.stdout(
      `billing run ${summary.runId} as of ${summary.asOf}: ${summary.jobs} invoice jobs queued for ${summary.tenants} tenants, ${summary.skippedCount} skipped\n`,
    );
    if (summary.skipped.length > 0) {
      io.stdout(
        formatTable(
          ['SKIPPED', 'REASON'],
          summary.skipped.map((s) => [s.tenant, s.reason]),
        ),
      );
      if (summary.skippedCount > summary.skipped.length) {
        io.stdout(`(and ${summary.skippedCount - summary.skipped.length} more)\n`);
      }
    }
  });
}
