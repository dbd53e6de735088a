import * as z from 'zod';
import { CatalogError } from '../../../shared/catalog/catalog.js';
import {
  effectiveEntitlements,
  tenantProfileFromInput,
  validateTenantProfileInput,
  withPlanHistory,
} from '../../../shared/catalog/tenant-profile.js';
import { toIso } from '../../../shared/time/windows.js';
import { invalidInput, jsonResponse } from '../api-error.js';
import { entitlementJson, profileJson } from '../api-json.js';
import { newTenantToken, sha256Hex } from '../auth.js';
import { type RouteHandler, readJsonBody, requireActiveCatalog, requireTenant } from '../route-context.js';

/** `PUT /v1/tenants/{tenant}`: set up or change a tenant, validated against the active catalog. */
export const putTenant: RouteHandler = async ({ request, deps, params }) => {
  const tenant = params.tenant ?? '';
  const body = readJsonBody(request);
  const { compiled } = await requireActiveCatalog(deps);
  const result = validateTenantProfileInput(body, compiled);
  if (!result.ok) throw invalidInput('invalid_tenant_profile', 'invalid tenant profile', result.issues);
  const existing = await deps.config.getTenant(tenant);
  const today = toIso(deps.clock()).slice(0, 10);
  // A new tenant is billed from today unless told otherwise; an existing one keeps its start.
  const billingStart =
    result.value.billingStart ?? existing?.billingStart ?? (existing === undefined ? today : undefined);
  const input = billingStart === undefined ? result.value : { ...result.value, billingStart };
  const profile = withPlanHistory(
    existing,
    tenantProfileFromInput(tenant, input, existing?.status ?? 'active'),
    today,
  );
  const { created } = await deps.config.putTenant(profile);
  return jsonResponse(created ? 201 : 200, { ...profileJson(profile), created });
};

/** `GET /v1/tenants/{tenant}`: the profile and its effective entitlements. */
export const getTenant: RouteHandler = async ({ deps, params }) => {
  const profile = await requireTenant(deps, params.tenant ?? '');
  const { compiled } = await requireActiveCatalog(deps);
  let entitlements: ReturnType<typeof entitlementJson>[] | null = null;
  let problem: { code: string; message: string } | undefined;
  try {
    const overrides = profile.overrides ?? {};
    entitlements = effectiveEntitlements(compiled, profile).map((e) =>
      entitlementJson(e, Object.hasOwn(overrides, e.key)),
    );
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    problem = { code: error.code, message: `plan: "${profile.plan}" is not in the active catalog` };
  }
  return jsonResponse(200, {
    ...profileJson(profile),
    entitlements,
    ...(problem === undefined ? {} : { problem }),
  });
};

const tokenBodySchema = z.strictObject({
  label: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
});

/** `POST /v1/tenants/{tenant}/tokens`: a new tenant token, shown once and stored as its sha256. */
export const createTenantToken: RouteHandler = async ({ request, deps, params }) => {
  const tenant = params.tenant ?? '';
  const parsed = tokenBodySchema.safeParse(readJsonBody(request, { optional: true }) ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || 'body',
      message: issue.code === 'unrecognized_keys' ? 'unknown property' : issue.message,
    }));
    throw invalidInput('invalid_token_request', 'invalid token request', issues);
  }
  await requireTenant(deps, tenant);
  const token = newTenantToken(deps.randomBytes);
  const createdAt = toIso(deps.clock());
  const label = parsed.data.label ?? '';
  await deps.config.putToken(sha256Hex(token), { role: 'tenant', tenant, label, createdAt });
  return jsonResponse(201, { tenant, token, label, createdAt });
};
