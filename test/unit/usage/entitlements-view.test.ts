import { describe, expect, it } from 'vitest';
import { CatalogError } from '../../../shared/catalog/catalog.js';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { currentEntitlementPeriods, entitlementsView } from '../../../shared/usage/entitlements-view.js';
import { entitlementRow, profile, usageCatalog } from './usage-factory.js';

const NOW = Date.parse('2026-11-30T12:34:00.000Z');
const MONTH = '2026-11-01T00:00:00.000Z';
const DAY = '2026-11-30T00:00:00.000Z';
const YESTERDAY = '2026-11-29T00:00:00.000Z';

function byKey(view: ReturnType<typeof entitlementsView>, key: string) {
  return view.entitlements.filter((entry) => entry.entitlement === key);
}

describe('entitlementsView', () => {
  const cases: Array<{
    name: string;
    rows: Parameters<typeof entitlementRow>[0][];
    key: string;
    expected: Record<string, unknown>;
  }> = [
    {
      name: 'a soft entitlement over its limit: used is the limit, the rest is overage',
      rows: [{ entitlement: 'monthly-input-tokens', periodStart: MONTH, used: '1000', overage: '250.5' }],
      key: 'monthly-input-tokens',
      expected: {
        limit: '1000',
        used: '1000',
        remaining: '0',
        overage: '250.5',
        rejected: '0',
        blocked: false,
      },
    },
    {
      name: 'a soft entitlement under its limit has the difference remaining',
      rows: [{ entitlement: 'monthly-input-tokens', periodStart: MONTH, used: '999.75' }],
      key: 'monthly-input-tokens',
      expected: { used: '999.75', remaining: '0.25', blocked: false }, // 1000 − 999.75
    },
    {
      name: 'a hard entitlement at its limit is blocked and reports rejected usage',
      rows: [
        {
          entitlement: 'daily-calls',
          meter: 'calls',
          mode: 'hard',
          periodStart: DAY,
          used: '10',
          rejected: '3',
          emitted: [100, 80],
        },
      ],
      key: 'daily-calls',
      expected: {
        limit: '10',
        used: '10',
        remaining: '0',
        rejected: '3',
        blocked: true,
        thresholds: [80, 100],
        thresholdsReached: [80, 100],
      },
    },
    {
      name: 'a hard entitlement below its limit is not blocked',
      rows: [{ entitlement: 'daily-calls', meter: 'calls', mode: 'hard', periodStart: DAY, used: '9' }],
      key: 'daily-calls',
      expected: { used: '9', remaining: '1', blocked: false }, // 10 − 9
    },
    {
      name: "counters of an earlier period are not this period's usage",
      rows: [
        { entitlement: 'daily-calls', meter: 'calls', mode: 'hard', periodStart: YESTERDAY, used: '10' },
      ],
      key: 'daily-calls',
      expected: { used: '0', remaining: '10', blocked: false, thresholdsReached: [] },
    },
  ];

  it.each(cases)('$name', ({ rows, key, expected }) => {
    const view = entitlementsView(usageCatalog, profile(), rows.map(entitlementRow), NOW);
    const entries = byKey(view, key);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject(expected);
  });

  it('reports the current period of each entitlement and its kind', () => {
    const view = entitlementsView(usageCatalog, profile(), [], NOW);
    expect(view.asOf).toBe('2026-11-30T12:34:00.000Z');
    expect(view.entitlements.map((e) => [e.entitlement, e.period])).toEqual([
      ['monthly-input-tokens', { kind: 'MONTH', start: MONTH, end: '2026-12-01T00:00:00.000Z' }],
      ['daily-calls', { kind: 'DAY', start: DAY, end: '2026-12-01T00:00:00.000Z' }],
      ['workspace-daily-tokens', { kind: 'DAY', start: DAY, end: '2026-12-01T00:00:00.000Z' }],
    ]);
  });

  it("applies the tenant's limit override", () => {
    const tenant = profile({ overrides: { 'monthly-input-tokens': { limit: quantityOf(5000) } } });
    const rows = [entitlementRow({ entitlement: 'monthly-input-tokens', periodStart: MONTH, used: '1200' })];
    const [entry] = byKey(entitlementsView(usageCatalog, tenant, rows, NOW), 'monthly-input-tokens');
    expect(entry).toMatchObject({ limit: '5000', remaining: '3800' }); // 5000 − 1200
  });

  it('gives a scoped entitlement one entry per scope value seen this period, by value', () => {
    const rows = [
      {
        entitlement: 'workspace-daily-tokens',
        periodStart: DAY,
        scope: { workspace: 'w2' },
        used: '500',
        rejected: '20',
      },
      { entitlement: 'workspace-daily-tokens', periodStart: DAY, scope: { workspace: 'w1' }, used: '120' },
      {
        entitlement: 'workspace-daily-tokens',
        periodStart: YESTERDAY,
        scope: { workspace: 'w3' },
        used: '1',
      },
    ].map((row) => entitlementRow({ ...row, mode: 'hard' }));
    const entries = byKey(entitlementsView(usageCatalog, profile(), rows, NOW), 'workspace-daily-tokens');
    expect(entries.map((e) => [e.scope, e.used, e.remaining, e.rejected, e.blocked])).toEqual([
      [{ workspace: 'w1' }, '120', '380', '0', false], // 500 − 120
      [{ workspace: 'w2' }, '500', '0', '20', true],
    ]);
  });

  it('gives a scoped entitlement without usage one entry with an empty scope', () => {
    const entries = byKey(entitlementsView(usageCatalog, profile(), [], NOW), 'workspace-daily-tokens');
    expect(entries).toEqual([expect.objectContaining({ scope: {}, used: '0', remaining: '500' })]);
  });

  it("uses the tenant's billing anchor for BILLING_PERIOD (the 31st clamps to November's 30th)", () => {
    const tenant = profile({ plan: 'enterprise', billingAnchor: '2026-01-31' });
    const rows = [
      entitlementRow({ entitlement: 'input-tokens', periodStart: '2026-11-30T00:00:00.000Z', used: '42' }),
    ];
    const view = entitlementsView(usageCatalog, tenant, rows, NOW);
    expect(view.entitlements).toEqual([
      expect.objectContaining({
        entitlement: 'input-tokens',
        period: {
          kind: 'BILLING_PERIOD',
          start: '2026-11-30T00:00:00.000Z',
          end: '2026-12-31T00:00:00.000Z',
        },
        used: '42',
        remaining: '4958', // 5000 − 42
      }),
    ]);
  });

  it('throws unknown_plan for a plan the catalog no longer has', () => {
    expect(() => entitlementsView(usageCatalog, profile({ plan: 'legacy' }), [], NOW)).toThrow(CatalogError);
  });
});

describe('currentEntitlementPeriods', () => {
  it('names the counters of the current period of each entitlement', () => {
    expect(currentEntitlementPeriods(usageCatalog, profile(), NOW)).toEqual([
      { entitlement: 'monthly-input-tokens', periodStart: MONTH },
      { entitlement: 'daily-calls', periodStart: DAY },
      { entitlement: 'workspace-daily-tokens', periodStart: DAY },
    ]);
  });
});
