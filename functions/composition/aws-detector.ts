/** The AWS composition root of the alert detector: environment read once, errors name the variable. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { parseDetectorOptions } from '../../shared/alerts/detection/detector-options.js';
import { DEFAULT_INCIDENT_OPTIONS } from '../../shared/alerts/incident.js';
import type { DetectionDeps } from '../../shared/alerts/run-detection.js';
import { SnsAlertPublisher } from '../adapters/sns/sns-alert-publisher.js';
import { alertingDeps } from './alerting-deps.js';
import { parseEnvironment } from './aws-api.js';
import { ConfigurationError } from './aws-config.js';

const schema = z.object({
  TOLLGATE_USAGE_TABLE: z.string().min(3),
  TOLLGATE_CONFIG_TABLE: z.string().min(3),
  TOLLGATE_ALERTS_TABLE: z.string().min(3),
  TOLLGATE_INVOICES_TABLE: z.string().min(3),
  TOLLGATE_ALERTS_TOPIC_ARN: z.string().startsWith('arn:'),
  /** JSON of detector options (see shared/alerts/detection/detector-options.ts); defaults when unset. */
  TOLLGATE_DETECTOR_OPTIONS: z.string().optional(),
  /** Spend alerts need at least this much spend per hour (in the plan's currency). */
  TOLLGATE_MIN_SPEND_PER_HOUR: z.coerce.number().positive().default(1),
  /** A spike resolves once its rate has been normal this long (see shared/alerts/quiet-resolution.ts). */
  TOLLGATE_RESOLVE_AFTER_QUIET_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(1440)
    .default(DEFAULT_INCIDENT_OPTIONS.resolveAfterQuietMinutes),
  AWS_REGION: z.string().min(1),
});

export function awsDetectorDeps(env: NodeJS.ProcessEnv = process.env): DetectionDeps {
  const config = parseEnvironment(schema, env);
  let detector: ReturnType<typeof parseDetectorOptions>;
  try {
    detector = parseDetectorOptions(
      config.TOLLGATE_DETECTOR_OPTIONS === undefined
        ? undefined
        : JSON.parse(config.TOLLGATE_DETECTOR_OPTIONS),
    );
  } catch (error) {
    throw new ConfigurationError(
      `invalid environment: TOLLGATE_DETECTOR_OPTIONS: ${(error as Error).message}`,
    );
  }
  const region = config.AWS_REGION;
  return alertingDeps({
    dynamodb: new DynamoDBClient({ region }),
    tables: {
      usage: config.TOLLGATE_USAGE_TABLE,
      config: config.TOLLGATE_CONFIG_TABLE,
      alerts: config.TOLLGATE_ALERTS_TABLE,
      invoices: config.TOLLGATE_INVOICES_TABLE,
    },
    publisher: new SnsAlertPublisher(new SNSClient({ region }), config.TOLLGATE_ALERTS_TOPIC_ARN),
    clock: Date.now,
    detector,
    minSpendPerHour: config.TOLLGATE_MIN_SPEND_PER_HOUR,
    incidents: {
      ...DEFAULT_INCIDENT_OPTIONS,
      resolveAfterQuietMinutes: config.TOLLGATE_RESOLVE_AFTER_QUIET_MINUTES,
    },
  });
}
