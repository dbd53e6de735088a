/** What a route handler gets, and the lookups several routes share. */
import type { CompiledCatalog } from '../../shared/catalog/compiled-catalog.js';
import { compileCatalog } from '../../shared/catalog/compiled-catalog.js';
import type { TenantProfile } from '../../shared/catalog/tenant-profile.js';
import { ApiError, MAX_BODY_BYTES, payloadTooLarge } from './api-error.js';
import type { ApiDeps, ApiRequest, ApiResponse } from './api-types.js';
import type { Principal } from './auth.js';

/** `D`: the dependencies of the function serving the route (the ingest function has fewer). */
export interface RouteContext<D = ApiDeps> {
  readonly request: ApiRequest;
  readonly deps: D;
  /** Decoded path parameters (`tenant`, `version`, `keyId`). */
  readonly params: Readonly<Record<string, string>>;
  /** Absent on public routes. */
  readonly principal?: Principal;
}

export type RouteHandler<D = ApiDeps> = (context: RouteContext<D>) => Promise<ApiResponse>;

export interface ActiveCatalog {
  readonly version: number;
  readonly compiled: CompiledCatalog;
}

const compiledByHash = new Map<string, CompiledCatalog>();

/** The active catalog, compiled (once per content hash); 409 when none is active. */
export async function requireActiveCatalog(deps: ApiDeps): Promise<ActiveCatalog> {
  const active = await deps.config.activeCatalog();
  if (active === undefined) {
    throw new ApiError(
      409,
      'no_active_catalog',
      'catalog: no catalog is active; publish one with POST /v1/catalog (tollgate catalog push)',
      'catalog',
    );
  }
  let compiled = compiledByHash.get(active.hash);
  if (compiled === undefined) {
    compiled = compileCatalog(active.catalog);
    if (compiledByHash.size > 16) compiledByHash.clear();
    if (active.hash !== '') compiledByHash.set(active.hash, compiled);
  }
  return { version: active.version, compiled };
}

/** The tenant's profile; 404 when the tenant has not been set up. */
export async function requireTenant(deps: ApiDeps, tenant: string): Promise<TenantProfile> {
  const profile = await deps.config.getTenant(tenant);
  if (profile === undefined) {
    throw new ApiError(
      404,
      'unknown_tenant',
      `tenant: "${tenant}" has not been set up (PUT /v1/tenants/${tenant})`,
      'tenant',
    );
  }
  return profile;
}

/**
 * The body parsed as JSON. No body is `undefined` when `optional`, else a 400; more than 1 MiB
 * is a 413; invalid JSON is a 400 naming `body`.
 */
export function readJsonBody(request: ApiRequest, options: { readonly optional?: boolean } = {}): unknown {
  const text = request.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw payloadTooLarge();
  if (text.trim() === '') {
    if (options.optional === true) return undefined;
    throw new ApiError(400, 'missing_body', 'body: a JSON body is required', 'body');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw new ApiError(400, 'invalid_json', `body: not valid JSON${detail}`, 'body');
  }
}
