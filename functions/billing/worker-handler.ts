import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsWorkerDeps } from '../composition/aws-billing.js';
import { createInvoiceWorker } from './invoice-worker.js';

const logger = new Logger();
const worker = createInvoiceWorker(awsWorkerDeps(), {
  info: (message, details) => logger.info(message, { ...details }),
  error: (message, details) => {
    const { error, ...rest } = details;
    logger.error(message, error instanceof Error ? { ...rest, error } : { ...rest, cause: String(error) });
  },
});

/** SQS (invoice jobs, partial batch failures) → one invoice per tenant-period. */
export const handler = middy<SQSEvent, SQSBatchResponse>(worker);
