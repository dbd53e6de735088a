import { describe, expect, it } from 'vitest';
import {
  formatInvoiceJob,
  InvalidInvoiceJobError,
  InvoiceJobsNotSentError,
  parseInvoiceJob,
} from '../../../shared/invoicing/invoice-job.js';
import type { InvoiceJob } from '../../../shared/invoicing/ports.js';

const job: InvoiceJob = {
  tenant: 'acme',
  periodStart: '2026-11-01T00:00:00Z',
  periodEnd: '2026-12-01T00:00:00Z',
  asOf: '2026-12-03T06:00:00.123Z',
  runId: 'run-2026-12-03',
};

const bodyWith = (overrides: Record<string, unknown>) => {
  const raw: Record<string, unknown> = { ...job };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete raw[key];
    else raw[key] = value;
  }
  return JSON.stringify(raw);
};

function errorOf(body: string): InvalidInvoiceJobError {
  try {
    parseInvoiceJob(body);
  } catch (error) {
    if (error instanceof InvalidInvoiceJobError) return error;
    throw error;
  }
  throw new Error('parseInvoiceJob accepted the body');
}

describe('parseInvoiceJob', () => {
  it('reads back what formatInvoiceJob wrote', () => {
    expect(parseInvoiceJob(formatInvoiceJob(job))).toEqual(job);
  });

  it('drops fields it does not know, so a newer planner does not fail an older worker', () => {
    expect(parseInvoiceJob(bodyWith({ priority: 'high' }))).toEqual(job);
  });

  it('accepts tenants with every allowed punctuation mark', () => {
    expect(parseInvoiceJob(bodyWith({ tenant: 'org:acme.eu_1@billing-x' })).tenant).toBe(
      'org:acme.eu_1@billing-x',
    );
  });

  it.each([
    ['tenant', { tenant: 'acme corp' }, 'tenant: must be 1–128'],
    ['tenant', { tenant: 'a'.repeat(129) }, 'tenant: must be 1–128'],
    ['tenant', { tenant: '' }, 'tenant: must be 1–128'],
    ['tenant', { tenant: undefined }, 'tenant: is required'],
    ['periodStart', { periodStart: '2026-11-01T00:00:00+01:00' }, 'periodStart: must be an ISO-8601 UTC'],
    ['periodStart', { periodStart: '2026-11-01' }, 'periodStart: must be an ISO-8601 UTC'],
    ['periodEnd', { periodEnd: '2026-02-29T00:00:00Z' }, 'periodEnd: must be an ISO-8601 UTC'],
    ['asOf', { asOf: 1_764_741_600_000 }, 'asOf: must be an ISO-8601 UTC'],
    ['asOf', { asOf: undefined }, 'asOf: is required'],
    ['runId', { runId: '' }, 'runId: must be a string of 1–128'],
    ['runId', { runId: 'r'.repeat(129) }, 'runId: must be a string of 1–128'],
  ])('names %s when it is wrong (%j)', (field, overrides, message) => {
    const error = errorOf(bodyWith(overrides));
    expect(error).toMatchObject({ code: 'invalid_invoice_job', field });
    expect(error.message).toContain(message);
  });

  it('names periodEnd when the period does not end after it starts', () => {
    const error = errorOf(bodyWith({ periodEnd: job.periodStart }));
    expect(error).toMatchObject({ code: 'invalid_invoice_job', field: 'periodEnd' });
    expect(error.message).toContain('must be after periodStart');
  });

  it.each([
    ['not JSON', '{"tenant":', 'not JSON'],
    ['an array', '[]', 'must be a JSON object'],
    ['null', 'null', 'must be a JSON object'],
  ])('names the body itself when it is %s', (_, body, message) => {
    const error = errorOf(body);
    expect(error).toMatchObject({ code: 'invalid_invoice_job', field: '' });
    expect(error.message).toContain(message);
  });
});

describe('InvoiceJobsNotSentError', () => {
  it('names the first ten jobs with their reasons and counts the rest', () => {
    const unsent = Array.from({ length: 12 }, (_, i) => ({
      job: { ...job, tenant: `t${i}` },
      reason: 'InternalError',
    }));
    const error = new InvoiceJobsNotSentError(unsent);
    expect(error.code).toBe('invoice_jobs_not_sent');
    expect(error.message).toMatch(
      /^12 invoice jobs were not sent: t0 2026-11-01T00:00:00Z…2026-12-01T00:00:00Z/,
    );
    expect(error.message).toContain('t9 2026-11-01T00:00:00Z…2026-12-01T00:00:00Z (InternalError)');
    expect(error.message).not.toContain('t10 ');
    expect(error.message).toMatch(/and 2 more$/);
  });
});
