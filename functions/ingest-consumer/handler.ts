import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { awsMeteringDeps } from '../composition/aws.js';
import { createConsumer } from './consume-kinesis-event.js';
import { powertoolsObserver } from './powertools-observer.js';

const logger = new Logger();
const metrics = new Metrics();
const consume = createConsumer(awsMeteringDeps(), powertoolsObserver(logger, metrics));

/** Kinesis event source → metering (partial batch responses). */
export const handler = middy<KinesisStreamEvent, KinesisStreamBatchResponse>(consume).use(
  logMetrics(metrics),
);
