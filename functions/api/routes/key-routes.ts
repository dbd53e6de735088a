import {
  effectiveLimits,
  type IngestKey,
  isKeyId,
  keyIdOf,
  parseCreateIngestKeyInput,
} from '../../../shared/ingest/ingest-keys.js';
import { toIso } from '../../../shared/time/windows.js';
import { ApiError, invalidInput, jsonResponse } from '../api-error.js';
import { newIngestKey, sha256Hex } from '../auth.js';
import { type RouteHandler, readJsonBody, requireTenant } from '../route-context.js';

/** Attempts at a key whose id the tenant does not have yet (ids are 48 random bits). */
const CREATE_ATTEMPTS = 3;

/** A key as the API shows it: never the key or its hash; `limits` with the defaults filled in. */
export function ingestKeyJson(key: IngestKey) {
  return {
    tenant: key.tenant,
    keyId: key.keyId,
    label: key.label,
    createdAt: key.createdAt,
    ...(key.revokedAt === undefined ? {} : { revokedAt: key.revokedAt }),
    limits: effectiveLimits(key.limits),
  };
}

/**
 * `POST /v1/tenants/{tenant}/keys`: a new ingest key, shown once and stored as its sha256. The
 * body (optional) is `{label?, limits?: {requestsPerSecond?, eventsPerSecond?}}`.
 */
export const createIngestKey: RouteHandler = async ({ request, deps, params }) => {
  const tenant = params.tenant ?? '';
  const parsed = parseCreateIngestKeyInput(readJsonBody(request, { optional: true }) ?? {});
  if (!parsed.ok) throw invalidInput('invalid_key_request', 'invalid key request', parsed.issues);
  await requireTenant(deps, tenant);
  const createdAt = toIso(deps.clock());
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt += 1) {
    const key = newIngestKey(deps.randomBytes);
    const record: IngestKey = { keyId: keyIdOf(key), tenant, createdAt, ...parsed.value };
    if (await deps.ingestKeys.createIngestKey(sha256Hex(key), record)) {
      return jsonResponse(201, { ...ingestKeyJson(record), key });
    }
  }
  throw new Error(`ingest key: ${CREATE_ATTEMPTS} new key ids of tenant ${tenant} in a row were taken`);
};

/** `GET /v1/tenants/{tenant}/keys`: every key of the tenant, oldest first, revoked ones included. */
export const listIngestKeys: RouteHandler = async ({ deps, params }) => {
  const profile = await requireTenant(deps, params.tenant ?? '');
  const keys = await deps.ingestKeys.listIngestKeys(profile.tenant);
  keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  return jsonResponse(200, { tenant: profile.tenant, keys: keys.map(ingestKeyJson) });
};

/**
 * `DELETE /v1/tenants/{tenant}/keys/{keyId}`: revokes the key. Idempotent: a key revoked before
 * keeps its first `revokedAt`. Functions that cache keys stop accepting it within their cache
 * time (60 s on AWS).
 */
export const revokeIngestKey: RouteHandler = async ({ deps, params }) => {
  const keyId = params.keyId ?? '';
  if (!isKeyId(keyId)) {
    throw new ApiError(
      400,
      'invalid_key_id',
      'keyId: must be the 8-character id of an ingest key (A-Z a-z 0-9 _ -)',
      'keyId',
    );
  }
  const profile = await requireTenant(deps, params.tenant ?? '');
  const revoked = await deps.ingestKeys.revokeIngestKey(profile.tenant, keyId, toIso(deps.clock()));
  if (revoked === undefined) {
    throw new ApiError(
      404,
      'unknown_key',
      `keyId: tenant "${profile.tenant}" has no ingest key ${keyId}`,
      'keyId',
    );
  }
  return jsonResponse(200, ingestKeyJson(revoked));
};
