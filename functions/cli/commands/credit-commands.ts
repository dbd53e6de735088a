import { type Command, InvalidArgumentError } from 'commander';
import { parseRfc3339Millis } from '../../../shared/contract/event-time.js';
import { isKnownCurrency } from '../../../shared/money/money.js';
import { asFlagError } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, tenantPath, withApiOptions } from './command-support.js';

interface GrantAnswer {
  id: string;
  tenant: string;
  name: string;
  currency: string;
  amount: string;
  remaining: string;
  priority: number;
  effectiveAt: string;
  expiresAt?: string;
  createdAt: string;
  created?: boolean;
}

interface GrantOptions extends ApiCommandOptions {
  readonly tenant: string;
  readonly name: string;
  readonly amount: string;
  readonly currency?: string;
  readonly priority?: number;
  readonly effectiveAt?: string;
  readonly expiresAt?: string;
  readonly id?: string;
}

interface ListOptions extends ApiCommandOptions {
  readonly tenant: string;
}

const GRANT_FLAGS = {
  tenant: '--tenant',
  id: '--id',
  name: '--name',
  amount: '--amount',
  currency: '--currency',
  priority: '--priority',
  effectiveAt: '--effective-at',
  expiresAt: '--expires-at',
};

function grantName(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 128) throw new InvalidArgumentError('must be 1–128 characters.');
  return trimmed;
}

/** A positive decimal in major units; the API checks the currency's decimal places. */
function amount(text: string): string {
  const trimmed = text.trim();
  if (!/^\d{1,24}(\.\d+)?$/.test(trimmed) || !/[1-9]/.test(trimmed)) {
    throw new InvalidArgumentError('must be a decimal amount greater than 0 in major units, e.g. 25.00.');
  }
  return trimmed;
}

function currency(text: string): string {
  const code = text.trim().toUpperCase();
  if (!isKnownCurrency(code)) throw new InvalidArgumentError('must be an ISO 4217 currency code, e.g. USD.');
  return code;
}

function instant(text: string): string {
  if (Number.isNaN(parseRfc3339Millis(text.trim()))) {
    throw new InvalidArgumentError('must be an RFC 3339 time with offset, e.g. 2026-12-01T00:00:00Z.');
  }
  return text.trim();
}

function grantId(text: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text))
    throw new InvalidArgumentError('must be 1–64 characters of A-Z a-z 0-9 _ -.');
  return text;
}

/** `credits grant|list`: prepaid or granted credit that pays invoices. */
export function registerCreditCommands(program: Command, io: CliIo): void {
  const credits = program.command('credits').description('credit grants that pay invoices');

  withApiOptions(
    credits
      .command('grant')
      .description('grant a tenant credit (admin); the same --id again changes nothing')
      .requiredOption('--tenant <tenant>', 'tenant id', flags.tenantId)
      .requiredOption('--name <text>', 'what the credit is, shown on invoices', grantName)
      .requiredOption('--amount <decimal>', 'in major units, e.g. 25.00', amount)
      .option('--currency <code>', "ISO 4217 code (default: the tenant plan's billing currency)", currency)
      .option('--priority <n>', 'lower is used first, 0–1000 (default 100)', flags.wholeNumber(0, 1000))
      .option('--effective-at <time>', 'usable from, RFC 3339 (default: now)', instant)
      .option('--expires-at <time>', 'not usable after, RFC 3339 (default: never)', instant)
      .option('--id <id>', 'grant id, for retries without a second grant (default: a new ULID)', grantId),
  ).action(async (options: GrantOptions) => {
    const client = await connect(options, io);
    const body = {
      ...(options.id === undefined ? {} : { id: options.id }),
      name: options.name,
      amount: options.amount,
      ...(options.currency === undefined ? {} : { currency: options.currency }),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(options.effectiveAt === undefined ? {} : { effectiveAt: options.effectiveAt }),
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
    };
    const grant = (await client
      .call('POST', tenantPath(options.tenant, '/credits'), { body })
      .catch((error: unknown) => {
        throw asFlagError(error, GRANT_FLAGS);
      })) as GrantAnswer;
    if (options.json === true) printJson(io, grant);
    else if (grant.created === false) {
      io.stdout(`credit grant ${grant.id} of ${grant.tenant} exists with this content; nothing changed\n`);
    } else {
      io.stdout(`granted ${grant.amount} ${grant.currency} to ${grant.tenant} as ${grant.id}\n`);
    }
  });

  withApiOptions(
    credits
      .command('list')
      .description("a tenant's credit grants and the balance usable now")
      .requiredOption('--tenant <tenant>', 'tenant id', flags.tenantId),
  ).action(async (options: ListOptions) => {
    const client = await connect(options, io);
    const answer = (await client
      .call('GET', tenantPath(options.tenant, '/credits'))
      .catch((error: unknown) => {
        throw asFlagError(error, { tenant: '--tenant' });
      })) as { grants: GrantAnswer[]; balance: Record<string, string> };
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    io.stdout(
      formatTable(
        ['ID', 'NAME', 'AMOUNT', 'REMAINING', 'PRIORITY', 'EFFECTIVE', 'EXPIRES'],
        answer.grants.map((g) => [
          g.id,
          g.name,
          `${g.amount} ${g.currency}`,
          g.remaining,
          String(g.priority),
          g.effectiveAt,
          g.expiresAt ?? '-',
        ]),
      ),
    );
    const balance = Object.entries(answer.balance).map(([code, value]) => `${value} ${code}`);
    io.stdout(`balance now: ${balance.length === 0 ? 'none' : balance.join(', ')}\n`);
  });
}
