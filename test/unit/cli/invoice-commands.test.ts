import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../../functions/api/api-types.js';
import { handleApiRequest } from '../../../functions/api/handle-api-request.js';
import { invoiceJson } from '../../../functions/api/routes/invoice-routes.js';
import { aDraftInvoice, anInvoice } from '../../factories/invoices.js';
import { ADMIN_TOKEN } from '../api/api-fakes.js';
import { type BillingTestApi, billingTestApi, pdfBytesOf } from '../api/billing-api-fakes.js';
import { type FakeIo, fakeIo, LOCAL_STATUS, run } from './cli-fakes.js';

const STATUS = { '.tollgate/status.json': LOCAL_STATUS };
const API = 'http://127.0.0.1:4000';
const INVOICE = anInvoice();
const ID = INVOICE.id;
const invoiceAnswer = () => JSON.parse(JSON.stringify(invoiceJson(INVOICE)));

/**
 * A CLI whose requests are served by the API core itself (with billing, in memory), so each
 * command is checked against the routes it calls, bytes included; files go to `dir`.
 */
function cliAgainstApi(api: BillingTestApi, dir: string): FakeIo {
  const io = fakeIo({
    files: { '.tollgate/status.json': JSON.stringify({ apiUrl: API, adminToken: ADMIN_TOKEN }) },
  });
  const fetchCore = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers = { ...(init?.headers as Record<string, string>) };
    const body = init?.body === undefined ? undefined : String(init.body);
    io.requests.push({
      method: init?.method ?? 'GET',
      url: url.toString(),
      headers,
      ...(body === undefined ? {} : { body: JSON.parse(body) }),
    });
    const request: ApiRequest = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    };
    const answer = await handleApiRequest(request, api.deps);
    const bytes = Buffer.from(answer.body, answer.isBase64Encoded === true ? 'base64' : 'utf8');
    return new Response(bytes, { status: answer.status, headers: answer.headers });
  };
  return { ...io, cwd: dir, fetch: fetchCore as typeof fetch };
}

describe('argument validation', () => {
  const grant = ['credits', 'grant', '--tenant', 'acme', '--name', 'Welcome'];
  it.each([
    [['invoices', 'list'], '--tenant'],
    [['invoices', 'list', '--tenant', 'a b'], '--tenant'],
    [['invoices', 'list', '--tenant', 'acme', '--limit', '101'], '--limit'],
    [['invoices', 'list', '--tenant', 'acme', '--cursor', '!!'], '--cursor'],
    [['invoices', 'show', 'INV-1'], "'id'"],
    [['invoices', 'upcoming'], '--tenant'],
    [['invoices', 'download', ID, '--format', 'docx'], '--format'],
    [['invoices', 'download', 'in_x'], "'id'"],
    [['invoices', 'void', ID], '--reason'],
    [['invoices', 'void', ID, '--reason', '  '], '--reason'],
    [['invoices', 'void', ID, '--reason', 'x'.repeat(501)], '--reason'],
    [['billing', 'run', '--as-of', 'tomorrow'], '--as-of'],
    [['billing', 'run', '--tenant', 'a/b'], '--tenant'],
    [['credits', 'grant', '--tenant', 'acme', '--amount', '5'], '--name'],
    [grant, '--amount'],
    [[...grant, '--amount', '0.00'], '--amount'],
    [[...grant, '--amount', '-5'], '--amount'],
    [[...grant, '--amount', '1e3'], '--amount'],
    [[...grant, '--amount', '5', '--currency', 'XYZ'], '--currency'],
    [[...grant, '--amount', '5', '--priority', '1001'], '--priority'],
    [[...grant, '--amount', '5', '--effective-at', '2026-12-01'], '--effective-at'],
    [[...grant, '--amount', '5', '--expires-at', 'never'], '--expires-at'],
    [[...grant, '--amount', '5', '--id', 'a b'], '--id'],
    [['credits', 'list'], '--tenant'],
  ])('tollgate %j exits 2 naming %s, calling nothing', async (argv, name) => {
    const io = fakeIo({ files: STATUS, api: () => [200, {}] });
    const result = await run(argv, io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(name);
    expect(io.requests).toEqual([]);
  });
});

describe('tollgate invoices', () => {
  it('lists a page as a table and says how to get the next one', async () => {
    const summary = {
      id: ID,
      number: 'acme-000004',
      status: 'finalized',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      currency: 'USD',
      subtotal: '55.64',
      credits: '10.00',
      total: '45.64',
      finalizedAt: '2026-12-03T09:15:00.000Z',
    };
    const io = fakeIo({
      files: STATUS,
      api: () => [200, { tenant: 'acme', invoices: [summary], cursor: 'abc_1' }],
    });
    const result = await run(
      ['invoices', 'list', '--tenant', 'acme', '--limit', '1', '--cursor', 'abc_0'],
      io,
    );
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'GET',
      url: `${API}/v1/tenants/acme/invoices?limit=1&cursor=abc_0`,
    });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NUMBER\s+ID\s+STATUS\s+PERIOD\s+SUBTOTAL\s+CREDITS\s+TOTAL\s+FINALIZED$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^acme-000004\\s+${ID}\\s+finalized\\s+2026-11-01 to 2026-11-30\\s+55.64 USD\\s+10.00\\s+45.64\\s+2026-12-03T09:15:00.000Z$`,
      ),
    );
    expect(lines[2]).toBe('more: --cursor abc_1');
  });

  it('shows an invoice: its lines, credits and total', async () => {
    const io = fakeIo({ files: STATUS, api: () => [200, invoiceAnswer()] });
    const result = await run(['invoices', 'show', ID], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({ method: 'GET', url: `${API}/v1/invoices/${ID}` });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`invoice acme-000004 (${ID}) of acme: finalized`);
    expect(lines[1]).toBe('period 2026-11-01 to 2026-11-30, plan pro, USD');
    expect(result.stdout).toMatch(/DESCRIPTION\s+KIND\s+METER\s+GROUP\s+QUANTITY\s+UNIT PRICE\s+AMOUNT\n/);
    expect(result.stdout).toMatch(
      /Input tokens\s+usage\s+input_tokens\s+model=gpt-4o\s+1234567\s+0.0000025\s+3.09\n/,
    );
    expect(result.stdout).toMatch(/Pro plan\s+fee\s+-\s+-\s+1\s+49\s+49.00\n/);
    expect(result.stdout).toMatch(
      /subtotal\s+55.64\ncredits\s+-10.00\n\s+Welcome credit \(welcome-2026\)\s+-10.00\ntotal\s+45.64\n/,
    );
  });

  it("prints the API's JSON with --json", async () => {
    const io = fakeIo({ files: STATUS, api: () => [200, invoiceAnswer()] });
    const result = await run(['invoices', 'show', ID, '--json'], io);
    expect(JSON.parse(result.stdout)).toEqual(invoiceAnswer());
  });

  it("reads the tenant's upcoming invoice", async () => {
    const draft = JSON.parse(JSON.stringify(invoiceJson(aDraftInvoice())));
    const io = fakeIo({ files: STATUS, api: () => [200, draft] });
    const result = await run(['invoices', 'upcoming', '--tenant', 'acme'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]?.url).toBe(`${API}/v1/tenants/acme/invoices/upcoming`);
    expect(result.stdout.split('\n')[0]).toBe(`invoice ${draft.id} of acme: draft`);
  });

  it('voids an invoice with its reason', async () => {
    const voided = {
      ...invoiceAnswer(),
      status: 'void',
      voidedAt: '2026-12-10T14:00:00.000Z',
      voidReason: 'wrong plan',
    };
    const io = fakeIo({ files: STATUS, api: () => [200, voided] });
    const result = await run(['invoices', 'void', ID, '--reason', ' wrong plan '], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'POST',
      url: `${API}/v1/invoices/${ID}/void`,
      body: { reason: 'wrong plan' },
    });
    expect(result.stdout).toBe('voided invoice acme-000004 of acme at 2026-12-10T14:00:00.000Z\n');
  });

  it('reports a refused void (already void) as an API error, exit 1', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        409,
        { error: { code: 'invalid_state', message: `status: invoice ${ID} is void`, field: 'status' } },
      ],
    });
    const result = await run(['invoices', 'void', ID, '--reason', 'again'], io);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: 409 invalid_state: status: invoice ${ID} is void\n`);
  });
});

describe('tollgate invoices, against the API core', () => {
  let api: BillingTestApi;
  let dir: string;

  beforeEach(async () => {
    api = await billingTestApi();
    dir = await mkdtemp(join(tmpdir(), 'tollgate-invoices-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads the PDF, byte for byte, to <number>.pdf in the current directory', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const io = cliAgainstApi(api, dir);
    const result = await run(['invoices', 'download', invoice.id], io);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`wrote acme-000004.pdf (${pdfBytesOf(invoice).byteLength} bytes)\n`);
    expect(new Uint8Array(await readFile(join(dir, 'acme-000004.pdf')))).toEqual(pdfBytesOf(invoice));
    expect(io.requests[0]?.url).toBe(`${API}/v1/invoices/${invoice.id}/document?format=pdf`);
  });

  it('downloads HTML to --out', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const result = await run(
      ['invoices', 'download', invoice.id, '--format', 'html', '--out', 'nov.html'],
      cliAgainstApi(api, dir),
    );
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'nov.html'), 'utf8')).toBe(`<h1>Invoice ${invoice.id} — €</h1>`);
  });

  it('writes nothing when the invoice is a draft, and says why', async () => {
    const draft = await api.putInvoice(aDraftInvoice(), { documents: false });
    const result = await run(['invoices', 'download', draft.id], cliAgainstApi(api, dir));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('409 invoice_not_final: status: ');
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps a file name the server suggests inside the current directory', async () => {
    const io = fakeIo({ files: STATUS });
    const evil = async () =>
      new Response(new Uint8Array([1, 2, 3]), {
        status: 200,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': 'inline; filename="../../x.pdf"',
        },
      });
    const result = await run(['invoices', 'download', ID], { ...io, cwd: dir, fetch: evil as typeof fetch });
    expect(result.code).toBe(0);
    expect(await readdir(dir)).toEqual(['_.._x.pdf']);
  });

  it('lists invoices and runs billing through the real routes', async () => {
    await api.putInvoice(anInvoice());
    const io = cliAgainstApi(api, dir);
    const listed = await run(['invoices', 'list', '--tenant', 'acme', '--json'], io);
    expect(JSON.parse(listed.stdout).invoices.map((i: { id: string }) => i.id)).toEqual([ID]);
    const ran = await run(
      ['billing', 'run', '--tenant', 'acme', '--as-of', '2026-12-01'],
      cliAgainstApi(api, dir),
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(
      'billing run run-1 as of 2026-12-01T00:00:00.000Z: 1 invoice jobs queued for 1 tenants, 0 skipped\n',
    );
    expect(api.queue.sent).toHaveLength(1);
  });
});

describe('tollgate billing run', () => {
  it('sends asOf and tenant and lists skipped tenants', async () => {
    const summary = {
      runId: '01JE0RUN',
      asOf: '2026-12-01T00:00:00.000Z',
      jobs: 2,
      tenants: 3,
      skipped: [{ tenant: 'legacy', reason: 'plan "legacy" has no billing section' }],
      skippedCount: 1,
    };
    const io = fakeIo({ files: STATUS, api: () => [202, summary] });
    const result = await run(['billing', 'run', '--as-of', '2026-12-01T00:00:00Z'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'POST',
      url: `${API}/v1/billing-runs`,
      body: { asOf: '2026-12-01T00:00:00Z' },
    });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'billing run 01JE0RUN as of 2026-12-01T00:00:00.000Z: 2 invoice jobs queued for 3 tenants, 1 skipped',
    );
    expect(lines[1]).toMatch(/^SKIPPED\s+REASON$/);
    expect(lines[2]).toMatch(/^legacy\s+plan "legacy" has no billing section$/);
  });

  it('turns an API error about asOf into a usage error naming --as-of', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        400,
        {
          error: {
            code: 'invalid_billing_run',
            message: 'invalid billing run: asOf: must not be more than a day after now',
            field: 'asOf',
          },
        },
      ],
    });
    const result = await run(['billing', 'run', '--as-of', '2030-01-01'], io);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--as-of');
  });
});

describe('tollgate credits', () => {
  const grant = {
    id: 'welcome-2026',
    tenant: 'acme',
    name: 'Welcome credit',
    currency: 'USD',
    amount: '25.00',
    remaining: '25.00',
    priority: 100,
    effectiveAt: '2026-11-29T21:10:00.000Z',
    createdAt: '2026-11-29T21:10:00.000Z',
  };

  it('grants credit with every flag, the currency in upper case', async () => {
    const io = fakeIo({ files: STATUS, api: () => [201, { ...grant, created: true }] });
    const result = await run(
      [
        'credits',
        'grant',
        '--tenant',
        'acme',
        '--name',
        'Welcome credit',
        '--amount',
        '25.00',
        '--currency',
        'usd',
        '--priority',
        '0',
        '--effective-at',
        '2026-12-01T00:00:00Z',
        '--expires-at',
        '2027-12-01T00:00:00Z',
        '--id',
        'welcome-2026',
      ],
      io,
    );
    expect(result.code).toBe(0);
    expect(io.requests[0]).toMatchObject({
      method: 'POST',
      url: `${API}/v1/tenants/acme/credits`,
      body: {
        id: 'welcome-2026',
        name: 'Welcome credit',
        amount: '25.00',
        currency: 'USD',
        priority: 0,
        effectiveAt: '2026-12-01T00:00:00Z',
        expiresAt: '2027-12-01T00:00:00Z',
      },
    });
    expect(result.stdout).toBe('granted 25.00 USD to acme as welcome-2026\n');
  });

  it('says when the grant existed already', async () => {
    const io = fakeIo({ files: STATUS, api: () => [200, { ...grant, created: false }] });
    const result = await run(
      [
        'credits',
        'grant',
        '--tenant',
        'acme',
        '--name',
        'Welcome credit',
        '--amount',
        '25',
        '--id',
        'welcome-2026',
      ],
      io,
    );
    expect(io.requests[0]?.body).toEqual({ id: 'welcome-2026', name: 'Welcome credit', amount: '25' });
    expect(result.stdout).toBe(
      'credit grant welcome-2026 of acme exists with this content; nothing changed\n',
    );
  });

  it("turns an API error about the amount's decimals into a usage error naming --amount", async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        400,
        {
          error: {
            code: 'invalid_credit_grant',
            message:
              'invalid credit grant: amount: must have at most 0 decimal places (JPY has 0 decimal places)',
            field: 'amount',
          },
        },
      ],
    });
    const result = await run(
      ['credits', 'grant', '--tenant', 'acme', '--name', 'x', '--amount', '1.5', '--currency', 'JPY'],
      io,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--amount: ');
    expect(result.stderr).toContain('JPY has 0 decimal places');
  });

  it('lists grants and the balance usable now', async () => {
    const io = fakeIo({
      files: STATUS,
      api: () => [
        200,
        {
          tenant: 'acme',
          grants: [{ ...grant, remaining: '12.00', expiresAt: '2027-01-01T00:00:00.000Z' }],
          balance: { USD: '12.00' },
        },
      ],
    });
    const result = await run(['credits', 'list', '--tenant', 'acme'], io);
    expect(result.code).toBe(0);
    expect(io.requests[0]?.url).toBe(`${API}/v1/tenants/acme/credits`);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+AMOUNT\s+REMAINING\s+PRIORITY\s+EFFECTIVE\s+EXPIRES$/);
    expect(lines[1]).toMatch(
      /^welcome-2026\s+Welcome credit\s+25.00 USD\s+12.00\s+100\s+2026-11-29T21:10:00.000Z\s+2027-01-01T00:00:00.000Z$/,
    );
    expect(lines[2]).toBe('balance now: 12.00 USD');
  });
});
