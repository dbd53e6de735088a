import { z } from 'zod';

/** Configuration of the Lambda functions, read once at cold start; errors name the variable. */
const schema = z.object({
  TOLLGATE_USAGE_TABLE: z.string().min(3),
  TOLLGATE_DEDUP_TABLE: z.string().min(3),
  TOLLGATE_CONFIG_TABLE: z.string().min(3),
  TOLLGATE_QUARANTINE_TABLE: z.string().min(3),
  TOLLGATE_QUARANTINE_BUCKET: z.string().min(3),
  TOLLGATE_THRESHOLD_TOPIC_ARN: z.string().startsWith('arn:'),
  /** The usage-event stream: replays read given-up records back from it. */
  TOLLGATE_STREAM_NAME: z.string().min(1),
  TOLLGATE_ENVELOPE_DEDUP: z.enum(['on', 'off']).default('on'),
  TOLLGATE_CONFIG_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  AWS_REGION: z.string().min(1),
});

export type AwsConsumerConfig = z.infer<typeof schema>;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly code = 'invalid_configuration';
}

export function readAwsConsumerConfig(env: NodeJS.ProcessEnv): AwsConsumerConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return result.data;
}
