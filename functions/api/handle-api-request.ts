/**
 * The one request-handling core of the HTTP API: routing, authentication and authorization,
 * and the mapping of every error to a JSON body with a stable code. The API Gateway handler
 * and the local server only translate their requests into `ApiRequest` and back.
 */
import { CatalogError } from '../../shared/catalog/catalog.js';
import { isTenantId } from '../../shared/catalog/tenant-profile.js';
import { QuarantineQueryError } from '../../shared/quarantine/quarantine-query.js';
import { UsageError } from '../../shared/usage/usage-error.js';
import { ApiError, errorResponse, invalidInput, jsonResponse } from './api-error.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './api-types.js';
import { authenticate, type Principal, requireAdmin, requireTenantOrAdmin } from './auth.js';
import { matchRoute, type Route } from './route-table.js';

function pathSegments(path: string): string[] {
  const segments = path.split('/').filter((segment) => segment !== '');
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new ApiError(400, 'invalid_path', 'path: contains malformed percent-encoding', 'path');
  }
}

async function authorize(route: Route, request: ApiRequest, deps: ApiDeps, params: Record<string, string>) {
  if (route.access === 'public') return undefined;
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

export async function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const method = request.method.toUpperCase();
  let response: ApiResponse;
  try {
    const match = matchRoute(method, pathSegments(request.path));
    if (match.kind === 'not_found') {
      throw new ApiError(404, 'not_found', `path: no route ${method} ${request.path}`, 'path');
    }
    if (match.kind === 'method_not_allowed') {
      throw new ApiError(
        405,
        'method_not_allowed',
        `method: ${method} is not allowed on ${request.path} (allowed: ${match.allow.join(', ')})`,
        'method',
        undefined,
        { allow: match.allow.join(', ') },
      );
    }
    const principal = await authorize(match.route, request, deps, match.params);
    response = await match.route.handle({
      request,
      deps,
      params: match.params,
      ...(principal === undefined ? {} : { principal }),
    });
  } catch (error) {
    const known = apiErrorOf(error);
    if (known !== undefined) {
      response = errorResponse(known);
    } else {
      deps.logger.error('request failed', {
        method,
        path: request.path,
        requestId: request.requestId,
        error,
      });
      response = jsonResponse(500, {
        error: {
          code: 'internal_error',
          message: 'internal error; the cause is logged',
          ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
        },
      });
    }
  }
  deps.logger.info('request', {
    method,
    path: request.path,
    status: response.status,
    requestId: request.requestId,
  });
  return response;
}
