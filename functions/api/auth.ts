/**
 * Bearer-token authentication. The admin token is compared in constant time (sha256 digests
 * through `timingSafeEqual`); tenant tokens are looked up by their sha256 hex in the config
 * table, so the table never holds a usable token. Tokens are never logged.
 */
import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error.js';
import type { ApiDeps, ApiRequest } from './api-types.js';

export type Principal = { readonly role: 'admin' } | { readonly role: 'tenant'; readonly tenant: string };

/** Tenant tokens start with this, so a leaked one is recognisable (e.g. by secret scanners). */
export const TENANT_TOKEN_PREFIX = 'tg_t_';
/** Random bytes in a tenant token. */
export const TENANT_TOKEN_BYTES = 32;

/** Longer bearer values are refused without a lookup. */
const MAX_TOKEN_LENGTH = 512;
const TOKEN_PATTERN = /^[\x21-\x7E]+$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time equality of two secrets of any lengths. */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** A new tenant token: `tg_t_` and 32 random bytes in base64url. */
export function newTenantToken(randomBytes: (size: number) => Uint8Array = cryptoRandomBytes): string {
  return `${TENANT_TOKEN_PREFIX}${Buffer.from(randomBytes(TENANT_TOKEN_BYTES)).toString('base64url')}`;
}

function header(request: ApiRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="tollgate"' };

function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, 'authorization', undefined, CHALLENGE);
}

/** Who sent the request, from `Authorization: Bearer <token>`; throws a 401 `ApiError`. */
export async function authenticate(request: ApiRequest, deps: ApiDeps): Promise<Principal> {
  const value = header(request, 'authorization');
  if (value === undefined || value.trim() === '') {
    throw unauthorized('missing_token', 'authorization: send the header "Authorization: Bearer <token>"');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  const token = match?.[1];
  if (token === undefined) {
    throw unauthorized('invalid_token', 'authorization: must be "Bearer <token>"');
  }
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
    throw unauthorized('invalid_token', 'authorization: the bearer token is not valid');
  }
  const admin = typeof deps.adminToken === 'string' ? deps.adminToken : await deps.adminToken();
  if (admin !== '' && secretsEqual(token, admin)) return { role: 'admin' };
  const record = await deps.config.getToken(sha256Hex(token));
  if (record?.role === 'admin') return { role: 'admin' };
  if (record?.role === 'tenant' && record.tenant !== undefined)
    return { role: 'tenant', tenant: record.tenant };
  throw unauthorized('invalid_token', 'authorization: the bearer token is not valid');
}

export function forbidden(message: string, field: string): ApiError {
  return new ApiError(403, 'forbidden', message, field);
}

/** Admin only. */
export function requireAdmin(principal: Principal, field = 'authorization'): void {
  if (principal.role !== 'admin') {
    throw forbidden(
      `${field}: a tenant token may only read its own usage, entitlements and quarantine`,
      field,
    );
  }
}

/** The admin, or the tenant itself. */
export function requireTenantOrAdmin(principal: Principal, tenant: string, field = 'tenant'): void {
  if (principal.role === 'tenant' && principal.tenant !== tenant) {
    throw forbidden(`${field}: this token may only read tenant "${principal.tenant}"`, field);
  }
}
