/**
 * The invoice job queue on SQS: SendMessageBatch within its limits (10 entries and 256 KiB of
 * bodies and attributes per request), one message per job, the body `formatInvoiceJob(job)` and
 * a `tenant` string attribute (for filtering and for reading a DLQ without parsing bodies).
 *
 * An entry the service reports in `Failed` is sent again, with the others of its request that
 * failed, up to `maxAttempts` times with a doubling backoff; one failed with `SenderFault: true`
 * (the request was wrong, e.g. an invalid body) is not, since sending it again cannot help. A
 * request that fails as a whole has already been retried by the SDK client, so it ends the run:
 * its entries and every later job are reported unsent. Sending a job twice is harmless (the
 * worker's writes are conditional on the invoice's state), so a caller may resend everything.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SendMessageBatchResult,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  formatInvoiceJob,
  InvoiceJobsNotSentError,
  type UnsentInvoiceJob,
} from '../../../shared/invoicing/invoice-job.js';
import type { InvoiceJob, InvoiceJobQueue } from '../../../shared/invoicing/ports.js';

export const MAX_BATCH_ENTRIES = 10;
/** SendMessageBatch's limit on the sum of the entries' bodies and message attributes. */
export const MAX_BATCH_BYTES = 256 * 1024;

export const TENANT_ATTRIBUTE = 'tenant';

export interface SqsInvoiceJobQueueOptions {
  /** Attempts per job, including the first (default 5). */
  readonly maxAttempts?: number;
  /** Wait before the first retry (default 50 ms); doubles per attempt. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface PendingEntry {
  readonly job: InvoiceJob;
  readonly entry: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SqsInvoiceJobQueue implements InvoiceJobQueue {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    options: SqsInvoiceJobQueueOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async send(jobs: readonly InvoiceJob[]): Promise<void> {
    const batches = batchEntries(jobs.map(toEntry));
    const unsent: UnsentInvoiceJob[] = [];
    for (const [index, batch] of batches.entries()) {
      const outcome = await this.sendBatch(batch);
      unsent.push(...outcome.unsent);
      if (outcome.aborted !== undefined) {
        const { error } = outcome.aborted;
        const reason = error instanceof Error ? error.name : 'Error';
        const later = batches.slice(index + 1).flat();
        unsent.push(...later.map(({ job }) => ({ job, reason: `${reason} (not attempted)` })));
        throw new InvoiceJobsNotSentError(unsent, { cause: error });
      }
    }
    if (unsent.length > 0) throw new InvoiceJobsNotSentError(unsent);
  }

  /**
   * Sends one batch, retrying what failed on the service's side; answers what stayed unsent,
   * and the error that ended it when a request failed as a whole.
   */
  private async sendBatch(
    batch: readonly PendingEntry[],
  ): Promise<{ unsent: UnsentInvoiceJob[]; aborted?: { error: unknown } }> {
    const unsent: UnsentInvoiceJob[] = [];
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let result: SendMessageBatchResult;
      try {
        result = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: pending.map(({ entry }) => entry),
          }),
        );
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        unsent.push(...pending.map(({ job }) => ({ job, reason })));
        return { unsent, aborted: { error } };
      }
      const failures = new Map((result.Failed ?? []).map((failure) => [failure.Id, failure]));
      const succeeded = new Set((result.Successful ?? []).map((success) => success.Id));
      const retry: PendingEntry[] = [];
      for (const item of pending) {
        const failure = failures.get(item.entry.Id);
        if (failure === undefined && succeeded.has(item.entry.Id)) continue;
        // An entry in neither list has no known outcome: treated like a service fault.
        const reason = failure?.Code ?? 'NoResult';
        if (failure?.SenderFault === true || attempt === this.maxAttempts) {
          unsent.push({ job: item.job, reason: failure?.Message ? `${reason}: ${failure.Message}` : reason });
        } else {
          retry.push(item);
        }
      }
      pending = retry;
      if (pending.length > 0) await this.sleep(this.baseDelayMs * 2 ** (attempt - 1));
    }
    return { unsent };
  }
}

function toEntry(job: InvoiceJob, index: number): PendingEntry {
  const body = formatInvoiceJob(job);
  return {
    job,
    // Unique within the send, so a retried entry keeps its id.
    entry: {
      Id: String(index),
      MessageBody: body,
      MessageAttributes: { [TENANT_ATTRIBUTE]: { DataType: 'String', StringValue: job.tenant } },
    },
    bytes:
      Buffer.byteLength(body) +
      Buffer.byteLength(TENANT_ATTRIBUTE) +
      Buffer.byteLength('String') +
      Buffer.byteLength(job.tenant),
  };
}

/** Cuts the entries into requests of ≤ 10 entries and ≤ 256 KiB, in order. */
function batchEntries(entries: readonly PendingEntry[]): PendingEntry[][] {
  const batches: PendingEntry[][] = [];
  let batch: PendingEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + entry.bytes > MAX_BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry.bytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
