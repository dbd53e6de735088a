import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import {
  effectiveEntitlements,
  loadTenantSeedText,
  parseTenantProfile,
  type TenantProfile,
  tenantProfileFromInput,
  validateTenantProfileInput,
} from '../../../shared/catalog/tenant-profile.js';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { catalogDocument, issuesOf } from './catalog-factory.js';

const catalog = parseCatalog(catalogDocument());
const compiled = compileCatalog(catalog);

function issuesOfBody(body: unknown): string[] {
  const result = validateTenantProfileInput(body, compiled);
  if (result.ok) throw new Error('expected the body to be rejected');
  return result.issues.map((issue) =>
    issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`,
  );
}

describe('validateTenantProfileInput', () => {
  it('accepts a plan with limit overrides and a billing anchor, reading limits exactly', () => {
    const result = validateTenantProfileInput(
      { plan: 'pro', overrides: { 'monthly-input-tokens': { limit: '2.5' } }, billingAnchor: '2026-01-31' },
      compiled,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: 2_500_000_000_000n } },
        billingAnchor: '2026-01-31',
      },
    });
  });

  it('accepts a body with only a plan, adding no optional fields', () => {
    const result = validateTenantProfileInput({ plan: 'pro' }, compiled);
    expect(result).toEqual({ ok: true, value: { plan: 'pro' } });
  });

  it('names an override limit that is not a decimal ≥ 0', () => {
    expect(issuesOfBody({ plan: 'pro', overrides: { 'monthly-input-tokens': { limit: '-3' } } })).toEqual([
      'overrides.monthly-input-tokens.limit: must be a decimal ≥ 0',
    ]);
    expect(issuesOfBody({ plan: 'pro', overrides: { 'monthly-input-tokens': { limit: 'many' } } })).toEqual([
      'overrides.monthly-input-tokens.limit: must be a decimal ≥ 0',
    ]);
  });

  it('names an unknown plan and lists the plans there are', () => {
    expect(issuesOfBody({ plan: 'gold' })).toEqual(['plan: unknown plan "gold" (plans: pro)']);
  });

  it('names an override for an entitlement the plan does not have', () => {
    expect(issuesOfBody({ plan: 'pro', overrides: { 'monthly-tokens': { limit: '5' } } })).toEqual([
      'overrides.monthly-tokens: unknown entitlement "monthly-tokens" in plan "pro" ' +
        '(entitlements: monthly-input-tokens, inference_calls)',
    ]);
  });

  it('names a billing anchor that is not a real calendar date', () => {
    expect(issuesOfBody({ plan: 'pro', billingAnchor: '2026-02-30' })).toEqual([
      'billingAnchor: must be a date YYYY-MM-DD',
    ]);
    expect(issuesOfBody({ plan: 'pro', billingAnchor: '31/01/2026' })).toEqual([
      'billingAnchor: must be a date YYYY-MM-DD',
    ]);
  });

  it('names a missing plan, unknown properties and malformed overrides', () => {
    expect(issuesOfBody({ overides: {} })).toEqual([
      'plan: required',
      'overides: unknown property (did you mean "overrides"?)',
    ]);
    expect(
      issuesOfBody({ plan: 'pro', overrides: { 'monthly-input-tokens': { limit: '1', mode: 'soft' } } }),
    ).toEqual(['overrides.monthly-input-tokens.mode: unknown property']);
    expect(issuesOfBody({ plan: 'pro', overrides: { 'monthly-input-tokens': '5' } })).toEqual([
      'overrides.monthly-input-tokens: must be an object, not "5"',
    ]);
  });

  it('rejects a body that is not an object without throwing', () => {
    expect(issuesOfBody(null)).toEqual(['must be an object, not null']);
    expect(issuesOfBody('pro')).toEqual(['must be an object, not "pro"']);
  });

  it('names an override key that is not an entitlement key', () => {
    expect(issuesOfBody({ plan: 'pro', overrides: { 'Monthly Tokens': { limit: '5' } } })).toEqual([
      'overrides.Monthly Tokens: is not an entitlement key (lowercase letters, digits, _ and -)',
    ]);
  });

  it('never lets an override key reach the prototype', () => {
    const body = JSON.parse('{"plan":"pro","overrides":{"__proto__":{"limit":"1"}}}') as unknown;
    const result = validateTenantProfileInput(body, compiled);
    if (!result.ok) throw new Error('expected the __proto__ key to be dropped');
    expect(Object.getPrototypeOf(result.value.overrides)).toBe(Object.prototype);
    expect(Object.keys(result.value.overrides ?? { x: 1 })).toEqual([]);
  });
});

describe('effectiveEntitlements', () => {
  const profile = (fields: Partial<TenantProfile> = {}): TenantProfile => ({
    tenant: 'acme',
    plan: 'pro',
    status: 'active',
    ...fields,
  });

  it('gives the plan’s entitlements, in plan order, when the tenant has no overrides', () => {
    expect(effectiveEntitlements(compiled, profile())).toEqual(catalog.plans[0]?.entitlements);
  });

  it('applies a tenant’s limit override and leaves everything else as the plan has it', () => {
    const entitlements = effectiveEntitlements(
      compiled,
      profile({ overrides: { inference_calls: { limit: quantityOf(5) } } }),
    );
    expect(entitlements.map((e) => [e.key, e.limit])).toEqual([
      ['monthly-input-tokens', quantityOf(50_000_000)],
      ['inference_calls', quantityOf(5)],
    ]);
    expect(entitlements[1]).toMatchObject({
      meter: 'inference_calls',
      period: 'DAY',
      mode: 'hard',
      scope: 'workspace',
    });
    expect(catalog.plans[0]?.entitlements[1]?.limit).toBe(quantityOf(1000));
  });

  it('ignores an override for an entitlement the plan no longer has', () => {
    const entitlements = effectiveEntitlements(compiled, profile({ overrides: { gone: { limit: 1n } } }));
    expect(entitlements).toEqual(catalog.plans[0]?.entitlements);
  });

  it('refuses a tenant whose plan is not in the catalog, rather than enforcing nothing', () => {
    expect(
      issuesOf(() => effectiveEntitlements(compiled, profile({ plan: 'legacy' })), 'unknown_plan'),
    ).toEqual(['tenants.acme.plan: unknown plan "legacy"']);
  });
});

describe('parseTenantProfile and tenantProfileFromInput', () => {
  it('reads a stored profile, ignoring the attributes the store adds', () => {
    const stored = {
      pk: 'TENANT#acme',
      sk: 'PROFILE',
      tenant: 'acme',
      plan: 'pro',
      overrides: { inference_calls: { limit: 5 } },
      status: 'suspended',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    expect(parseTenantProfile(stored)).toEqual({
      tenant: 'acme',
      plan: 'pro',
      overrides: { inference_calls: { limit: quantityOf(5) } },
      status: 'suspended',
    });
  });

  it('rejects a stored profile with a bad status or tenant id, naming the field', () => {
    expect(
      issuesOf(
        () => parseTenantProfile({ tenant: 'a b', plan: 'pro', status: 'gone' }),
        'invalid_tenant_profile',
      ),
    ).toEqual([
      'tenant: must be 1–128 characters of A-Z a-z 0-9 . _ : @ -',
      'status: must be one of active, suspended, not "gone"',
    ]);
  });

  it('makes an active profile from a validated body', () => {
    const result = validateTenantProfileInput({ plan: 'pro', billingAnchor: '2026-03-15' }, compiled);
    if (!result.ok) throw new Error('expected a valid body');
    expect(tenantProfileFromInput('acme', result.value)).toEqual({
      tenant: 'acme',
      plan: 'pro',
      billingAnchor: '2026-03-15',
      status: 'active',
    });
  });
});

describe('loadTenantSeedText', () => {
  const seed = (tenants: unknown[]): string => stringify({ tenants });

  it('loads active tenants from YAML or JSON, against a catalog or a compiled catalog', () => {
    const tenants = [
      { tenant: 'acme', plan: 'pro' },
      {
        tenant: 'globex',
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: 20000 } },
        billingAnchor: '2026-01-31',
      },
    ];
    const fromYaml = loadTenantSeedText(seed(tenants), 'yaml', catalog);
    expect(fromYaml).toEqual([
      { tenant: 'acme', plan: 'pro', status: 'active' },
      {
        tenant: 'globex',
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: quantityOf(20000) } },
        billingAnchor: '2026-01-31',
        status: 'active',
      },
    ]);
    expect(loadTenantSeedText(JSON.stringify({ tenants }), 'json', compiled)).toEqual(fromYaml);
  });

  it('names a tenant’s unknown plan by the tenant id', () => {
    const text = seed([
      { tenant: 'acme', plan: 'pro' },
      { tenant: 'globex', plan: 'gold' },
    ]);
    expect(issuesOf(() => loadTenantSeedText(text, 'yaml', catalog), 'invalid_tenant_seed')).toEqual([
      'tenants.globex.plan: unknown plan "gold" (plans: pro)',
    ]);
  });

  it('names bad override limits, unknown entitlements and bad anchors by the tenant id', () => {
    const text = seed([
      {
        tenant: 'acme',
        plan: 'pro',
        overrides: { 'monthly-input-tokens': { limit: -1 } },
        billingAnchor: '2026-13-01',
      },
      { tenant: 'globex', plan: 'pro', overrides: { 'monthly-tokens': { limit: 1 } } },
    ]);
    expect(issuesOf(() => loadTenantSeedText(text, 'yaml', catalog), 'invalid_tenant_seed')).toEqual([
      'tenants.acme.overrides.monthly-input-tokens.limit: must be a decimal ≥ 0',
      'tenants.acme.billingAnchor: must be a date YYYY-MM-DD',
    ]);
    expect(
      issuesOf(
        () =>
          loadTenantSeedText(
            seed([{ tenant: 'globex', plan: 'pro', overrides: { 'monthly-tokens': { limit: 1 } } }]),
            'yaml',
            catalog,
          ),
        'invalid_tenant_seed',
      ),
    ).toEqual([
      'tenants.globex.overrides.monthly-tokens: unknown entitlement "monthly-tokens" in plan "pro" ' +
        '(entitlements: monthly-input-tokens, inference_calls)',
    ]);
  });

  it('rejects a tenant listed twice, a bad tenant id and an unknown property', () => {
    const twice = seed([
      { tenant: 'acme', plan: 'pro' },
      { tenant: 'acme', plan: 'pro' },
    ]);
    expect(issuesOf(() => loadTenantSeedText(twice, 'yaml', catalog), 'invalid_tenant_seed')).toEqual([
      'tenants.acme: duplicate tenant "acme" (tenants[0], tenants[1])',
    ]);
    const bad = seed([{ tenant: 'has space', plan: 'pro', tier: 'gold' }]);
    expect(issuesOf(() => loadTenantSeedText(bad, 'yaml', catalog), 'invalid_tenant_seed')).toEqual([
      'tenants.has space.tenant: must be 1–128 characters of A-Z a-z 0-9 . _ : @ -',
      'tenants.has space.tier: unknown property',
    ]);
  });

  it('reports a YAML syntax error in the seed file with its line', () => {
    expect(
      issuesOf(
        () => loadTenantSeedText('tenants:\n  - tenant: acme\n   plan: pro\n', 'yaml', catalog),
        'invalid_tenant_seed',
      ),
    ).toEqual([expect.stringMatching(/^YAML syntax error at line 3, column \d+: /)]);
  });
});
