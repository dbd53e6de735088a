import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { type BillingRunSummary, planBillingRun } from '../../shared/invoicing/plan-billing-run.js';
import { awsPlannerDeps } from '../composition/aws-billing.js';
import { parsePlannerEvent } from './planner-event.js';

const logger = new Logger();
const deps = awsPlannerDeps();

/** EventBridge Scheduler (or a manual invoke with `{ asOf?, tenant? }`) → one job per closed tenant-period. */
export const handler = middy<unknown, BillingRunSummary>(async (event: unknown) => {
  const summary = await planBillingRun(parsePlannerEvent(event), deps);
  logger.info('billing run planned', { ...summary });
  return summary;
});
