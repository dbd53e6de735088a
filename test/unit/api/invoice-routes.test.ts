import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiGatewayResult } from '../../../functions/api/api-gateway.js';
import { type ApiServer, startApiServer } from '../../../functions/api/local-server.js';
import { invoiceIdOf } from '../../../shared/invoicing/invoice.js';
import { aDraftInvoice, anInvoice, aVoidInvoice, INVOICE_TENANT } from '../../factories/invoices.js';
import { ACME_TOKEN, ADMIN_TOKEN, expectError, GLOBEX_TOKEN, testApi } from './api-fakes.js';
import { type BillingTestApi, billingTestApi, pdfBytesOf, SHIPPED_CATALOG } from './billing-api-fakes.js';

let api: BillingTestApi;

beforeEach(async () => {
  api = await billingTestApi();
});

/** An invoice of acme for the month starting `periodStart`. */
function acmeInvoice(periodStart: string, sequence: number) {
  return anInvoice({ periodStart, sequence, number: `acme-00000${sequence}` });
}

describe('GET /v1/tenants/{tenant}/invoices', () => {
  it('lists summaries newest period first, a page at a time', async () => {
    await api.putInvoice(acmeInvoice('2026-09-01T00:00:00.000Z', 2));
    await api.putInvoice(acmeInvoice('2026-10-01T00:00:00.000Z', 3));
    await api.putInvoice(anInvoice());
    await api.putInvoice(anInvoice({ tenant: 'globex' }));

    const first = await api.call('GET', '/v1/tenants/acme/invoices', { query: { limit: '2' } });
    expect(first.status).toBe(200);
    expect(first.json.invoices.map((i: { number: string }) => i.number)).toEqual([
      'acme-000004',
      'acme-000003',
    ]);
    expect(first.json.invoices[0]).toEqual({
      id: invoiceIdOf('acme', '2026-11-01T00:00:00.000Z'),
      number: 'acme-000004',
      status: 'finalized',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      currency: 'USD',
      subtotal: '55.64',
      credits: '10.00',
      total: '45.64',
      finalizedAt: '2026-12-03T09:15:00.000Z',
    });
    expect(typeof first.json.cursor).toBe('string');

    const second = await api.call('GET', '/v1/tenants/acme/invoices', {
      query: { limit: '2', cursor: first.json.cursor },
    });
    expect(second.json.invoices.map((i: { number: string }) => i.number)).toEqual(['acme-000002']);
    expect(second.json).not.toHaveProperty('cursor');
  });

  it('shows a draft without a number or finalization time', async () => {
    await api.putInvoice(aDraftInvoice(), { documents: false });
    const response = await api.call('GET', '/v1/tenants/acme/invoices', { token: ACME_TOKEN });
    expect(response.status).toBe(200);
    expect(response.json.invoices).toHaveLength(1);
    expect(response.json.invoices[0].status).toBe('draft');
    expect(response.json.invoices[0]).not.toHaveProperty('number');
    expect(response.json.invoices[0]).not.toHaveProperty('finalizedAt');
  });

  it("refuses another tenant's token with 403, as for usage", async () => {
    await api.putInvoice(anInvoice());
    const response = await api.call('GET', '/v1/tenants/acme/invoices', { token: GLOBEX_TOKEN });
    expectError(response, 403, 'forbidden', 'tenant');
  });

  it.each([
    [{ limit: '0' }, 'invalid_parameter', 'limit'],
    [{ limit: '101' }, 'invalid_parameter', 'limit'],
    [{ limit: '2.5' }, 'invalid_parameter', 'limit'],
    [{ cursor: 'not a cursor!' }, 'invalid_cursor', 'cursor'],
  ])('answers 400 for %j naming the parameter', async (query, code, field) => {
    const response = await api.call('GET', '/v1/tenants/acme/invoices', { query });
    expectError(response, 400, code, field);
  });

  it('answers 404 for a tenant that was not set up', async () => {
    expectError(await api.call('GET', '/v1/tenants/nobody/invoices'), 404, 'unknown_tenant', 'tenant');
  });

  it('answers 404 not_found, like an unknown route, where the API has no billing', async () => {
    const plain = testApi(SHIPPED_CATALOG);
    await plain.config.putTenant({ tenant: 'acme', plan: 'pro', status: 'active' });
    expectError(await plain.call('GET', '/v1/tenants/acme/invoices'), 404, 'not_found', 'path');
    expectError(await plain.call('GET', `/v1/invoices/${anInvoice().id}`), 404, 'not_found', 'path');
    expectError(await plain.call('POST', '/v1/billing-runs', { body: {} }), 404, 'not_found', 'path');
  });
});

describe('GET /v1/tenants/{tenant}/invoices/upcoming', () => {
  it("answers the tenant's running draft of the current period, stored nowhere", async () => {
    // acme on pro, no usage, on 2026-11-30: the November period. Pro platform fee 49.00, no
    // usage charges (every usage line 0.00); subtotal 49.00, no credits.
    const response = await api.call('GET', '/v1/tenants/acme/invoices/upcoming', { token: ACME_TOKEN });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: invoiceIdOf('acme', '2026-11-01T00:00:00.000Z'),
      tenant: 'acme',
      status: 'draft',
      currency: 'USD',
      plan: 'pro',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      subtotal: '49.00',
      credits: '0.00',
      total: '49.00',
      documentsReady: false,
    });
    expect(response.json.lines).toContainEqual(
      expect.objectContaining({ kind: 'fee', description: 'Pro platform fee', amount: '49.00' }),
    );
    expect(response.json.lines.filter((line: { kind: string }) => line.kind !== 'fee')).not.toContainEqual(
      expect.objectContaining({ amount: expect.not.stringMatching(/^0\.00$/) }),
    );
    expect(api.store.invoices.size).toBe(0);
  });

  it("refuses another tenant's token with 403", async () => {
    const response = await api.call('GET', '/v1/tenants/acme/invoices/upcoming', { token: GLOBEX_TOKEN });
    expectError(response, 403, 'forbidden', 'tenant');
  });

  it('answers 409 not_billable for a plan without billing, 404 for an unknown tenant', async () => {
    expectError(await api.call('GET', '/v1/tenants/legacy/invoices/upcoming'), 409, 'not_billable', 'plan');
    expectError(
      await api.call('GET', '/v1/tenants/nobody/invoices/upcoming'),
      404,
      'unknown_tenant',
      'tenant',
    );
  });

  it('answers 409 no_active_catalog before a catalog is published', async () => {
    api.config.active = undefined;
    const response = await api.call('GET', '/v1/tenants/acme/invoices/upcoming');
    expectError(response, 409, 'no_active_catalog', 'catalog');
  });
});

describe('GET /v1/invoices/{id}', () => {
  it('answers the whole invoice: lines, totals, history, warnings and document links, not storage keys', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.call('GET', `/v1/invoices/${invoice.id}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: invoice.id,
      number: 'acme-000004',
      status: 'finalized',
      subtotal: '55.64',
      credits: '10.00',
      total: '45.64',
      currency: 'USD',
      periodStart: '2026-11-01T00:00:00.000Z',
      periodEnd: '2026-12-01T00:00:00.000Z',
      warnings: [],
      history: invoice.history,
      documentsReady: true,
    });
    expect(response.json.lines[1]).toEqual({
      key: 'input_tokens:gpt-4o',
      kind: 'usage',
      description: 'Input tokens',
      plan: 'pro',
      meter: 'input_tokens',
      group: { model: 'gpt-4o' },
      quantity: '1234567',
      unitPrice: '0.0000025',
      amount: '3.09',
      preciseAmount: '3.0864175',
    });
    // API paths of the documents, never the blob keys they are stored under.
    expect(response.json.documents).toEqual({
      pdf: `/v1/invoices/${invoice.id}/document?format=pdf`,
      html: `/v1/invoices/${invoice.id}/document?format=html`,
      json: `/v1/invoices/${invoice.id}/document?format=json`,
    });
    expect(JSON.stringify(response.json)).not.toContain(String(invoice.documents?.pdf));
  });

  it("lets a tenant token read its own tenant's invoice", async () => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.call('GET', `/v1/invoices/${invoice.id}`, { token: ACME_TOKEN });
    expect(response.status).toBe(200);
    expect(response.json.tenant).toBe(INVOICE_TENANT);
  });

  it("answers another tenant's token exactly as for an id that does not exist", async () => {
    const invoice = await api.putInvoice(anInvoice());
    const unknownId = invoiceIdOf('acme', '2020-01-01T00:00:00.000Z');
    const foreign = await api.call('GET', `/v1/invoices/${invoice.id}`, { token: GLOBEX_TOKEN });
    const unknown = await api.call('GET', `/v1/invoices/${unknownId}`, { token: GLOBEX_TOKEN });
    expectError(foreign, 404, 'invoice_not_found', 'id');
    expect(foreign.body.replace(invoice.id, 'ID')).toBe(unknown.body.replace(unknownId, 'ID'));
    expect(foreign.body).not.toContain('acme');
  });

  it('answers 400 naming id for something that is not an invoice id, before any lookup', async () => {
    for (const id of ['in_short', 'INV-1', `in_${'i'.repeat(26)}`]) {
      expectError(await api.call('GET', `/v1/invoices/${id}`), 400, 'invalid_invoice_id', 'id');
    }
  });

  it('needs a token', async () => {
    const invoice = await api.putInvoice(anInvoice());
    expectError(
      await api.call('GET', `/v1/invoices/${invoice.id}`, { token: null }),
      401,
      'missing_token',
      'authorization',
    );
  });
});

describe('GET /v1/invoices/{id}/document', () => {
  it('sends the PDF by default, base64-encoded, inline with the invoice number as file name', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.raw('GET', `/v1/invoices/${invoice.id}/document`);
    expect(response.status).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(new Uint8Array(Buffer.from(response.body, 'base64'))).toEqual(pdfBytesOf(invoice));
    expect(response.headers).toMatchObject({
      'content-type': 'application/pdf',
      'content-disposition': 'inline; filename="acme-000004.pdf"',
      'x-content-type-options': 'nosniff',
    });
  });

  it.each([
    ['html', 'text/html; charset=utf-8', '<h1>Invoice'],
    ['json', 'application/json; charset=utf-8', '{"id":'],
  ])('sends %s as UTF-8 text', async (format, contentType, start) => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.raw('GET', `/v1/invoices/${invoice.id}/document`, { query: { format } });
    expect(response.status).toBe(200);
    expect(response.isBase64Encoded).toBeUndefined();
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['content-disposition']).toBe(`inline; filename="acme-000004.${format}"`);
    expect(response.body.startsWith(start)).toBe(true);
  });

  it('sends the documents of a void invoice too', async () => {
    const invoice = await api.putInvoice(aVoidInvoice());
    expect((await api.raw('GET', `/v1/invoices/${invoice.id}/document`)).status).toBe(200);
  });

  it("lets a tenant token download its own invoice and answers 404 to another tenant's", async () => {
    const invoice = await api.putInvoice(anInvoice());
    const draft = await api.putInvoice(aDraftInvoice({ periodStart: '2026-12-01T00:00:00.000Z' }), {
      documents: false,
    });
    expect((await api.raw('GET', `/v1/invoices/${invoice.id}/document`, { token: ACME_TOKEN })).status).toBe(
      200,
    );
    for (const id of [invoice.id, draft.id]) {
      const response = await api.call('GET', `/v1/invoices/${id}/document`, { token: GLOBEX_TOKEN });
      expectError(response, 404, 'invoice_not_found', 'id');
    }
  });

  it('answers 409 invoice_not_final naming status for a draft', async () => {
    const draft = await api.putInvoice(aDraftInvoice(), { documents: false });
    expectError(
      await api.call('GET', `/v1/invoices/${draft.id}/document`),
      409,
      'invoice_not_final',
      'status',
    );
  });

  it('answers 409 documents_pending while a finalized invoice has no documents yet', async () => {
    const invoice = await api.putInvoice(anInvoice(), { documents: false });
    const response = await api.call('GET', `/v1/invoices/${invoice.id}/document`, {
      query: { format: 'html' },
    });
    expectError(response, 409, 'documents_pending', 'documents');
  });

  it('answers 400 naming format for an unknown format', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.call('GET', `/v1/invoices/${invoice.id}/document`, {
      query: { format: 'docx' },
    });
    expectError(response, 400, 'invalid_parameter', 'format');
  });

  it('answers 500 without details when a recorded document is missing from the store', async () => {
    const invoice = await api.putInvoice(anInvoice());
    api.documents.blobs.clear();
    const response = await api.call('GET', `/v1/invoices/${invoice.id}/document`);
    expect(response.status).toBe(500);
    expect(response.json).toEqual({
      error: { code: 'internal_error', message: 'internal error; the cause is logged' },
    });
    expect(api.logs.some((log) => log.level === 'error')).toBe(true);
  });
});

describe('POST /v1/invoices/{id}/void', () => {
  it('voids a finalized invoice with its reason and gives back the credits it used', async () => {
    const invoice = await api.putInvoice(anInvoice());
    await api.store.createGrant({
      id: 'welcome-2026',
      tenant: 'acme',
      name: 'Welcome credit',
      currency: 'USD',
      amountMinor: 1000n,
      remainingMinor: 0n,
      priority: 100,
      effectiveAt: '2026-10-01T00:00:00.000Z',
      createdAt: '2026-10-01T00:00:00.000Z',
    });
    const response = await api.call('POST', `/v1/invoices/${invoice.id}/void`, {
      body: { reason: 'Billed on the wrong plan' },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: invoice.id,
      status: 'void',
      number: 'acme-000004',
      voidReason: 'Billed on the wrong plan',
      voidedAt: '2026-11-30T12:34:00.000Z',
    });
    expect(response.json.history.at(-1)).toEqual({
      at: '2026-11-30T12:34:00.000Z',
      status: 'void',
      reason: 'Billed on the wrong plan',
    });
    expect(api.store.invoices.get(invoice.id)?.status).toBe('void');
    expect(api.store.grants.get('acme/welcome-2026')?.remainingMinor).toBe(1000n);
  });

  it('answers 409 invalid_state to a second void, and to a draft', async () => {
    const invoice = await api.putInvoice(anInvoice());
    const draft = await api.putInvoice(aDraftInvoice({ periodStart: '2026-12-01T00:00:00.000Z' }), {
      documents: false,
    });
    const body = { reason: 'duplicate' };
    expect((await api.call('POST', `/v1/invoices/${invoice.id}/void`, { body })).status).toBe(200);
    expectError(
      await api.call('POST', `/v1/invoices/${invoice.id}/void`, { body }),
      409,
      'invalid_state',
      'status',
    );
    expectError(
      await api.call('POST', `/v1/invoices/${draft.id}/void`, { body }),
      409,
      'invalid_state',
      'status',
    );
  });

  it('answers 404 invoice_not_found for an unknown id', async () => {
    const response = await api.call('POST', `/v1/invoices/${anInvoice().id}/void`, { body: { reason: 'x' } });
    expectError(response, 404, 'invoice_not_found', 'id');
  });

  it.each([
    [{}, 'reason'],
    [{ reason: '   ' }, 'reason'],
    [{ reason: 'x'.repeat(501) }, 'reason'],
    [{ reason: 42 }, 'reason'],
    [{ reason: 'ok', note: 'extra' }, 'note'],
    [[], 'body'],
  ])('answers 400 for the body %j naming %s', async (body, field) => {
    const invoice = await api.putInvoice(anInvoice());
    const response = await api.call('POST', `/v1/invoices/${invoice.id}/void`, { body });
    expectError(response, 400, 'invalid_void_request', field);
    expect(api.store.invoices.get(invoice.id)?.status).toBe('finalized');
  });

  it('needs a body, and the admin', async () => {
    const invoice = await api.putInvoice(anInvoice());
    expectError(await api.call('POST', `/v1/invoices/${invoice.id}/void`), 400, 'missing_body', 'body');
    const response = await api.call('POST', `/v1/invoices/${invoice.id}/void`, {
      token: ACME_TOKEN,
      body: { reason: 'mine' },
    });
    expectError(response, 403, 'forbidden', 'authorization');
  });
});

describe('binary answers at the edges', () => {
  let server: ApiServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('API Gateway gets isBase64Encoded only when the body is base64', () => {
    const pdf = {
      status: 200,
      headers: { 'content-type': 'application/pdf' },
      body: 'JVBERi0=',
      isBase64Encoded: true,
    };
    expect(apiGatewayResult(pdf)).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/pdf' },
      body: 'JVBERi0=',
      isBase64Encoded: true,
    });
    expect(apiGatewayResult({ status: 200, headers: {}, body: '{}' })).not.toHaveProperty('isBase64Encoded');
  });

  it('the local server sends the PDF bytes themselves', async () => {
    const invoice = await api.putInvoice(anInvoice());
    server = await startApiServer({ port: 0, deps: api.deps });
    const response = await fetch(`${server.url}/v1/invoices/${invoice.id}/document?format=pdf`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes).toEqual(pdfBytesOf(invoice));
    expect(response.headers.get('content-length')).toBe(String(bytes.byteLength));
  });
});
