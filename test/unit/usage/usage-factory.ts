import { compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import { parseCatalog } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { parseStoredQuantity } from '../../../shared/decimal/stored-quantity.js';
import type { EntitlementRow, RollupRow } from '../../../shared/usage/ports.js';

/** One meter of each aggregation, and plans with every kind of entitlement. */
export const usageCatalog = compileCatalog(
  parseCatalog({
    schemaVersion: 1,
    meters: [
      {
        key: 'input_tokens',
        name: 'Input tokens',
        unit: 'tokens',
        eventType: 'llm.completion',
        aggregation: 'SUM',
        valueProperty: 'input_tokens',
        groupBy: ['model', 'workspace'],
      },
      {
        key: 'calls',
        name: 'Calls',
        unit: 'calls',
        eventType: 'inference.call',
        aggregation: 'COUNT',
        groupBy: ['model'],
      },
      {
        key: 'storage_gb',
        name: 'Storage',
        unit: 'GB',
        eventType: 'storage.snapshot',
        aggregation: 'MAX',
        valueProperty: 'gb',
        groupBy: ['workspace'],
      },
      {
        key: 'queue_depth',
        name: 'Queue depth',
        unit: 'jobs',
        eventType: 'queue.sample',
        aggregation: 'LATEST',
        valueProperty: 'depth',
        groupBy: ['workspace'],
      },
      {
        key: 'active_agents',
        name: 'Active agents',
        unit: 'agents',
        eventType: 'llm.completion',
        aggregation: 'UNIQUE_COUNT',
        valueProperty: 'agent',
        groupBy: ['workspace'],
      },
    ],
    plans: [
      {
        key: 'pro',
        name: 'Pro',
        entitlements: [
          {
            key: 'monthly-input-tokens',
            meter: 'input_tokens',
            limit: '1000',
            period: 'MONTH',
            mode: 'soft',
          },
          {
            key: 'daily-calls',
            meter: 'calls',
            limit: 10,
            period: 'DAY',
            mode: 'hard',
            thresholds: [80, 100],
          },
          {
            key: 'workspace-daily-tokens',
            meter: 'input_tokens',
            limit: '500',
            period: 'DAY',
            mode: 'hard',
            scope: 'workspace',
          },
        ],
      },
      {
        key: 'enterprise',
        name: 'Enterprise',
        entitlements: [
          {
            key: 'input-tokens',
            meter: 'input_tokens',
            limit: '5000',
            period: 'BILLING_PERIOD',
            mode: 'soft',
          },
        ],
      },
    ],
  }),
);

export function profile(overrides: Partial<TenantProfile> = {}): TenantProfile {
  return { tenant: 'acme', plan: 'pro', status: 'active', ...overrides };
}

export interface RollupRowSpec {
  readonly group?: Record<string, string>;
  /** `m_` attributes as decimal text. */
  readonly values?: Record<string, string>;
  readonly sets?: Record<string, readonly string[]>;
  readonly times?: Record<string, string>;
}

/** A rollup row for the hour starting at `windowStart`. */
export function rollupRow(windowStart: string, spec: RollupRowSpec = {}): RollupRow {
  return {
    windowStart,
    group: spec.group ?? {},
    values: new Map(Object.entries(spec.values ?? {}).map(([k, v]) => [k, parseStoredQuantity(v)])),
    sets: new Map(Object.entries(spec.sets ?? {}).map(([k, v]) => [k, new Set(v)])),
    times: new Map(Object.entries(spec.times ?? {})),
  };
}

export function entitlementRow(
  spec: Partial<Omit<EntitlementRow, 'used' | 'overage' | 'rejected'>> & {
    entitlement: string;
    periodStart: string;
    used?: string;
    overage?: string;
    rejected?: string;
  },
): EntitlementRow {
  return {
    meter: 'input_tokens',
    mode: 'soft',
    periodEnd: '',
    emitted: [],
    ...spec,
    used: parseStoredQuantity(spec.used ?? '0'),
    overage: parseStoredQuantity(spec.overage ?? '0'),
    rejected: parseStoredQuantity(spec.rejected ?? '0'),
  };
}
