/** The API's routes: method, path pattern, who may call it, and the handler. */

import { acknowledgeAlert, getAlert, listAlerts } from './routes/alert-routes.js';
import { postBillingRun } from './routes/billing-run-routes.js';
import {
  activateCatalogVersion,
  getCatalog,
  getHealth,
  listCatalogVersions,
  postCatalog,
} from './routes/catalog-routes.js';
import { listCreditGrants, postCreditGrant } from './routes/credit-routes.js';
import { postEvents, withIngestDeps } from './routes/event-routes.js';
import {
  getInvoice,
  getInvoiceDocument,
  getUpcomingInvoice,
  listInvoices,
  postVoidInvoice,
} from './routes/invoice-routes.js';
import { createIngestKey, listIngestKeys, revokeIngestKey } from './routes/key-routes.js';
import { listQuarantine, redriveQuarantine } from './routes/quarantine-routes.js';
import { createTenantToken, getTenant, putTenant } from './routes/tenant-routes.js';
import { getEntitlements, getUsage } from './routes/usage-routes.js';
import { type Route, route } from './routing.js';

/** Every route; on AWS, API Gateway sends `POST /v1/events` to the ingest function instead. */
export const ROUTES: readonly Route[] = [
  route('GET', '/v1/health', 'public', getHealth),
  route('POST', '/v1/events', 'ingest', withIngestDeps(postEvents)),
  route('PUT', '/v1/tenants/:tenant', 'admin', putTenant),
  route('GET', '/v1/tenants/:tenant', 'admin', getTenant),
  route('POST', '/v1/tenants/:tenant/tokens', 'admin', createTenantToken),
  route('POST', '/v1/tenants/:tenant/keys', 'admin', createIngestKey),
  route('GET', '/v1/tenants/:tenant/keys', 'admin', listIngestKeys),
  route('DELETE', '/v1/tenants/:tenant/keys/:keyId', 'admin', revokeIngestKey),
  route('GET', '/v1/tenants/:tenant/usage', 'tenant', getUsage),
  route('GET', '/v1/tenants/:tenant/entitlements', 'tenant', getEntitlements),
  route('GET', '/v1/quarantine', 'quarantine', listQuarantine),
  route('POST', '/v1/quarantine/redrive', 'admin', redriveQuarantine),
  route('POST', '/v1/catalog', 'admin', postCatalog),
  route('GET', '/v1/catalog', 'admin', getCatalog),
  route('GET', '/v1/catalog/versions', 'admin', listCatalogVersions),
  route('POST', '/v1/catalog/versions/:version/activate', 'admin', activateCatalogVersion),
  route('GET', '/v1/tenants/:tenant/invoices', 'tenant', listInvoices),
  // Before any `/invoices/:id`-like pattern: routes match in order.
  route('GET', '/v1/tenants/:tenant/invoices/upcoming', 'tenant', getUpcomingInvoice),
  route('GET', '/v1/invoices/:id', 'owner', getInvoice),
  route('GET', '/v1/invoices/:id/document', 'owner', getInvoiceDocument),
  route('POST', '/v1/invoices/:id/void', 'admin', postVoidInvoice),
  route('POST', '/v1/billing-runs', 'admin', postBillingRun),
  route('POST', '/v1/tenants/:tenant/credits', 'admin', postCreditGrant),
  route('GET', '/v1/tenants/:tenant/credits', 'tenant', listCreditGrants),
  route('GET', '/v1/alerts', 'quarantine', listAlerts),
  route('GET', '/v1/alerts/:id', 'owner', getAlert),
  route('POST', '/v1/alerts/:id/ack', 'owner', acknowledgeAlert),
];
