import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { awsConsumerDeps } from '../composition/aws.js';
import { createConsumer } from './consume-kinesis-event.js';
import { powertoolsObserver } from './powertools-observer.js';
import { createReplayHandler, type ReplayResponse, routeConsumerEvent } from './replay.js';

const logger = new Logger();
const metrics = new Metrics();
const deps = awsConsumerDeps();
const consume = createConsumer(deps.metering, powertoolsObserver(logger, metrics));
const replay = createReplayHandler({ ...deps.replay, logger });

/**
 * Kinesis event source → metering (partial batch responses); a replay event (by hand, or a
 * dead-letter message) → the given-up range read back and metered (docs/operations.md).
 */
export const handler = middy<
  KinesisStreamEvent | Record<string, unknown>,
  KinesisStreamBatchResponse | ReplayResponse
>(routeConsumerEvent(consume, replay)).use(logMetrics(metrics));
