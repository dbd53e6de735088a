/** The API's routes: method, path pattern, who may call it, and the handler. */
import type { RouteHandler } from './route-context.js';
import {
  activateCatalogVersion,
  getCatalog,
  getHealth,
  listCatalogVersions,
  postCatalog,
} from './routes/catalog-routes.js';
import { listQuarantine, redriveQuarantine } from './routes/quarantine-routes.js';
import { createTenantToken, getTenant, putTenant } from './routes/tenant-routes.js';
import { getEntitlements, getUsage } from './routes/usage-routes.js';

/**
 * - `public`: no token;
 * - `admin`: the admin token;
 * - `tenant`: the admin, or a token of the `{tenant}` in the path;
 * - `quarantine`: the admin, or a tenant token listing its own tenant (`?tenant=`).
 */
export type Access = 'public' | 'admin' | 'tenant' | 'quarantine';

export interface Route {
  readonly method: string;
  /** Segments; `:name` captures one (decoded) segment. */
  readonly pattern: readonly string[];
  readonly access: Access;
  readonly handle: RouteHandler;
}

function route(method: string, path: string, access: Access, handle: RouteHandler): Route {
  return { method, pattern: path.split('/').filter(Boolean), access, handle };
}

export const ROUTES: readonly Route[] = [
  route('GET', '/v1/health', 'public', getHealth),
  route('PUT', '/v1/tenants/:tenant', 'admin', putTenant),
  route('GET', '/v1/tenants/:tenant', 'admin', getTenant),
  route('POST', '/v1/tenants/:tenant/tokens', 'admin', createTenantToken),
  route('GET', '/v1/tenants/:tenant/usage', 'tenant', getUsage),
  route('GET', '/v1/tenants/:tenant/entitlements', 'tenant', getEntitlements),
  route('GET', '/v1/quarantine', 'quarantine', listQuarantine),
  route('POST', '/v1/quarantine/redrive', 'admin', redriveQuarantine),
  route('POST', '/v1/catalog', 'admin', postCatalog),
  route('GET', '/v1/catalog', 'admin', getCatalog),
  route('GET', '/v1/catalog/versions', 'admin', listCatalogVersions),
  route('POST', '/v1/catalog/versions/:version/activate', 'admin', activateCatalogVersion),
];

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
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
export function matchRoute(method: string, segments: readonly string[], routes = ROUTES): RouteMatch {
  const allow: string[] = [];
  for (const candidate of routes) {
    const params = matchPattern(candidate.pattern, segments);
    if (params === undefined) continue;
    if (candidate.method === method) return { kind: 'found', route: candidate, params };
    allow.push(candidate.method);
  }
  return allow.length > 0 ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
}
