import { formatInvoiceJob } from '../../../shared/invoicing/invoice-job.js';
import type { InvoiceJob, InvoiceJobQueue } from '../../../shared/invoicing/ports.js';
import type { LocalQueue } from '../../local/local-queue.js';

/** Invoice jobs onto the local runtime's in-process queue (SQS semantics, see LocalQueue). */
export class LocalInvoiceJobQueue implements InvoiceJobQueue {
  constructor(private readonly queue: LocalQueue<string>) {}

  async send(jobs: readonly InvoiceJob[]): Promise<void> {
    this.queue.sendEntries(
      jobs.map((job) => ({ body: formatInvoiceJob(job), attributes: { tenant: job.tenant } })),
    );
  }
}
