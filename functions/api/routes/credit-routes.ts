/**
 * Credit grants over the API: granting a tenant credit (admin), and a tenant's grants with the
 * balance usable now. Amounts are decimal strings in major units (`"25.00"`), held as integer
 * minor units of the grant's currency.
 */
import { ulid } from 'ulid';
import * as z from 'zod';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { parseRfc3339Millis } from '../../../shared/contract/event-time.js';
import type { CreditGrant } from '../../../shared/invoicing/ports.js';
import {
  type Currency,
  currencyOf,
  formatMinor,
  isKnownCurrency,
  parseScaled,
} from '../../../shared/money/money.js';
import { creditBalance } from '../../../shared/pricing/credits.js';
import { MAX_TIME_MS, MIN_TIME_MS, toIso } from '../../../shared/time/windows.js';
import { ApiError, invalidInput, jsonResponse } from '../api-error.js';
import type { ApiDeps } from '../api-types.js';
import { readJsonBody, requireActiveCatalog, requireTenant } from '../route-context.js';
import { parseBody, withBillingDeps } from './invoice-routes.js';

export const GRANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_GRANT_PRIORITY = 1000;
export const DEFAULT_GRANT_PRIORITY = 100;
const MAX_GRANT_NAME = 128;

/** An RFC 3339 time with offset, as epoch ms. */
const instantSchema = z.string().transform((text, ctx): number => {
  const ms = parseRfc3339Millis(text.trim());
  if (Number.isNaN(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `must be an RFC 3339 time with offset, e.g. "2026-12-01T00:00:00Z", not "${text}"`,
    });
    return z.NEVER;
  }
  return ms;
});

const grantBodySchema = z.strictObject({
  id: z.string().regex(GRANT_ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ -').optional(),
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_GRANT_NAME, `must be at most ${MAX_GRANT_NAME} characters`),
  /** Checked against the currency's minor units once the currency is known. */
  amount: z.string({
    error: (issue) =>
      issue.input === undefined ? 'required' : 'must be a decimal string of major units such as "25.00"',
  }),
  currency: z
    .string()
    .refine(isKnownCurrency, 'must be a known ISO 4217 currency code in upper case, e.g. "USD"')
    .optional(),
  priority: z
    .int()
    .min(0, `must be a whole number from 0 to ${MAX_GRANT_PRIORITY}`)
    .max(MAX_GRANT_PRIORITY, `must be a whole number from 0 to ${MAX_GRANT_PRIORITY}`)
    .optional(),
  effectiveAt: instantSchema.optional(),
  expiresAt: instantSchema.optional(),
});

type GrantBody = z.output<typeof grantBodySchema>;

function invalidGrant(path: string, message: string): ApiError {
  return invalidInput('invalid_credit_grant', 'invalid credit grant', [{ path, message }]);
}

/** The grant as the API shows it: amounts in major units of its currency. */
export function creditGrantJson(grant: CreditGrant) {
  const currency = currencyOf(grant.currency);
  return {
    id: grant.id,
    tenant: grant.tenant,
    name: grant.name,
    currency: grant.currency,
    amount: formatMinor(grant.amountMinor, currency),
    remaining: formatMinor(grant.remainingMinor, currency),
    priority: grant.priority,
    effectiveAt: grant.effectiveAt,
    ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
    createdAt: grant.createdAt,
  };
}

/** The currency given, else the billing currency of the tenant's plan in the active catalog. */
async function grantCurrency(
  deps: ApiDeps,
  profile: TenantProfile,
  given: string | undefined,
): Promise<Currency> {
  if (given !== undefined) return currencyOf(given);
  const { compiled } = await requireActiveCatalog(deps);
  const billing = compiled.plan(profile.plan)?.billing;
  if (billing === undefined) {
    throw invalidGrant(
      'currency',
      `required: plan "${profile.plan}" of tenant "${profile.tenant}" has no billing currency in the active catalog`,
    );
  }
  return currencyOf(billing.currency);
}

function amountMinorOf(text: string, currency: Currency): bigint {
  const parsed = parseScaled(text, currency.minorUnits);
  if (!parsed.ok) {
    throw invalidGrant(
      'amount',
      `${parsed.message} (${currency.code} has ${currency.minorUnits} decimal places)`,
    );
  }
  if (parsed.value <= 0n) throw invalidGrant('amount', 'must be greater than 0');
  return parsed.value;
}

/**
 * Whether a stored grant is the one the request describes: the same name, currency, amount,
 * priority and expiry, and the same `effectiveAt` when the request gave one (without it, the
 * default is the time of each request, so a retry would never match).
 */
function sameGrant(stored: CreditGrant, requested: CreditGrant, body: GrantBody): boolean {
  return (
    stored.name === requested.name &&
    stored.currency === requested.currency &&
    stored.amountMinor === requested.amountMinor &&
    stored.priority === requested.priority &&
    stored.expiresAt === requested.expiresAt &&
    (body.effectiveAt === undefined || stored.effectiveAt === requested.effectiveAt)
  );
}

/**
 * `POST /v1/tenants/{tenant}/credits` (admin): grants credit. Idempotent by `id`: the same id
 * with the same content is 200 `created: false` (the stored grant, with what remains of it);
 * with other content, 409 `grant_conflict`.
 */
export const postCreditGrant = withBillingDeps(async ({ request, deps, params }, billing) => {
  const body = parseBody(
    grantBodySchema,
    readJsonBody(request),
    'invalid_credit_grant',
    'invalid credit grant',
  );
  const profile = await requireTenant(deps, params.tenant ?? '');
  const currency = await grantCurrency(deps, profile, body.currency);
  const amountMinor = amountMinorOf(body.amount, currency);
  const now = deps.clock();
  const effectiveAt = body.effectiveAt ?? now;
  if (body.expiresAt !== undefined && body.expiresAt <= effectiveAt) {
    throw invalidGrant('expiresAt', `must be after effectiveAt (${toIso(effectiveAt)})`);
  }
  const grant: CreditGrant = {
    id: body.id ?? ulid(now),
    tenant: profile.tenant,
    name: body.name,
    currency: currency.code,
    amountMinor,
    remainingMinor: amountMinor,
    priority: body.priority ?? DEFAULT_GRANT_PRIORITY,
    effectiveAt: toIso(effectiveAt),
    ...(body.expiresAt === undefined ? {} : { expiresAt: toIso(body.expiresAt) }),
    createdAt: toIso(now),
  };
  if (await billing.invoicing.credits.createGrant(grant)) {
    deps.logger.info('credit granted', {
      tenant: grant.tenant,
      grantId: grant.id,
      requestId: request.requestId,
    });
    return jsonResponse(201, { ...creditGrantJson(grant), created: true });
  }
  const stored = (await billing.invoicing.credits.listGrants(profile.tenant)).find((g) => g.id === grant.id);
  if (stored === undefined)
    throw new Error(`credit grant ${grant.id} of ${grant.tenant}: exists but cannot be read`);
  if (!sameGrant(stored, grant, body)) {
    throw new ApiError(
      409,
      'grant_conflict',
      `id: tenant "${profile.tenant}" has a grant "${grant.id}" with other content; use another id`,
      'id',
    );
  }
  return jsonResponse(200, { ...creditGrantJson(stored), created: false });
});

/**
 * `GET /v1/tenants/{tenant}/credits`: every grant, oldest first (used up and expired ones too),
 * and the balance usable now per currency.
 */
export const listCreditGrants = withBillingDeps(async ({ deps, params }, billing) => {
  const profile = await requireTenant(deps, params.tenant ?? '');
  const grants = await billing.invoicing.credits.listGrants(profile.tenant);
  grants.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const balance = creditBalance(grants, toIso(deps.clock()));
  return jsonResponse(200, {
    tenant: profile.tenant,
    grants: grants.map(creditGrantJson),
    balance: Object.fromEntries(
      Object.entries(balance).map(([code, minor]) => [code, formatMinor(minor, currencyOf(code))]),
    ),
  });
});
