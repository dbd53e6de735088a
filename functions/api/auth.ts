/**
 * Bearer-token authentication. The admin token is compared in constant time (sha256 digests
 * through `timingSafeEqual`); tenant tokens and ingest keys are looked up by their sha256 hex
 * in the config table, so the table never holds a usable token. Tokens are never logged.
 *
 * The credentials do not overlap: an ingest key (`tg_k_…`) authenticates `POST /v1/events`
 * and nothing else; tenant tokens and the admin token authenticate everything but that route.
 */
import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import {
  effectiveLimits,
  INGEST_KEY_BYTES,
  INGEST_KEY_PREFIX,
  type IngestKeyLookup,
  isIngestKeyFormat,
} from '../../shared/ingest/ingest-keys.js';
import type { RateLimits } from '../../shared/ingest/rate-limit.js';
import { ApiError } from './api-error.js';
import type { ApiDeps, ApiRequest } from './api-types.js';

/** Who sent an ingest request: the key's tenant and id, and the limits the key is held to. */
export interface IngestPrincipal {
  readonly role: 'ingest';
  readonly tenant: string;
  readonly keyId: string;
  readonly limits: RateLimits;
}

export type Principal =
  | { readonly role: 'admin' }
  | { readonly role: 'tenant'; readonly tenant: string }
  | IngestPrincipal;

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

/** A new ingest key: `tg_k_` and 32 random bytes in base64url. */
export function newIngestKey(randomBytes: (size: number) => Uint8Array = cryptoRandomBytes): string {
  return `${INGEST_KEY_PREFIX}${Buffer.from(randomBytes(INGEST_KEY_BYTES)).toString('base64url')}`;
}

/** A header's value, whatever the case of its name. */
export function header(request: ApiRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="tollgate"' };

function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, 'authorization', undefined, CHALLENGE);
}

/** The token of `Authorization: Bearer <token>`; throws a 401 `ApiError`. */
function bearerToken(request: ApiRequest): string {
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
  return token;
}

/** Who sent the request, from `Authorization: Bearer <token>`; throws a 401 `ApiError`. */
export async function authenticate(request: ApiRequest, deps: ApiDeps): Promise<Principal> {
  const token = bearerToken(request);
  if (isIngestKeyFormat(token)) {
    throw unauthorized(
      'invalid_token',
      'authorization: an ingest key (tg_k_…) may only send events (POST /v1/events)',
    );
  }
  const admin = typeof deps.adminToken === 'string' ? deps.adminToken : await deps.adminToken();
  if (admin !== '' && secretsEqual(token, admin)) return { role: 'admin' };
  const record = await deps.config.getToken(sha256Hex(token));
  if (record?.role === 'admin') return { role: 'admin' };
  if (record?.role === 'tenant' && record.tenant !== undefined)
    return { role: 'tenant', tenant: record.tenant };
  throw unauthorized('invalid_token', 'authorization: the bearer token is not valid');
}

/**
 * The ingest key of `Authorization: Bearer tg_k_…`, looked up by its sha256; throws a 401
 * `ApiError` for anything else (a tenant token or the admin token too, without a lookup) and
 * for a revoked key.
 */
export async function authenticateIngestKey(
  request: ApiRequest,
  keys: IngestKeyLookup,
): Promise<IngestPrincipal> {
  const token = bearerToken(request);
  if (!isIngestKeyFormat(token)) {
    throw unauthorized(
      'invalid_token',
      'authorization: sending events takes an ingest key (tg_k_…, tollgate keys create); tenant tokens and the admin token cannot send events',
    );
  }
  const key = await keys.getIngestKey(sha256Hex(token));
  if (key === undefined) throw unauthorized('invalid_token', 'authorization: the ingest key is not valid');
  if (key.revokedAt !== undefined) {
    throw unauthorized(
      'revoked_key',
      `authorization: ingest key ${key.keyId} was revoked at ${key.revokedAt}`,
    );
  }
  return { role: 'ingest', tenant: key.tenant, keyId: key.keyId, limits: effectiveLimits(key.limits) };
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
  if (principal.role === 'admin') return;
  if (principal.role !== 'tenant' || principal.tenant !== tenant) {
    throw forbidden(`${field}: this token may only read tenant "${principal.tenant}"`, field);
  }
}
