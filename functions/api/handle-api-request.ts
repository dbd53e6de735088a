/**
 * The request-handling core of the HTTP API: every route, authentication and authorization by
 * the admin token and tenant tokens (ingest keys for `POST /v1/events`), and the domain errors
 * that are the caller's fault. The API Gateway handler and the local server only translate
 * their requests into `ApiRequest` and back.
 */
import { CatalogError } from '../../shared/catalog/catalog.js';
import { isTenantId } from '../../shared/catalog/tenant-profile.js';
import { QuarantineQueryError } from '../../shared/quarantine/quarantine-query.js';
import { UsageError } from '../../shared/usage/usage-error.js';
import { ApiError, invalidInput } from './api-error.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './api-types.js';
import {
  authenticate,
  authenticateIngestKey,
  type Principal,
  requireAdmin,
  requireTenantOrAdmin,
} from './auth.js';
import { ROUTES } from './route-table.js';
import { ingestApiDeps } from './routes/event-routes.js';
import { type Route, serveRoutes } from './routing.js';

async function authorize(
  route: Route,
  request: ApiRequest,
  deps: ApiDeps,
  params: Record<string, string>,
): Promise<Principal | undefined> {
  if (route.access === 'public') return undefined;
  if (route.access === 'ingest') return authenticateIngestKey(request, ingestApiDeps(deps).ingest.keys);
  const principal: Principal = await authenticate(request, deps);
  const tenant = params.tenant;
  if (tenant !== undefined && !isTenantId(tenant)) {
    throw new ApiError(
      400,
      'invalid_tenant',
      'tenant: must be 1–128 characters of A-Z a-z 0-9 . _ : @ -',
      'tenant',
    );
  }
  if (route.access === 'admin') requireAdmin(principal);
  if (route.access === 'tenant') requireTenantOrAdmin(principal, tenant ?? '');
  return principal;
}

/** Domain errors → API errors; anything else is not the caller's fault (undefined). */
function apiErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof UsageError) {
    return new ApiError(error.code === 'unknown_meter' ? 404 : 400, error.code, error.message, error.field);
  }
  if (error instanceof QuarantineQueryError) return new ApiError(400, error.code, error.message, error.field);
  if (error instanceof CatalogError) {
    if (error.code === 'unknown_plan') {
      return new ApiError(
        409,
        'unknown_plan',
        "plan: the tenant's plan is not in the active catalog; PUT the tenant with a plan that is",
        'plan',
      );
    }
    if (error.code === 'invalid_catalog')
      return invalidInput('invalid_catalog', 'invalid catalog', error.issues);
  }
  return undefined;
}

export function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  return serveRoutes(request, deps, { routes: ROUTES, authorize, apiErrorOf });
}
