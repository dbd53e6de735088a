/**
 * Invoicing on the local runtime: the same planner and worker as on AWS, over the same kind of
 * store (DynamoDB Local). The schedule is a timer (EventBridge Scheduler on AWS), the jobs queue
 * an in-process queue with the SQS semantics that matter (visibility timeout, redelivery, a
 * dead-letter file after 5 receives), documents go to `<dataDir>/blobs/invoices/`, and
 * `invoice.finalized` to the console and `<dataDir>/invoices.jsonl`.
 */
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import {
  type BillingRunRequest,
  type BillingRunSummary,
  planBillingRun,
} from '../../shared/invoicing/plan-billing-run.js';
import type { TableId } from '../../shared/tables/table-definitions.js';
import { DAY_MS } from '../../shared/time/windows.js';
import { ConsoleInvoiceEventPublisher } from '../adapters/local/console-invoice-event-publisher.js';
import { LocalInvoiceJobQueue } from '../adapters/local/local-invoice-job-queue.js';
import type { BillingApiDeps } from '../api/api-types.js';
import { createInvoiceWorker } from '../billing/invoice-worker.js';
import { billingDeps } from '../composition/billing-deps.js';
import { localBlobStore } from '../composition/local.js';
import { LocalQueue } from './local-queue.js';
import { type SqsWorkerPoller, startSqsWorkerPoller } from './sqs-worker-poller.js';

export interface LocalBillingOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tables: Readonly<Record<TableId, string>>;
  readonly dataDir: string;
  readonly graceHours: number;
  /** 0: no timer (runs only on demand: `tollgate billing run`). */
  readonly intervalSeconds: number;
  readonly print: (line: string) => void;
  readonly clock?: () => number;
}

/** As on AWS: redrive to the dead-letter queue after 5 receives; 6 × the worker's timeout. */
export const LOCAL_JOB_QUEUE = { maxReceiveCount: 5, visibilityTimeoutMs: 30_000 } as const;

export function startLocalBilling(options: LocalBillingOptions) {
  const { print } = options;
  const clock = options.clock ?? Date.now;
  const queue = new LocalQueue<string>({
    ...LOCAL_JOB_QUEUE,
    now: clock,
    deadLetterFile: join(options.dataDir, 'invoice-jobs-dlq.jsonl'),
    onDeadLetter: (message) =>
      print(`billing: invoice job dead-lettered after ${message.receiveCount} receives: ${message.body}`),
  });
  const deps = billingDeps({
    dynamodb: options.dynamodb,
    tables: options.tables,
    documents: localBlobStore(options.dataDir),
    events: new ConsoleInvoiceEventPublisher(join(options.dataDir, 'invoices.jsonl'), print),
    queue: new LocalInvoiceJobQueue(queue),
    clock,
    graceHours: options.graceHours,
    newRunId: () => `run_${ulid()}`,
    catalogCacheMs: 2_000,
  });
  const { worker: workerDeps, planner, documents } = deps;
  if (workerDeps === undefined || planner === undefined || documents === undefined) {
    throw new Error('local billing: the worker, planner and documents are all wired here');
  }
  const handler = createInvoiceWorker(workerDeps, {
    info: () => {},
    error: (message, details) => {
      const error = details.error;
      print(`billing: ${message}: ${error instanceof Error ? error.message : JSON.stringify(details)}`);
    },
  });
  let worker: SqsWorkerPoller | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runPlanner = (request: BillingRunRequest = {}): Promise<BillingRunSummary> =>
    planBillingRun(request, planner);
  // Locally the billing clock may be advanced a year (`tollgate billing run --as-of …`).
  const api: BillingApiDeps = { invoicing: deps.invoicing, documents, planner, maxAsOfAheadMs: 366 * DAY_MS };
  const startedWorker = (): SqsWorkerPoller => {
    worker ??= startSqsWorkerPoller({
      queue,
      handler,
      visibilityTimeoutMs: LOCAL_JOB_QUEUE.visibilityTimeoutMs,
    });
    return worker;
  };
  return {
    queue,
    api,
    runPlanner,
    get worker(): SqsWorkerPoller {
      return startedWorker();
    },
    /** Starts the worker and the schedule (a first run at once, then every interval). */
    start(): void {
      startedWorker();
      if (options.intervalSeconds <= 0) return;
      const tick = (): void => {
        runPlanner().catch((error: unknown) =>
          print(`billing: planner run failed: ${(error as Error).message}`),
        );
      };
      tick();
      timer = setInterval(tick, options.intervalSeconds * 1000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      await worker?.stop();
    },
  };
}
