import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { type DetectionSummary, runDetection } from '../../shared/alerts/run-detection.js';
import { awsDetectorDeps } from '../composition/aws-detector.js';

const logger = new Logger();
const deps = awsDetectorDeps();

/** EventBridge Scheduler (every few minutes) → the latest closed hour of every series checked. */
export const handler = middy<unknown, DetectionSummary>(async () => {
  const summary = await runDetection(deps);
  logger.info('detection run', { ...summary });
  return summary;
});
