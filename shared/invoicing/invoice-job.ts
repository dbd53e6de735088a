/**
 * The wire form of an `InvoiceJob` (ports.ts): the JSON body of one queue message, written by
 * the planner through an `InvoiceJobQueue` and read back by the worker with `parseInvoiceJob`.
 *
 * - tenant: 1–128 of `A–Z a–z 0–9 . _ : @ -`;
 * - periodStart, periodEnd, asOf: ISO-8601 UTC instants ending in `Z` (seconds required,
 *   fractions allowed, a real calendar date), with periodStart < periodEnd;
 * - runId: 1–128 characters.
 *
 * Fields the parser does not know are dropped, so a newer planner can add one without failing
 * an older worker.
 */
import * as z from 'zod';
import type { InvoiceJob } from './ports.js';

export const INVOICE_JOB_TENANT_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
export const MAX_RUN_ID_LENGTH = 128;

const utcInstant = z.iso.datetime();

const invoiceJobSchema = z.object({
  tenant: z.string().regex(INVOICE_JOB_TENANT_PATTERN),
  periodStart: utcInstant,
  periodEnd: utcInstant,
  asOf: utcInstant,
  runId: z.string().min(1).max(MAX_RUN_ID_LENGTH),
});

type InvoiceJobField = keyof z.infer<typeof invoiceJobSchema>;

const FIELD_RULES: Readonly<Record<InvoiceJobField, string>> = {
  tenant: 'must be 1–128 of A–Z, a–z, 0–9, ".", "_", ":", "@", "-"',
  periodStart: 'must be an ISO-8601 UTC date and time ending in Z (2026-11-01T00:00:00Z)',
  periodEnd: 'must be an ISO-8601 UTC date and time ending in Z (2026-12-01T00:00:00Z)',
  asOf: 'must be an ISO-8601 UTC date and time ending in Z (2026-12-03T06:00:00Z)',
  runId: `must be a string of 1–${MAX_RUN_ID_LENGTH} characters`,
};

/** A message body that is not an invoice job; `field` names what to fix (`''`: the body itself). */
export class InvalidInvoiceJobError extends Error {
  override readonly name = 'InvalidInvoiceJobError';
  readonly code = 'invalid_invoice_job';

  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The message body of a job: its fields only, in a fixed order. */
export function formatInvoiceJob(job: InvoiceJob): string {
  return JSON.stringify({
    tenant: job.tenant,
    periodStart: job.periodStart,
    periodEnd: job.periodEnd,
    asOf: job.asOf,
    runId: job.runId,
  });
}

/** Reads a message body; throws `InvalidInvoiceJobError` naming the first bad field. Pure. */
export function parseInvoiceJob(body: string): InvoiceJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new InvalidInvoiceJobError('', 'invoice job: the body is not JSON', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInvoiceJobError('', 'invoice job: the body must be a JSON object');
  }
  const parsed = invoiceJobSchema.safeParse(raw);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? '') as InvoiceJobField;
    const rule =
      (raw as Record<string, unknown>)[field] === undefined
        ? 'is required'
        : (FIELD_RULES[field] ?? 'is invalid');
    throw new InvalidInvoiceJobError(field, `invoice job: ${field}: ${rule}`);
  }
  const job = parsed.data;
  if (Date.parse(job.periodStart) >= Date.parse(job.periodEnd)) {
    throw new InvalidInvoiceJobError(
      'periodEnd',
      `invoice job: periodEnd: must be after periodStart (${job.periodStart}), not ${job.periodEnd}`,
    );
  }
  return job;
}

/** A job the queue did not take, and why. */
export interface UnsentInvoiceJob {
  readonly job: InvoiceJob;
  /** The queue's error code (`InternalError`, `InvalidParameterValue`, …) or the error's name. */
  readonly reason: string;
}

/** How the jobs are named in messages: tenant and period. */
export function describeInvoiceJob(job: InvoiceJob): string {
  return `${job.tenant} ${job.periodStart}…${job.periodEnd}`;
}

const NAMED_IN_MESSAGE = 10;

/** `InvoiceJobQueue.send` could not send every job; `unsent` lists them (the others were sent). */
export class InvoiceJobsNotSentError extends Error {
  override readonly name = 'InvoiceJobsNotSentError';
  readonly code = 'invoice_jobs_not_sent';

  constructor(
    readonly unsent: readonly UnsentInvoiceJob[],
    options?: { cause?: unknown },
  ) {
    const named = unsent
      .slice(0, NAMED_IN_MESSAGE)
      .map((entry) => `${describeInvoiceJob(entry.job)} (${entry.reason})`);
    const more = unsent.length > NAMED_IN_MESSAGE ? ` and ${unsent.length - NAMED_IN_MESSAGE} more` : '';
    super(
      `${unsent.length} invoice job${unsent.length === 1 ? ' was' : 's were'} not sent: ${named.join(', ')}${more}`,
      options,
    );
  }
}
