import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseSlackRouting, SlackRoutingError } from '../../shared/alerts/slack-routing.js';

/**
 * The local runtime's configuration: environment variables with defaults, and flags. Parsed
 * once; every error names the variable or flag.
 */
export interface LocalConfig {
  readonly apiPort: number;
  readonly kinesisPort?: number;
  readonly dynamodbPort?: number;
  readonly dataDir: string;
  readonly adminToken?: string;
  readonly catalogPath: string;
  readonly tenantsPath: string;
  readonly envelopeDedup: boolean;
  /** How often the billing planner runs (the schedule on AWS); 0 turns it off. */
  readonly billingIntervalSeconds: number;
  /** Default grace period of tenants without their own. */
  readonly graceHours: number;
  /** How often the alert detector runs (every 5 minutes on AWS); 0 turns it off. */
  readonly detectorIntervalSeconds: number;
  /** When set, alerts are also posted to this Slack incoming webhook. */
  /** Slack: one incoming-webhook URL, or a routing document (shared/alerts/slack-routing.ts). */
  readonly slackRouting?: string;
  readonly fresh: boolean;
  readonly demo: boolean;
  readonly help: boolean;
}

const port = (name: string) =>
  z.coerce
    .number({ error: `${name}: must be a port number` })
    .int(`${name}: must be a whole number`)
    .min(0, `${name}: must be 0–65535`)
    .max(65_535, `${name}: must be 0–65535`);

const envSchema = z.object({
  TOLLGATE_API_PORT: port('TOLLGATE_API_PORT').default(8787),
  TOLLGATE_KINESIS_PORT: port('TOLLGATE_KINESIS_PORT').optional(),
  TOLLGATE_DYNAMODB_PORT: port('TOLLGATE_DYNAMODB_PORT').optional(),
  TOLLGATE_DATA_DIR: z.string().min(1, 'TOLLGATE_DATA_DIR: must not be empty').default('.tollgate'),
  TOLLGATE_ADMIN_TOKEN: z.string().min(16, 'TOLLGATE_ADMIN_TOKEN: must be at least 16 characters').optional(),
  TOLLGATE_CATALOG: z.string().min(1, 'TOLLGATE_CATALOG: must be a path').default('config/catalog.yaml'),
  TOLLGATE_TENANTS: z.string().min(1, 'TOLLGATE_TENANTS: must be a path').default('config/tenants.yaml'),
  TOLLGATE_ENVELOPE_DEDUP: z
    .enum(['on', 'off'], { error: 'TOLLGATE_ENVELOPE_DEDUP: must be on or off' })
    .default('on'),
  TOLLGATE_BILLING_INTERVAL_SECONDS: z.coerce
    .number({ error: 'TOLLGATE_BILLING_INTERVAL_SECONDS: must be a whole number of seconds' })
    .int('TOLLGATE_BILLING_INTERVAL_SECONDS: must be a whole number of seconds')
    .min(0, 'TOLLGATE_BILLING_INTERVAL_SECONDS: must be ≥ 0 (0 turns the schedule off)')
    .max(86_400, 'TOLLGATE_BILLING_INTERVAL_SECONDS: must be at most 86400')
    .default(60),
  TOLLGATE_GRACE_HOURS: z.coerce
    .number({ error: 'TOLLGATE_GRACE_HOURS: must be a whole number of hours' })
    .int('TOLLGATE_GRACE_HOURS: must be a whole number of hours')
    .min(0, 'TOLLGATE_GRACE_HOURS: must be between 0 and 720')
    .max(720, 'TOLLGATE_GRACE_HOURS: must be between 0 and 720')
    .default(12),
  TOLLGATE_DETECTOR_INTERVAL_SECONDS: z.coerce
    .number({ error: 'TOLLGATE_DETECTOR_INTERVAL_SECONDS: must be a whole number of seconds' })
    .int('TOLLGATE_DETECTOR_INTERVAL_SECONDS: must be a whole number of seconds')
    .min(0, 'TOLLGATE_DETECTOR_INTERVAL_SECONDS: must be ≥ 0 (0 turns the detector off)')
    .max(3600, 'TOLLGATE_DETECTOR_INTERVAL_SECONDS: must be at most 3600')
    .default(60),
  TOLLGATE_SLACK_WEBHOOK_URL: z
    .string()
    .regex(
      /^https:\/\/\S+$/,
      'TOLLGATE_SLACK_WEBHOOK_URL: must be an https:// URL (a Slack incoming webhook)',
    )
    .optional(),
  TOLLGATE_SLACK_ROUTES: z.string().optional(),
});

export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
  readonly code = 'invalid_configuration';
}

export const USAGE = `Usage: npm start -- [--fresh] [--no-demo]

Runs Tollgate on this machine: DynamoDB Local, the Kinesis emulator, the consumer (with the
event source mapping's semantics), the API on 127.0.0.1, and a demo of AI services sending usage.

Flags:
  --fresh     delete the data directory first (state otherwise survives a restart)
  --no-demo   do not run the simulated AI services
  --help      this text

Environment (defaults in brackets):
  TOLLGATE_API_PORT [8787]   TOLLGATE_KINESIS_PORT [free]   TOLLGATE_DYNAMODB_PORT [free]
  TOLLGATE_DATA_DIR [.tollgate]   TOLLGATE_ADMIN_TOKEN [generated, kept in the data dir]
  TOLLGATE_CATALOG [config/catalog.yaml]   TOLLGATE_TENANTS [config/tenants.yaml]
  TOLLGATE_ENVELOPE_DEDUP [on]   TOLLGATE_GRACE_HOURS [12]
  TOLLGATE_BILLING_INTERVAL_SECONDS [60: the billing planner's schedule; 0 = off]
  TOLLGATE_DETECTOR_INTERVAL_SECONDS [60: the alert detector's schedule; 0 = off]
  TOLLGATE_SLACK_WEBHOOK_URL [unset: alerts also go to this Slack incoming webhook]
  TOLLGATE_SLACK_ROUTES [unset: a JSON file routing alerts to Slack channels by tenant,
    severity and kind, instead of one webhook; see docs/alerts.md]

Invoices: the planner runs on that schedule (daily on AWS). To see a period close now, advance
the billing clock: npx tollgate billing run --as-of 2027-01-01`;

/** Empty variables count as unset. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

export function readLocalConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): LocalConfig {
  let flags: { fresh?: boolean; 'no-demo'?: boolean; help?: boolean };
  try {
    flags = parseArgs({
      args: [...argv],
      options: { fresh: { type: 'boolean' }, 'no-demo': { type: 'boolean' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (error) {
    throw new LocalConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const result = envSchema.safeParse(definedOnly(env));
  if (!result.success) {
    throw new LocalConfigError(result.error.issues.map((issue) => issue.message).join('\n'));
  }
  const e = result.data;
  return {
    apiPort: e.TOLLGATE_API_PORT,
    ...(e.TOLLGATE_KINESIS_PORT === undefined ? {} : { kinesisPort: e.TOLLGATE_KINESIS_PORT }),
    ...(e.TOLLGATE_DYNAMODB_PORT === undefined ? {} : { dynamodbPort: e.TOLLGATE_DYNAMODB_PORT }),
    dataDir: e.TOLLGATE_DATA_DIR,
    ...(e.TOLLGATE_ADMIN_TOKEN === undefined ? {} : { adminToken: e.TOLLGATE_ADMIN_TOKEN }),
    catalogPath: e.TOLLGATE_CATALOG,
    tenantsPath: e.TOLLGATE_TENANTS,
    envelopeDedup: e.TOLLGATE_ENVELOPE_DEDUP === 'on',
    billingIntervalSeconds: e.TOLLGATE_BILLING_INTERVAL_SECONDS,
    graceHours: e.TOLLGATE_GRACE_HOURS,
    detectorIntervalSeconds: e.TOLLGATE_DETECTOR_INTERVAL_SECONDS,
    ...slackRoutingOf(e.TOLLGATE_SLACK_WEBHOOK_URL, e.TOLLGATE_SLACK_ROUTES),
    fresh: flags.fresh === true,
    demo: flags['no-demo'] !== true,
    help: flags.help === true,
  };
}

/** The Slack configuration text: the webhook URL, or the routes file's contents, checked now. */
function slackRoutingOf(url: string | undefined, routesFile: string | undefined): { slackRouting?: string } {
  if (url !== undefined && routesFile !== undefined) {
    throw new LocalConfigError(
      'TOLLGATE_SLACK_ROUTES: set it or TOLLGATE_SLACK_WEBHOOK_URL, not both (a routes file can hold that URL)',
    );
  }
  if (routesFile === undefined) return url === undefined ? {} : { slackRouting: url };
  let text: string;
  try {
    text = readFileSync(routesFile, 'utf8');
  } catch (error) {
    throw new LocalConfigError(
      `TOLLGATE_SLACK_ROUTES: cannot read ${routesFile}: ${(error as Error).message}`,
    );
  }
  try {
    if (parseSlackRouting(text) === undefined) return {};
  } catch (error) {
    if (!(error instanceof SlackRoutingError)) throw error;
    throw new LocalConfigError(`TOLLGATE_SLACK_ROUTES: ${routesFile}: ${error.message}`);
  }
  return { slackRouting: text };
}
