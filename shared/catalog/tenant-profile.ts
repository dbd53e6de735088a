/**
 * Tenant profiles: which plan a tenant is on, its per-entitlement limit overrides, and its
 * billing anchor. Validates the admin API body and stored profiles, and resolves the
 * entitlements that apply to a tenant.
 */
import * as z from 'zod';
import type { Quantity } from '../decimal/quantity.js';
import { isDateString } from '../time/windows.js';
import {
  type Catalog,
  CatalogError,
  type ConfigIssue,
  ENTITLEMENT_KEY_PATTERN,
  type Entitlement,
} from './catalog.js';
import { duplicatePositions, limitSchema } from './catalog-schema.js';
import { type CompiledCatalog, compileCatalog } from './compiled-catalog.js';
import { configErrorMap, formatPath, toConfigIssues } from './config-issues.js';
import { type ConfigFormat, parseConfigText } from './load-catalog.js';

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A tenant id is an event's `subject`: 1–128 characters of `[A-Za-z0-9._:@-]` (CONTRACT.md). */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export interface LimitOverride {
  readonly limit: Quantity;
}

/** Entitlement key → override. */
export type LimitOverrides = Readonly<Record<string, LimitOverride>>;

/** The plan a tenant was on from a date (UTC day) on; see `planHistory`. */
export interface PlanChange {
  readonly plan: string;
  /** `YYYY-MM-DD`: effective from 00:00 UTC of that day. */
  readonly from: string;
}

export interface TenantProfile {
  readonly tenant: string;
  /** A plan key of the catalog. */
  readonly plan: string;
  readonly overrides?: LimitOverrides;
  /** `YYYY-MM-DD`; its day of month starts each BILLING_PERIOD. */
  readonly billingAnchor?: string;
  /** `YYYY-MM-DD`: billing begins this day (trials count from it); periods ending earlier are not invoiced. */
  readonly billingStart?: string;
  /** Hours after a period's end during which late usage still lands on its invoice; default from the deployment (12). */
  readonly graceHours?: number;
  /**
   * Spend alerts: amounts (major units of the plan's currency, decimal strings) the upcoming
   * invoice's total may reach once per period before an alert says so.
   */
  readonly spendAlerts?: readonly string[];
  /**
   * Plan changes, oldest first: each entry's plan applies from its date until the next entry's.
   * Absent when the tenant never changed plan (then `plan` applies throughout). Kept by the API
   * when `plan` changes, so a period's invoice prorates each plan by day.
   */
  readonly planHistory?: readonly PlanChange[];
  readonly status: TenantStatus;
}

/** The admin API body that sets up or changes a tenant (`PUT /tenants/{tenant}`). */
export interface TenantProfileInput {
  readonly plan: string;
  readonly overrides?: LimitOverrides;
  readonly billingAnchor?: string;
  readonly billingStart?: string;
  readonly graceHours?: number;
  readonly spendAlerts?: readonly string[];
}

/** An entitlement as it applies to one tenant: the plan's, with the tenant's limit override. */
export type EffectiveEntitlement = Entitlement;

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export function isTenantId(text: string): boolean {
  return TENANT_ID_PATTERN.test(text);
}

// ---------------------------------------------------------------------------------------------
// Schemas

export const tenantIdSchema = z
  .string()
  .regex(TENANT_ID_PATTERN, 'must be 1–128 characters of A-Z a-z 0-9 . _ : @ -');

export const billingAnchorSchema = z.string().refine(isDateString, 'must be a date YYYY-MM-DD');

const overrideKeySchema = z
  .string()
  .regex(ENTITLEMENT_KEY_PATTERN, 'is not an entitlement key (lowercase letters, digits, _ and -)');

export const limitOverridesSchema = z.record(overrideKeySchema, z.strictObject({ limit: limitSchema }));

export const MAX_GRACE_HOURS = 720;
export const graceHoursSchema = z
  .number()
  .int('must be a whole number of hours')
  .min(0, `must be between 0 and ${MAX_GRACE_HOURS}`)
  .max(MAX_GRACE_HOURS, `must be between 0 and ${MAX_GRACE_HOURS}`);

const planChangeSchema = z.object({ plan: z.string().min(1), from: billingAnchorSchema });

export const MAX_SPEND_ALERTS = 10;
export const spendAlertsSchema = z
  .array(
    z
      .string()
      .regex(/^\d{1,15}(\.\d{1,4})?$/, 'must be an amount in major units, e.g. "500.00"')
      .refine((text) => /[1-9]/.test(text), 'must be greater than 0'),
  )
  .max(MAX_SPEND_ALERTS, `must list at most ${MAX_SPEND_ALERTS} amounts`);

export const tenantProfileInputSchema = z.strictObject({
  plan: z.string().min(1, 'must not be empty'),
  overrides: limitOverridesSchema.optional(),
  billingAnchor: billingAnchorSchema.optional(),
  billingStart: billingAnchorSchema.optional(),
  graceHours: graceHoursSchema.optional(),
  spendAlerts: spendAlertsSchema.optional(),
});

/** A stored profile; lenient about extra attributes (keys, timestamps) the store adds. */
export const tenantProfileSchema = z.object({
  tenant: tenantIdSchema,
  plan: z.string().min(1, 'must not be empty'),
  overrides: z.record(overrideKeySchema, z.object({ limit: limitSchema })).optional(),
  billingAnchor: billingAnchorSchema.optional(),
  billingStart: billingAnchorSchema.optional(),
  graceHours: graceHoursSchema.optional(),
  spendAlerts: spendAlertsSchema.optional(),
  planHistory: z.array(planChangeSchema).optional(),
  status: z.enum(TENANT_STATUSES),
});

export const tenantSeedSchema = z.strictObject({
  tenants: z.array(
    z.strictObject({
      tenant: tenantIdSchema,
      plan: z.string().min(1, 'must not be empty'),
      overrides: limitOverridesSchema.optional(),
      billingAnchor: billingAnchorSchema.optional(),
      billingStart: billingAnchorSchema.optional(),
      graceHours: graceHoursSchema.optional(),
      spendAlerts: spendAlertsSchema.optional(),
    }),
  ),
});

// ---------------------------------------------------------------------------------------------
// Validation

type ParsedFields = {
  plan: string;
  overrides?: Record<string, { limit: Quantity }> | undefined;
  billingAnchor?: string | undefined;
  billingStart?: string | undefined;
  graceHours?: number | undefined;
  spendAlerts?: string[] | undefined;
};

function toProfileFields(fields: ParsedFields): TenantProfileInput {
  return {
    plan: fields.plan,
    ...(fields.overrides === undefined
      ? {}
      : {
          overrides: Object.fromEntries(
            Object.entries(fields.overrides).map(([key, { limit }]) => [key, Object.freeze({ limit })]),
          ),
        }),
    ...(fields.billingAnchor === undefined ? {} : { billingAnchor: fields.billingAnchor }),
    ...(fields.billingStart === undefined ? {} : { billingStart: fields.billingStart }),
    ...(fields.graceHours === undefined ? {} : { graceHours: fields.graceHours }),
    ...(fields.spendAlerts === undefined ? {} : { spendAlerts: [...fields.spendAlerts] }),
  };
}

/** Checks the plan and override keys against the catalog; `prefix` is the profile's path. */
function checkAgainstCatalog(
  fields: TenantProfileInput,
  compiled: CompiledCatalog,
  prefix: string,
): ConfigIssue[] {
  const at = (name: string): string => (prefix === '' ? name : `${prefix}.${name}`);
  const plan = compiled.plan(fields.plan);
  if (plan === undefined) {
    const known = compiled.catalog.plans.map((p) => p.key).join(', ');
    return [{ path: at('plan'), message: `unknown plan "${fields.plan}" (plans: ${known})` }];
  }
  return Object.keys(fields.overrides ?? {})
    .filter((key) => compiled.entitlement(plan.key, key) === undefined)
    .map((key) => {
      const known = plan.entitlements.map((e) => e.key).join(', ') || 'none';
      return {
        path: at(`overrides.${key}`),
        message: `unknown entitlement "${key}" in plan "${plan.key}" (entitlements: ${known})`,
      };
    });
}

/**
 * Validates the admin API body `{ plan, overrides?, billingAnchor? }` against the catalog.
 * Bad input is returned as issues naming each field (`overrides.monthly-tokens.limit: must be
 * a decimal ≥ 0`), for a 400 response; it never throws.
 */
export function validateTenantProfileInput(
  body: unknown,
  compiled: CompiledCatalog,
): ValidationResult<TenantProfileInput> {
  const result = tenantProfileInputSchema.safeParse(body, { error: configErrorMap });
  if (!result.success) {
    return { ok: false, issues: toConfigIssues(result.error.issues, body, tenantProfileInputSchema, []) };
  }
  const input = toProfileFields(result.data);
  const issues = checkAgainstCatalog(input, compiled, '');
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: input };
}

/** The profile for `tenant` set up from a validated API body. */
export function tenantProfileFromInput(
  tenant: string,
  input: TenantProfileInput,
  status: TenantStatus = 'active',
): TenantProfile {
  return { tenant, ...input, status };
}

/**
 * Reads a stored profile (e.g. an unmarshalled config-table item; extra attributes are
 * ignored). Throws `CatalogError` (`invalid_tenant_profile`). It is not checked against the
 * catalog: `effectiveEntitlements` reports a plan that no longer exists.
 */
export function parseTenantProfile(record: unknown): TenantProfile {
  const result = tenantProfileSchema.safeParse(record, { error: configErrorMap });
  if (!result.success) {
    throw new CatalogError(
      'invalid_tenant_profile',
      toConfigIssues(result.error.issues, record, tenantProfileSchema, []),
    );
  }
  const history = result.data.planHistory;
  return Object.freeze({
    tenant: result.data.tenant,
    ...toProfileFields(result.data),
    ...(history === undefined || history.length === 0
      ? {}
      : { planHistory: Object.freeze(history.map((change) => Object.freeze({ ...change }))) }),
    status: result.data.status,
  });
}

/**
 * The tenant's plan entitlements, in plan order, with its limit overrides applied. Overrides
 * for entitlements the plan no longer has are ignored. Throws `CatalogError` (`unknown_plan`)
 * when the plan is not in the catalog, so that a removed plan never silently lifts hard caps.
 */
export function effectiveEntitlements(
  compiled: CompiledCatalog,
  profile: TenantProfile,
): EffectiveEntitlement[] {
  const plan = compiled.plan(profile.plan);
  if (plan === undefined) {
    throw new CatalogError('unknown_plan', [
      { path: `tenants.${profile.tenant}.plan`, message: `unknown plan "${profile.plan}"` },
    ]);
  }
  const overrides = profile.overrides ?? {};
  return plan.entitlements.map((entitlement) => {
    const override = Object.hasOwn(overrides, entitlement.key) ? overrides[entitlement.key] : undefined;
    return override === undefined ? entitlement : { ...entitlement, limit: override.limit };
  });
}

/**
 * Validates a parsed tenant seed document (`tenants: [{ tenant, plan, overrides?,
 * billingAnchor? }]`) against the catalog. Throws `CatalogError` (`invalid_tenant_seed`) with
 * paths such as `tenants.acme.plan`. Seeded tenants are active.
 */
export function parseTenantSeed(document: unknown, compiled: CompiledCatalog): TenantProfile[] {
  const result = tenantSeedSchema.safeParse(document, { error: configErrorMap });
  if (!result.success) {
    throw new CatalogError(
      'invalid_tenant_seed',
      toConfigIssues(result.error.issues, document, tenantSeedSchema, ['tenant']),
    );
  }
  const entries = result.data.tenants;
  const issues: ConfigIssue[] = [];
  for (const [tenant, indexes] of duplicatePositions(entries.map((entry) => entry.tenant))) {
    const where = indexes.map((i) => `tenants[${i}]`).join(', ');
    issues.push({ path: `tenants.${tenant}`, message: `duplicate tenant "${tenant}" (${where})` });
  }
  const profiles = entries.map((entry, index) => {
    const fields = toProfileFields(entry);
    issues.push(
      ...checkAgainstCatalog(fields, compiled, formatPath(['tenants', index], document, ['tenant'])),
    );
    return Object.freeze(tenantProfileFromInput(entry.tenant, fields));
  });
  if (issues.length > 0) throw new CatalogError('invalid_tenant_seed', issues);
  return profiles;
}

/**
 * Loads the tenant seed file (`config/tenants.yaml`) in YAML or JSON against a catalog.
 * Syntax and validation errors throw `CatalogError` (`invalid_tenant_seed`).
 */
export function loadTenantSeedText(
  text: string,
  format: ConfigFormat,
  catalog: Catalog | CompiledCatalog,
): TenantProfile[] {
  const compiled = 'metersForType' in catalog ? catalog : compileCatalog(catalog);
  return parseTenantSeed(parseConfigText(text, format, 'invalid_tenant_seed'), compiled);
}

/**
 * The profile `next` replacing `existing`, keeping the plan history: when the plan changes, the
 * new plan applies from `today` (`YYYY-MM-DD`, UTC) and the old one is kept for the days before,
 * so the period's invoice prorates both by day. The first change also records the old plan,
 * from the tenant's `billingStart` (or the beginning of time).
 */
export function withPlanHistory(
  existing: TenantProfile | undefined,
  next: TenantProfile,
  today: string,
): TenantProfile {
  if (existing === undefined) return next;
  const history: PlanChange[] = [...(existing.planHistory ?? [])];
  if (existing.plan !== next.plan) {
    if (history.length === 0)
      history.push({ plan: existing.plan, from: existing.billingStart ?? '0001-01-01' });
    while (history.length > 0 && (history.at(-1)?.from ?? '') >= today) history.pop();
    history.push({ plan: next.plan, from: today });
  }
  return history.length === 0 ? next : { ...next, planHistory: history };
}
