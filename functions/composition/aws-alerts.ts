/**
 * The AWS composition root of alert delivery: the Slack notifier Lambda. Reads and validates the
 * environment once per container and fetches the webhook URL from Secrets Manager on first use
 * (once per container; a failed fetch is retried by the next invocation). A secret holding
 * `none` (or nothing) means Slack is not configured: the notifier drops messages, so a stack
 * deploys and runs without Slack. The secret may also hold a routing document (channels by tenant,
 * severity and kind: shared/alerts/slack-routing.ts). URLs are credentials: never logged.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { RoutedSlackPoster } from '../adapters/slack/routed-slack-poster.js';
import type { NotifierLogger, SlackNotifierDeps } from '../alerts/slack-notifier.js';
import { fetchSecretString, parseEnvironment, secretOnce } from './aws-api.js';
import { ConfigurationError } from './aws-config.js';

const schema = z.object({
  /** Secrets Manager secret whose SecretString is the incoming-webhook URL, a routing document, or `none`. */
  TOLLGATE_SLACK_WEBHOOK_SECRET_ARN: z.string().startsWith('arn:'),
  /** The API's base URL, for links in messages (optional; empty = none). */
  TOLLGATE_API_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.url({ protocol: /^https?$/ }).optional(),
  ),
  AWS_REGION: z.string().min(1),
});

export type AwsAlertsConfig = z.infer<typeof schema>;

export interface AwsSlackNotifierOptions {
  /** Injectable for tests; one per container otherwise. */
  readonly secrets?: SecretsManagerClient;
  readonly logger?: NotifierLogger;
  /** Admit http:// webhook URLs: tests against a local server only. */
  readonly allowHttp?: boolean;
}

export function awsSlackNotifierDeps(
  env: NodeJS.ProcessEnv = process.env,
  options: AwsSlackNotifierOptions = {},
): SlackNotifierDeps {
  const config = parseEnvironment(schema, env);
  const secrets = options.secrets ?? new SecretsManagerClient({ region: config.AWS_REGION });
  const secretArn = config.TOLLGATE_SLACK_WEBHOOK_SECRET_ARN;
  const slackConfig = secretOnce(() =>
    fetchSecretString(secrets, secretArn).catch((error: unknown) => {
      // fetchSecretString refuses an empty SecretString: for this secret, that means "not configured".
      if (error instanceof ConfigurationError) return '';
      throw error;
    }),
  );
  return {
    poster: new RoutedSlackPoster({ config: slackConfig, allowHttp: options.allowHttp ?? false }),
    ...(config.TOLLGATE_API_URL === undefined ? {} : { apiBaseUrl: config.TOLLGATE_API_URL }),
    logger:
      options.logger ?? powertoolsNotifierLogger(new Logger({ serviceName: 'tollgate-slack-notifier' })),
  };
}

export function powertoolsNotifierLogger(logger: Logger): NotifierLogger {
  return {
    info: (message, details) => logger.info(message, { ...details }),
    warn: (message, details) => logger.warn(message, { ...details }),
    error: (message, details) => {
      const { error, ...rest } = details;
      logger.error(message, error instanceof Error ? { ...rest, error } : { ...rest, cause: String(error) });
    },
  };
}
