import {
  QueueDoesNotExist,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsInvoiceJobQueue } from '../../../functions/adapters/sqs/sqs-invoice-job-queue.js';
import { InvoiceJobsNotSentError, parseInvoiceJob } from '../../../shared/invoicing/invoice-job.js';
import type { InvoiceJob } from '../../../shared/invoicing/ports.js';

const sqs = mockClient(SQSClient);
const client = new SQSClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/tollgate-invoice-jobs';

const makeJob = (tenant: string, overrides: Partial<InvoiceJob> = {}): InvoiceJob => ({
  tenant,
  periodStart: '2026-11-01T00:00:00Z',
  periodEnd: '2026-12-01T00:00:00Z',
  asOf: '2026-12-03T06:00:00Z',
  runId: 'run-1',
  ...overrides,
});
const jobs = (n: number) => Array.from({ length: n }, (_, i) => makeJob(`tenant-${i}`));

/** Accepts every entry except those whose tenant `refuse` answers a failure for. */
const answer =
  (refuse: (tenant: string) => { Code: string; SenderFault: boolean } | undefined = () => undefined) =>
  (input: SendMessageBatchCommandInput) => {
    const entries = input.Entries ?? [];
    const outcomes = entries.map((entry) => ({ entry, failure: refuse(tenantOf(entry)) }));
    return {
      Successful: outcomes
        .filter(({ failure }) => failure === undefined)
        .map(({ entry }) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' })),
      Failed: outcomes
        .filter(({ failure }) => failure !== undefined)
        .map(({ entry, failure }) => ({ Id: entry.Id, ...failure, Message: `${failure?.Code} message` })),
    };
  };

const tenantOf = (entry: SendMessageBatchRequestEntry) => entry.MessageAttributes?.tenant?.StringValue ?? '';
const sentTenants = (call: number) =>
  (sqs.commandCalls(SendMessageBatchCommand)[call]?.args[0].input.Entries ?? []).map(tenantOf);

const sleeps: number[] = [];
const queue = (maxAttempts?: number) =>
  new SqsInvoiceJobQueue(client, QUEUE_URL, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });

async function rejectionOf(promise: Promise<unknown>): Promise<InvoiceJobsNotSentError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof InvoiceJobsNotSentError))
    throw new Error(`expected InvoiceJobsNotSentError, got ${error}`);
  return error;
}

beforeEach(() => {
  sqs.reset();
  sleeps.length = 0;
});

describe('SqsInvoiceJobQueue', () => {
  it('sends 23 jobs as batches of 10, 10 and 3, each a JSON body with a tenant attribute', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(answer());
    await queue().send(jobs(23));
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const first = calls[0]?.args[0].input;
    expect(first?.QueueUrl).toBe(QUEUE_URL);
    expect(first?.Entries?.[0]).toEqual({
      Id: '0',
      MessageBody: JSON.stringify(makeJob('tenant-0')),
      MessageAttributes: { tenant: { DataType: 'String', StringValue: 'tenant-0' } },
    });
    expect(parseInvoiceJob(first?.Entries?.[0]?.MessageBody ?? '')).toEqual(makeJob('tenant-0'));
    expect(sentTenants(2)).toEqual(['tenant-20', 'tenant-21', 'tenant-22']);
  });

  it('cuts a batch before it would pass 256 KiB', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(answer());
    // Each body is about 40 KiB: six fit in 256 KiB (240 KiB), a seventh would not.
    const big = jobs(10).map((job) => ({ ...job, runId: 'r'.repeat(40 * 1024) }));
    await queue().send(big);
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      6, 4,
    ]);
  });

  it('sends nothing for no jobs', async () => {
    await queue().send([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sends again only the entries reported in Failed, with a growing backoff', async () => {
    let refusals = 2;
    sqs.on(SendMessageBatchCommand).callsFake(
      answer((tenant) => {
        if (tenant !== 'tenant-3' || refusals === 0) return undefined;
        refusals -= 1;
        return { Code: 'InternalError', SenderFault: false };
      }),
    );
    await queue().send(jobs(5));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(sentTenants(1)).toEqual(['tenant-3']);
    expect(sentTenants(2)).toEqual(['tenant-3']);
    expect(sqs.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries?.[0]?.Id).toBe('3');
    expect(sleeps).toEqual([50, 100]);
  });

  it('does not retry a sender fault, sends the rest, and names the refused job', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .callsFake(
        answer((tenant) =>
          tenant === 'tenant-12' ? { Code: 'InvalidParameterValue', SenderFault: true } : undefined,
        ),
      );
    const error = await rejectionOf(queue().send(jobs(15)));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(error.unsent).toEqual([
      { job: makeJob('tenant-12'), reason: 'InvalidParameterValue: InvalidParameterValue message' },
    ]);
    expect(error.message).toContain(
      '1 invoice job was not sent: tenant-12 2026-11-01T00:00:00Z…2026-12-01T00:00:00Z',
    );
    expect(error.message).toContain('InvalidParameterValue');
  });

  it('gives up on an entry after 5 attempts and names it', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .callsFake(
        answer((tenant) =>
          tenant === 'tenant-1' ? { Code: 'InternalError', SenderFault: false } : undefined,
        ),
      );
    const error = await rejectionOf(queue().send(jobs(3)));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(error.unsent.map(({ job }) => job.tenant)).toEqual(['tenant-1']);
    expect(error.message).toContain('tenant-1 2026-11-01T00:00:00Z…2026-12-01T00:00:00Z (InternalError');
  });

  it('honours a smaller maxAttempts', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(answer(() => ({ Code: 'InternalError', SenderFault: false })));
    const error = await rejectionOf(queue(2).send(jobs(1)));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(error.unsent).toHaveLength(1);
  });

  it('treats an entry missing from both lists as not sent', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: 'x' }], Failed: [] })
      .callsFake(answer());
    await queue().send(jobs(2));
    expect(sentTenants(1)).toEqual(['tenant-1']);
  });

  it('stops at a request that fails as a whole and reports it and every later job unsent', async () => {
    const missing = new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} });
    sqs.on(SendMessageBatchCommand).callsFakeOnce(answer()).rejects(missing);
    const error = await rejectionOf(queue().send(jobs(25)));
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(error.cause).toBe(missing);
    expect(error.unsent.map(({ job }) => job.tenant)).toEqual(
      jobs(25)
        .slice(10)
        .map((job) => job.tenant),
    );
    expect(error.unsent[0]?.reason).toMatch(/^QueueDoesNotExist: /);
    expect(error.unsent[10]?.reason).toBe('QueueDoesNotExist (not attempted)');
  });
});
