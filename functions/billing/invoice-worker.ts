/**
 * The invoice worker: an SQS batch of invoice jobs → one `runInvoiceJob` each, answered with
 * partial batch failures so only the failed jobs come back (and after `maxReceiveCount`, go to
 * the dead-letter queue with their body). The same function serves Lambda and the local poller.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseInvoiceJob } from '../../shared/invoicing/invoice-job.js';
import { type InvoiceWorkerDeps, runInvoiceJob } from '../../shared/invoicing/run-invoice-job.js';

export interface WorkerLogger {
  info(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

/** Jobs of one batch handled at once (a batch holds at most 10). */
const CONCURRENCY = 4;

export function createInvoiceWorker(deps: InvoiceWorkerDeps, logger: WorkerLogger) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    const records = [...event.Records];
    const next = async (): Promise<void> => {
      for (let record = records.shift(); record !== undefined; record = records.shift()) {
        try {
          const job = parseInvoiceJob(record.body);
          const outcome = await runInvoiceJob(job, deps);
          logger.info('invoice job done', {
            ...outcome,
            tenant: job.tenant,
            periodStart: job.periodStart,
            runId: job.runId,
          });
        } catch (error) {
          failures.push({ itemIdentifier: record.messageId });
          logger.error('invoice job failed', {
            messageId: record.messageId,
            receiveCount: record.attributes?.ApproximateReceiveCount,
            error,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, records.length) }, next));
    return { batchItemFailures: failures };
  };
}
