/**
 * What both request-handling cores share (the API's, handle-api-request.ts, and the ingest
 * function's, handle-ingest-request.ts): routes and their matching, and `serveRoutes`, which
 * routes a request, authorizes it, runs the handler and maps every error to a JSON body with a
 * stable code. Each core brings its routes, its authorization and its domain errors, so the
 * ingest function bundles none of the read API's code.
 */
import { ApiError, errorResponse, jsonResponse } from './api-error.js';
import type { ApiDeps, ApiLogger, ApiRequest, ApiResponse } from './api-types.js';
import type { Principal } from './auth.js';
import type { RouteHandler } from './route-context.js';

/**
 * - `public`: no token;
 * - `admin`: the admin token;
 * - `tenant`: the admin, or a token of the `{tenant}` in the path;
 * - `quarantine`: the admin, or a tenant token listing its own tenant (`?tenant=`);
 * - `owner`: the admin, or any tenant token; the handler finds the resource's tenant and answers
 *   404 to another tenant's token, as if the resource did not exist (invoices by id);
 * - `ingest`: an ingest key (`tg_k_…`), and nothing else.
 */
export type Access = 'public' | 'admin' | 'tenant' | 'quarantine' | 'owner' | 'ingest';

/** `D`: the dependencies of the function serving the route. */
export interface Route<D = ApiDeps> {
  readonly method: string;
  /** Segments; `:name` captures one (decoded) segment. */
  readonly pattern: readonly string[];
  readonly access: Access;
  readonly handle: RouteHandler<D>;
}

export function route<D = ApiDeps>(
  method: string,
  path: string,
  access: Access,
  handle: RouteHandler<D>,
): Route<D> {
  return { method, pattern: path.split('/').filter(Boolean), access, handle };
}

export type RouteMatch<D = ApiDeps> =
  | { readonly kind: 'found'; readonly route: Route<D>; readonly params: Record<string, string> }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not_found' };

function matchPattern(
  pattern: readonly string[],
  segments: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const part = pattern[i] ?? '';
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

/** Matches decoded path segments against the routes. */
export function matchRoute<D>(
  method: string,
  segments: readonly string[],
  routes: readonly Route<D>[],
): RouteMatch<D> {
  const allow: string[] = [];
  for (const candidate of routes) {
    const params = matchPattern(candidate.pattern, segments);
    if (params === undefined) continue;
    if (candidate.method === method) return { kind: 'found', route: candidate, params };
    allow.push(candidate.method);
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}

function pathSegments(path: string): string[] {
  const segments = path.split('/').filter((segment) => segment !== '');
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new ApiError(400, 'invalid_path', 'path: contains malformed percent-encoding', 'path');
  }
}

export interface ServeOptions<D> {
  readonly routes: readonly Route<D>[];
  /** Who sent the request, for a route and its path parameters; throws a 4xx `ApiError`. */
  readonly authorize: (
    route: Route<D>,
    request: ApiRequest,
    deps: D,
    params: Record<string, string>,
  ) => Promise<Principal | undefined>;
  /** Errors that are the caller's fault, as API errors; undefined for anything else (a 500). */
  readonly apiErrorOf: (error: unknown) => ApiError | undefined;
}

export async function serveRoutes<D extends { readonly logger: ApiLogger }>(
  request: ApiRequest,
  deps: D,
  options: ServeOptions<D>,
): Promise<ApiResponse> {
  const method = request.method.toUpperCase();
  let response: ApiResponse;
  try {
    const match = matchRoute(method, pathSegments(request.path), options.routes);
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
    const principal = await options.authorize(match.route, request, deps, match.params);
    response = await match.route.handle({
      request,
      deps,
      params: match.params,
      ...(principal === undefined ? {} : { principal }),
    });
  } catch (error) {
    const known = options.apiErrorOf(error);
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
