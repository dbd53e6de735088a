import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { loadCatalogText } from '../../../shared/catalog/load-catalog.js';
import { effectiveEntitlements, loadTenantSeedText } from '../../../shared/catalog/tenant-profile.js';
import { formatQuantity } from '../../../shared/decimal/quantity.js';

const read = (name: string): string =>
  readFileSync(new URL(`../../../config/${name}`, import.meta.url), 'utf8');

describe('the shipped config', () => {
  it('has a valid catalog with token, call, GPU, storage and agent meters and four plans', () => {
    const catalog = loadCatalogText(read('catalog.yaml'), 'yaml');
    const compiled = compileCatalog(catalog);

    expect(compiled.metersForType('llm.completion').map((m) => `${m.key}:${m.aggregation}`)).toEqual([
      'input_tokens:SUM',
      'output_tokens:SUM',
      'cached_tokens:SUM',
      'active_agents:UNIQUE_COUNT',
    ]);
    expect(compiled.metersForType('inference.call').map((m) => m.aggregation)).toEqual(['COUNT']);
    expect(compiled.metersForType('gpu.job').map((m) => m.key)).toEqual(['gpu_seconds']);
    expect(compiled.metersForType('storage.snapshot').map((m) => m.aggregation)).toEqual(['MAX']);
    expect(catalog.plans.map((p) => p.key)).toEqual(['free', 'starter', 'pro', 'enterprise']);
  });

  it('caps the free and starter plans hard, and limits pro softly with a hard daily cap per workspace', () => {
    const compiled = compileCatalog(loadCatalogText(read('catalog.yaml'), 'yaml'));
    const modes = (plan: string) => compiled.plan(plan)?.entitlements.map((e) => e.mode);

    expect(new Set(modes('free'))).toEqual(new Set(['hard']));
    expect(new Set(compiled.plan('free')?.entitlements.map((e) => e.period))).toEqual(
      new Set(['DAY', 'MONTH']),
    );
    expect(new Set(modes('starter'))).toEqual(new Set(['hard']));
    expect(compiled.entitlement('pro', 'monthly-input-tokens')?.mode).toBe('soft');
    expect(compiled.entitlement('pro', 'workspace-daily-input-tokens')).toMatchObject({
      mode: 'hard',
      period: 'DAY',
      scope: 'workspace',
    });
    expect(new Set(compiled.plan('enterprise')?.entitlements.map((e) => e.period))).toEqual(
      new Set(['BILLING_PERIOD']),
    );
  });

  it('seeds the demo tenants against the catalog, with globex capped low and umbrella overridden', () => {
    const compiled = compileCatalog(loadCatalogText(read('catalog.yaml'), 'yaml'));
    const tenants = loadTenantSeedText(read('tenants.yaml'), 'yaml', compiled);

    expect(tenants.map((t) => `${t.tenant}:${t.plan}`)).toEqual([
      'acme:pro',
      'globex:starter',
      'initech:free',
      'umbrella:enterprise',
      'hooli:enterprise',
    ]);
    const [, globex, , umbrella] = tenants;
    const limitOf = (profile: typeof globex, key: string) =>
      formatQuantity(effectiveEntitlements(compiled, profile!).find((e) => e.key === key)!.limit);
    expect(limitOf(globex, 'monthly-input-tokens')).toBe('20000');
    expect(umbrella?.billingAnchor).toBe('2026-01-31');
    expect(limitOf(umbrella, 'input-tokens')).toBe('20000000000');
  });
});
