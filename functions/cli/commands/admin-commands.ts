import { extname } from 'node:path';
import type { Command } from 'commander';
import { CatalogError, formatIssues } from '../../../shared/catalog/catalog.js';
import { catalogToDocument, loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import { asFlagError } from '../api-client.js';
import { CliError, usageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatPairs, formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, tenantPath, withApiOptions } from './command-support.js';

interface Profile {
  tenant: string;
  plan: string;
  status: string;
  billingAnchor?: string;
  overrides: Record<string, { limit: string }>;
  created?: boolean;
  entitlements?: Array<{
    key: string;
    meter: string;
    limit: string;
    overridden: boolean;
    period: string;
    mode: string;
    scope?: string;
  }> | null;
  problem?: { code: string; message: string };
}

function printProfile(io: CliIo, profile: Profile): void {
  const overrides = Object.fromEntries(Object.entries(profile.overrides).map(([k, { limit }]) => [k, limit]));
  io.stdout(
    formatTable(
      ['TENANT', 'PLAN', 'STATUS', 'BILLING ANCHOR', 'OVERRIDES'],
      [[profile.tenant, profile.plan, profile.status, profile.billingAnchor ?? '-', formatPairs(overrides)]],
    ),
  );
  if (profile.problem !== undefined)
    io.stdout(`problem: ${profile.problem.message} (${profile.problem.code})\n`);
  if (profile.entitlements != null && profile.entitlements.length > 0) {
    io.stdout('\n');
    io.stdout(
      formatTable(
        ['ENTITLEMENT', 'METER', 'LIMIT', 'PERIOD', 'MODE', 'SCOPE'],
        profile.entitlements.map((e) => [
          e.key,
          e.meter,
          e.overridden ? `${e.limit} (override)` : e.limit,
          e.period,
          e.mode,
          e.scope ?? '-',
        ]),
      ),
    );
  }
}

interface PutTenantOptions extends ApiCommandOptions {
  readonly plan: string;
  readonly override?: Record<string, string>;
  readonly billingAnchor?: string;
  readonly billingStart?: string;
  readonly graceHours?: number;
}

function registerTenantCommands(program: Command, io: CliIo): void {
  const tenants = program.command('tenants').description('set up and inspect tenants (admin)');
  withApiOptions(
    tenants
      .command('put')
      .description('create or change a tenant: its plan, limit overrides and billing anchor')
      .argument('<tenant>', "tenant id (the events' subject)", flags.tenantId)
      .requiredOption('--plan <plan>', 'plan key of the active catalog')
      .option(
        '--override <key=limit>',
        'limit override for an entitlement of the plan (repeatable)',
        flags.override,
      )
      .option(
        '--billing-anchor <date>',
        'YYYY-MM-DD whose day of month starts each billing period',
        flags.billingAnchor,
      )
      .option(
        '--billing-start <date>',
        'YYYY-MM-DD from which the tenant is invoiced (default for a new tenant: today)',
        flags.billingAnchor,
      )
      .option(
        '--grace-hours <hours>',
        'hours after a period ends during which late usage still lands on its invoice (0–720)',
        flags.graceHours,
      ),
  ).action(async (tenant: string, options: PutTenantOptions) => {
    const client = await connect(options, io);
    const body = {
      plan: options.plan,
      ...(options.override === undefined
        ? {}
        : {
            overrides: Object.fromEntries(
              Object.entries(options.override).map(([k, limit]) => [k, { limit }]),
            ),
          }),
      ...(options.billingAnchor === undefined ? {} : { billingAnchor: options.billingAnchor }),
      ...(options.billingStart === undefined ? {} : { billingStart: options.billingStart }),
      ...(options.graceHours === undefined ? {} : { graceHours: options.graceHours }),
    };
    const profile = (await client.call('PUT', tenantPath(tenant), { body }).catch((error: unknown) => {
      throw asFlagError(error, {
        tenant: '<tenant>',
        plan: '--plan',
        overrides: '--override',
        billingAnchor: '--billing-anchor',
        billingStart: '--billing-start',
        graceHours: '--grace-hours',
      });
    })) as Profile;
    if (options.json === true) printJson(io, profile);
    else {
      io.stdout(`${profile.created === true ? 'created' : 'updated'} tenant ${profile.tenant}\n`);
      printProfile(io, profile);
    }
  });

  withApiOptions(
    tenants
      .command('get')
      .description("a tenant's profile and effective entitlements")
      .argument('<tenant>', 'tenant id', flags.tenantId),
  ).action(async (tenant: string, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const profile = (await client.call('GET', tenantPath(tenant))) as Profile;
    if (options.json === true) printJson(io, profile);
    else printProfile(io, profile);
  });

  const tokens = program.command('tokens').description('tenant API tokens (admin)');
  withApiOptions(
    tokens
      .command('create')
      .description('create a token that may read only this tenant; it is shown once')
      .argument('<tenant>', 'tenant id', flags.tenantId)
      .option('--label <text>', 'what the token is for', flags.label),
  ).action(async (tenant: string, options: ApiCommandOptions & { label?: string }) => {
    const client = await connect(options, io);
    const answer = (await client.call('POST', tenantPath(tenant, '/tokens'), {
      body: options.label === undefined ? {} : { label: options.label },
    })) as { token: string };
    if (options.json === true) printJson(io, answer);
    else {
      io.stdout(`${answer.token}\n`);
      io.stderr(`token for ${tenant}: shown once, store it now (only its sha256 is kept)\n`);
    }
  });
}

function registerCatalogCommands(program: Command, io: CliIo): void {
  const catalog = program
    .command('catalog')
    .description('publish, list and roll back catalog versions (admin)');
  withApiOptions(
    catalog
      .command('push')
      .description('validate a catalog file (YAML or JSON) locally, then publish it; it becomes active')
      .argument('[file]', 'catalog file', 'config/catalog.yaml'),
  ).action(async (file: string, options: ApiCommandOptions) => {
    let text: string;
    try {
      text = await io.readFile(file);
    } catch (error) {
      throw usageError('[file]', `cannot read "${file}": ${(error as Error).message}`);
    }
    let document: unknown;
    try {
      document = catalogToDocument(
        loadCatalogText(text, extname(file).toLowerCase() === '.json' ? 'json' : 'yaml'),
      );
    } catch (error) {
      if (error instanceof CatalogError) {
        throw new CliError('invalid_input', `${file} is not a valid catalog:\n${formatIssues(error.issues)}`);
      }
      throw error;
    }
    const client = await connect(options, io);
    const answer = (await client.call('POST', '/v1/catalog', { body: document })) as {
      version: number;
      hash: string;
      created: boolean;
    };
    if (options.json === true) printJson(io, answer);
    else if (answer.created)
      io.stdout(
        `published catalog version ${answer.version} (sha256 ${answer.hash.slice(0, 12)}); it is active\n`,
      );
    else io.stdout(`unchanged: version ${answer.version} is active with this content\n`);
  });

  withApiOptions(catalog.command('list').description('published catalog versions, newest first')).action(
    async (options: ApiCommandOptions) => {
      const client = await connect(options, io);
      const answer = (await client.call('GET', '/v1/catalog/versions')) as {
        versions: Array<{ version: number; hash: string; publishedAt: string; active: boolean }>;
      };
      if (options.json === true) {
        printJson(io, answer);
        return;
      }
      io.stdout(
        formatTable(
          ['VERSION', 'ACTIVE', 'PUBLISHED', 'SHA256'],
          answer.versions.map((v) => [
            String(v.version),
            v.active ? '*' : '',
            v.publishedAt,
            v.hash.slice(0, 12),
          ]),
        ),
      );
    },
  );

  withApiOptions(
    catalog
      .command('activate')
      .description('make a published version active again (rollback)')
      .argument('<version>', 'catalog version number', flags.catalogVersion),
  ).action(async (version: number, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const answer = await client
      .call('POST', `/v1/catalog/versions/${version}/activate`)
      .catch((error: unknown) => {
        throw asFlagError(error, { version: '<version>' });
      });
    if (options.json === true) printJson(io, answer);
    else io.stdout(`catalog version ${version} is active\n`);
  });
}

/** `tenants`, `tokens`, `catalog`: the admin API. */
export function registerAdminCommands(program: Command, io: CliIo): void {
  registerTenantCommands(program, io);
  registerCatalogCommands(program, io);
}
