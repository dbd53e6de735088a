import type { Command } from 'commander';
import { asFlagError } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import * as flags from '../flags.js';
import { formatTable } from '../format-table.js';
import { type ApiCommandOptions, connect, printJson, tenantPath, withApiOptions } from './command-support.js';

interface IngestKeyAnswer {
  tenant: string;
  keyId: string;
  label: string;
  createdAt: string;
  revokedAt?: string;
  limits: { requestsPerSecond: number; eventsPerSecond: number };
  key?: string;
}

interface CreateKeyOptions extends ApiCommandOptions {
  readonly label?: string;
  readonly requestsPerSecond?: number;
  readonly eventsPerSecond?: number;
}

const CREATE_FLAGS = {
  tenant: '<tenant>',
  label: '--label',
  'limits.requestsPerSecond': '--requests-per-second',
  'limits.eventsPerSecond': '--events-per-second',
};

/** `keys create|list|revoke`: ingest keys, the credentials of `POST /v1/events` (admin). */
export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program
    .command('keys')
    .description('ingest keys: per-tenant keys that may only send events over HTTP (admin)');

  withApiOptions(
    keys
      .command('create')
      .description('create a key that may send events for this tenant only; it is shown once')
      .argument('<tenant>', 'tenant id', flags.tenantId)
      .option('--label <text>', 'what the key is for, e.g. the producing service', flags.label)
      .option(
        '--requests-per-second <n>',
        'requests the key may send per second (default 50)',
        flags.requestsPerSecond,
      )
      .option(
        '--events-per-second <n>',
        'events the key may send per second (default 10000)',
        flags.eventsPerSecond,
      ),
  ).action(async (tenant: string, options: CreateKeyOptions) => {
    const client = await connect(options, io);
    const limits = {
      ...(options.requestsPerSecond === undefined ? {} : { requestsPerSecond: options.requestsPerSecond }),
      ...(options.eventsPerSecond === undefined ? {} : { eventsPerSecond: options.eventsPerSecond }),
    };
    const body = {
      ...(options.label === undefined ? {} : { label: options.label }),
      ...(Object.keys(limits).length === 0 ? {} : { limits }),
    };
    const answer = (await client
      .call('POST', tenantPath(tenant, '/keys'), { body })
      .catch((error: unknown) => {
        throw asFlagError(error, CREATE_FLAGS);
      })) as IngestKeyAnswer;
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    io.stdout(`${answer.key}\n`);
    io.stderr(
      `ingest key ${answer.keyId} for ${tenant} (${answer.limits.requestsPerSecond} requests/s, ${answer.limits.eventsPerSecond} events/s): shown once, store it now (only its sha256 is kept)\n`,
    );
  });

  withApiOptions(
    keys
      .command('list')
      .description("a tenant's ingest keys, revoked ones too (never the keys themselves)")
      .argument('<tenant>', 'tenant id', flags.tenantId),
  ).action(async (tenant: string, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const answer = (await client.call('GET', tenantPath(tenant, '/keys'))) as {
      tenant: string;
      keys: IngestKeyAnswer[];
    };
    if (options.json === true) {
      printJson(io, answer);
      return;
    }
    io.stdout(
      formatTable(
        ['KEY ID', 'LABEL', 'CREATED', 'REVOKED', 'REQUESTS/S', 'EVENTS/S'],
        answer.keys.map((key) => [
          key.keyId,
          key.label === '' ? '-' : key.label,
          key.createdAt,
          key.revokedAt ?? '-',
          String(key.limits.requestsPerSecond),
          String(key.limits.eventsPerSecond),
        ]),
      ),
    );
  });

  withApiOptions(
    keys
      .command('revoke')
      .description('revoke an ingest key: it stops authenticating (within 60 s on AWS)')
      .argument('<tenant>', 'tenant id', flags.tenantId)
      .argument('<keyId>', 'the key id that keys list shows', flags.keyId),
  ).action(async (tenant: string, keyId: string, options: ApiCommandOptions) => {
    const client = await connect(options, io);
    const answer = (await client
      .call('DELETE', tenantPath(tenant, `/keys/${encodeURIComponent(keyId)}`))
      .catch((error: unknown) => {
        throw asFlagError(error, { tenant: '<tenant>', keyId: '<keyId>' });
      })) as IngestKeyAnswer;
    if (options.json === true) printJson(io, answer);
    else io.stdout(`revoked ingest key ${answer.keyId} of ${answer.tenant} at ${answer.revokedAt}\n`);
  });
}
