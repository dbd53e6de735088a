/**
 * Invoices over the API: a tenant's invoices and upcoming invoice, one invoice, its documents,
 * and voiding. Also what every billing route (invoices, credits, billing runs) shares:
 * `withBillingDeps`, which answers 404 where the API has no billing and turns invoicing errors
 * into API errors, and `parseBody`.
 *
 * Tenant isolation: `GET /v1/invoices/{id}` and its document are `owner` routes. A tenant token
 * sees its own tenant's invoices only; any other id is 404 `invoice_not_found`, exactly as for an
 * id that does not exist, so ids of other tenants are never confirmed.
 */
import * as z from 'zod';
import type { ConfigIssue } from '../../../shared/catalog/catalog.js';
import { configErrorMap, toConfigIssues } from '../../../shared/catalog/config-issues.js';
import { INVOICE_ID_PATTERN, type Invoice } from '../../../shared/invoicing/invoice.js';
import { MAX_VOID_REASON, upcomingInvoice, voidInvoice } from '../../../shared/invoicing/invoice-actions.js';
import { InvoicingError, type InvoicingErrorCode } from '../../../shared/invoicing/invoicing-error.js';
import type { DocumentFormat } from '../../../shared/invoicing/ports.js';
import { ListingError } from '../../../shared/invoicing/ports.js';
import { ApiError, invalidInput, jsonResponse } from '../api-error.js';
import type { ApiResponse, BillingApiDeps } from '../api-types.js';
import type { Principal } from '../auth.js';
import { type RouteContext, type RouteHandler, readJsonBody, requireTenant } from '../route-context.js';

// ---------------------------------------------------------------------------------------------
// Shared by the billing routes
// ---------------------------------------------------------------------------------------------

/** Every invoicing error code as an HTTP status and the field it is about. */
const INVOICING_ERRORS: Readonly<Record<InvoicingErrorCode, { status: number; field: string }>> = {
  unknown_tenant: { status: 404, field: 'tenant' },
  unknown_plan: { status: 409, field: 'plan' },
  not_billable: { status: 409, field: 'plan' },
  no_active_catalog: { status: 409, field: 'catalog' },
  invalid_period: { status: 400, field: 'periodStart' },
  invoice_not_found: { status: 404, field: 'id' },
  invalid_state: { status: 409, field: 'status' },
  currency_mismatch: { status: 409, field: 'plan' },
};

/** An invoicing error (or a listing's bad cursor or limit) as the API answers it. */
export function billingApiError(error: unknown): ApiError | undefined {
  if (error instanceof InvoicingError) {
    const { status, field } = INVOICING_ERRORS[error.code];
    return new ApiError(status, error.code, error.message, field);
  }
  if (error instanceof ListingError) return new ApiError(400, error.code, error.message, error.field);
  return undefined;
}

export type BillingRouteHandler = (context: RouteContext, billing: BillingApiDeps) => Promise<ApiResponse>;

/**
 * A billing route: 404 `not_found`, like an unknown route, when the API was built without
 * billing; invoicing errors as API errors.
 */
export function withBillingDeps(handle: BillingRouteHandler): RouteHandler {
  return async (context) => {
    const billing = context.deps.billing;
    if (billing === undefined) {
      const { method, path } = context.request;
      throw new ApiError(404, 'not_found', `path: no route ${method.toUpperCase()} ${path}`, 'path');
    }
    try {
      return await handle(context, billing);
    } catch (error) {
      throw billingApiError(error) ?? error;
    }
  };
}

/** The JSON body checked by `schema` (strict objects: unknown properties are named); a 400 `code`. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  code: string,
  title: string,
): z.output<S> {
  const parsed = schema.safeParse(body, { error: configErrorMap });
  if (parsed.success) return parsed.data;
  const issues: ConfigIssue[] = toConfigIssues(parsed.error.issues, body, schema, []).map((issue) =>
    issue.path === '' ? { path: 'body', message: 'must be a JSON object' } : issue,
  );
  throw invalidInput(code, title, issues);
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

/** An invoice in a listing. */
export function invoiceSummaryJson(invoice: Invoice) {
  return {
    id: invoice.id,
    ...(invoice.number === undefined ? {} : { number: invoice.number }),
    status: invoice.status,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    credits: invoice.credits,
    total: invoice.total,
    ...(invoice.finalizedAt === undefined ? {} : { finalizedAt: invoice.finalizedAt }),
  };
}

/**
 * The whole invoice, except where its documents are stored (blob keys are the store's business):
 * `documentsReady` says whether `GET /v1/invoices/{id}/document` can answer yet, and
 * `documents` lists the API paths of each format once it can.
 */
export function invoiceJson(invoice: Invoice) {
  const { documents, ...rest } = invoice;
  const path = `/v1/invoices/${invoice.id}/document`;
  return {
    ...rest,
    documentsReady: documents !== undefined,
    ...(documents === undefined
      ? {}
      : {
          documents: { pdf: `${path}?format=pdf`, html: `${path}?format=html`, json: `${path}?format=json` },
        }),
  };
}

/** Page sizes of `GET /v1/tenants/{tenant}/invoices`. */
export const MAX_INVOICE_PAGE = 100;
const DEFAULT_INVOICE_PAGE = 20;
const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;

function pageLimit(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_INVOICE_PAGE;
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_INVOICE_PAGE) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `limit: must be a whole number from 1 to ${MAX_INVOICE_PAGE}, not "${text}"`,
      'limit',
    );
  }
  return value;
}

function pageCursor(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (!CURSOR_PATTERN.test(text)) {
    throw new ApiError(400, 'invalid_cursor', 'cursor: not a cursor of this listing', 'cursor');
  }
  return text;
}

function invoiceIdOfPath(params: Readonly<Record<string, string>>): string {
  const id = params.id ?? '';
  if (!INVOICE_ID_PATTERN.test(id)) {
    throw new ApiError(
      400,
      'invalid_invoice_id',
      'id: must be an invoice id: "in_" and 26 characters of 0-9 a-z (without i, l, o, u)',
      'id',
    );
  }
  return id;
}

/**
 * The invoice `id` if `principal` may see it: the admin sees every invoice, a tenant token the
 * invoices of its own tenant. Anything else is the same 404 as an unknown id.
 */
async function requireVisibleInvoice(
  billing: BillingApiDeps,
  principal: Principal | undefined,
  id: string,
): Promise<Invoice> {
  const invoice = await billing.invoicing.invoices.get(id);
  const visible =
    invoice !== undefined &&
    (principal?.role === 'admin' || (principal?.role === 'tenant' && principal.tenant === invoice.tenant));
  if (!visible) throw new ApiError(404, 'invoice_not_found', `id: no invoice "${id}"`, 'id');
  return invoice;
}

/** `GET /v1/tenants/{tenant}/invoices?limit=&cursor=`: newest period first, drafts included. */
export const listInvoices = withBillingDeps(async ({ request, deps, params }, billing) => {
  const limit = pageLimit(request.query.limit);
  const cursor = pageCursor(request.query.cursor);
  const profile = await requireTenant(deps, params.tenant ?? '');
  const page = await billing.invoicing.invoices.listByTenant(profile.tenant, {
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  });
  return jsonResponse(200, {
    tenant: profile.tenant,
    invoices: page.invoices.map(invoiceSummaryJson),
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  });
});

/** `GET /v1/tenants/{tenant}/invoices/upcoming`: the current period's running draft (not stored). */
export const getUpcomingInvoice = withBillingDeps(async ({ params }, billing) => {
  const invoice = await upcomingInvoice(billing.invoicing, params.tenant ?? '');
  return jsonResponse(200, invoiceJson(invoice));
});

/** `GET /v1/invoices/{id}`: the admin, or a token of the invoice's tenant. */
export const getInvoice = withBillingDeps(async ({ params, principal }, billing) => {
  const invoice = await requireVisibleInvoice(billing, principal, invoiceIdOfPath(params));
  return jsonResponse(200, invoiceJson(invoice));
});

const DOCUMENT_TYPES: Readonly<Record<DocumentFormat, { contentType: string; binary: boolean }>> = {
  pdf: { contentType: 'application/pdf', binary: true },
  html: { contentType: 'text/html; charset=utf-8', binary: false },
  json: { contentType: 'application/json; charset=utf-8', binary: false },
};

function documentFormat(text: string | undefined): DocumentFormat {
  const format = text === undefined || text.trim() === '' ? 'pdf' : text.trim().toLowerCase();
  if (!Object.hasOwn(DOCUMENT_TYPES, format)) {
    throw new ApiError(
      400,
      'invalid_parameter',
      `format: must be pdf, html or json, not "${text}"`,
      'format',
    );
  }
  return format as DocumentFormat;
}

/** `<number or id>.<format>`, with only characters that are safe in a file name. */
export function documentFileName(invoice: Invoice, format: DocumentFormat): string {
  return `${(invoice.number ?? invoice.id).replace(/[^A-Za-z0-9._@-]/g, '_')}.${format}`;
}

/**
 * `GET /v1/invoices/{id}/document?format=pdf|html|json` (default pdf): the stored document of a
 * finalized or void invoice, as rendered at finalization. A PDF is sent base64-encoded
 * (`isBase64Encoded`); each edge sends its bytes.
 */
export const getInvoiceDocument = withBillingDeps(async ({ request, params, principal }, billing) => {
  const id = invoiceIdOfPath(params);
  const format = documentFormat(request.query.format);
  const invoice = await requireVisibleInvoice(billing, principal, id);
  if (invoice.status === 'draft') {
    throw new ApiError(
      409,
      'invoice_not_final',
      `status: invoice ${id} is a draft; documents exist once it is finalized`,
      'status',
    );
  }
  if (invoice.documents === undefined) {
    throw new ApiError(
      409,
      'documents_pending',
      `documents: the documents of invoice ${id} are still being rendered; retry in a minute`,
      'documents',
    );
  }
  const key = invoice.documents[format];
  const bytes = await billing.documents.get(key);
  if (bytes === undefined) throw new Error(`invoice ${id}: the ${format} document "${key}" is missing`);
  const { contentType, binary } = DOCUMENT_TYPES[format];
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    status: 200,
    headers: {
      'content-type': contentType,
      'content-disposition': `inline; filename="${documentFileName(invoice, format)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(format === 'html'
        ? { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" }
        : {}),
    },
    body: binary ? body.toString('base64') : body.toString('utf8'),
    ...(binary ? { isBase64Encoded: true } : {}),
  };
});

const voidBodySchema = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_VOID_REASON, `must be at most ${MAX_VOID_REASON} characters`),
});

/**
 * `POST /v1/invoices/{id}/void` (admin), body `{reason}`: voids a finalized invoice and gives
 * back the credits it used; 409 `invalid_state` for a draft or an invoice already void.
 */
export const postVoidInvoice = withBillingDeps(async ({ request, params, deps }, billing) => {
  const id = invoiceIdOfPath(params);
  const { reason } = parseBody(
    voidBodySchema,
    readJsonBody(request),
    'invalid_void_request',
    'invalid void request',
  );
  const voided = await voidInvoice(billing.invoicing, id, reason);
  deps.logger.info('invoice voided', { id, tenant: voided.tenant, requestId: request.requestId });
  return jsonResponse(200, invoiceJson(voided));
});
