/**
 * The catalog: what Tollgate meters and what each plan entitles a tenant to.
 *
 * It is versioned configuration that lives in the repository (`config/catalog.yaml`), is
 * validated by `parseCatalog`, and is published to the running stack as canonical JSON. See
 * README.md in this folder for the vocabulary (meter, plan, entitlement, period, scope).
 */
import type { Quantity } from '../decimal/quantity.js';
import type { CurrencySettings, PlanBilling } from '../pricing/plan-billing.js';
import type { Period } from '../time/windows.js';

export const CATALOG_SCHEMA_VERSION = 1;

export const AGGREGATIONS = ['SUM', 'COUNT', 'MAX', 'UNIQUE_COUNT', 'LATEST'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** SUM, COUNT and UNIQUE_COUNT add up across events; MAX and LATEST compare-and-set. */
export const ADDITIVE_AGGREGATIONS: ReadonlySet<Aggregation> = new Set(['SUM', 'COUNT', 'UNIQUE_COUNT']);

/**
 * Aggregations an entitlement can limit: their usage in a period is the sum of what each event
 * adds. A period's MAX, LATEST or distinct count is not, so counters could not enforce it.
 */
export const LIMITABLE_AGGREGATIONS: ReadonlySet<Aggregation> = new Set(['SUM', 'COUNT']);

export type EntitlementPeriod = Period;
export const ENTITLEMENT_PERIODS = ['DAY', 'MONTH', 'BILLING_PERIOD'] as const satisfies readonly Period[];

/** `hard`: usage above the limit is rejected (recorded, not billed). `soft`: it is overage. */
export const ENFORCEMENT_MODES = ['hard', 'soft'] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

export const DEFAULT_THRESHOLDS: readonly number[] = [50, 80, 100];

export const METER_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const PLAN_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const ENTITLEMENT_KEY_PATTERN = PLAN_KEY_PATTERN;
/** An event type; it is part of rollup keys, so never contains `|`, `#` or `,`. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
/** A data property (dimension or value); part of group keys, so never contains `=`, `&`, `,`, `|` or `#`. */
export const PROPERTY_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
export const MAX_GROUP_BY = 8;

interface MeterBase {
  /** Unique within the catalog; names the `m_`/`u_` attribute in rollups. */
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  readonly description?: string;
  /** The CloudEvents `type` this meter selects. */
  readonly eventType: string;
  /** Dimension names (event data properties), in the order written. */
  readonly groupBy: readonly string[];
}

/** Counts events; reads no value. */
export interface CountMeter extends MeterBase {
  readonly aggregation: 'COUNT';
}

/** Aggregates the event data property `valueProperty`. */
export interface ValueMeter extends MeterBase {
  readonly aggregation: Exclude<Aggregation, 'COUNT'>;
  /** A numeric property (SUM, MAX, LATEST) or the property whose distinct values are counted (UNIQUE_COUNT). */
  readonly valueProperty: string;
}

export type Meter = CountMeter | ValueMeter;

export interface Entitlement {
  /** Unique within its plan; defaults to the meter key. */
  readonly key: string;
  readonly meter: string;
  readonly limit: Quantity;
  readonly period: EntitlementPeriod;
  readonly mode: EnforcementMode;
  /** Percent of the limit at which a threshold event is published, ascending. */
  readonly thresholds: readonly number[];
  /** When set, the limit applies separately to each value of this dimension of the meter. */
  readonly scope?: string;
}

export interface Plan {
  readonly key: string;
  readonly name: string;
  readonly description?: string;
  readonly entitlements: readonly Entitlement[];
  /** What a tenant on the plan pays each period; a plan without it bills nothing. */
  readonly billing?: PlanBilling;
}

export interface Catalog {
  readonly schemaVersion: typeof CATALOG_SCHEMA_VERSION;
  readonly meters: readonly Meter[];
  readonly plans: readonly Plan[];
  /** Per-currency settings keyed by ISO 4217 code, e.g. `{ JPY: { rounding: 'half_even' } }`. */
  readonly currencies?: Readonly<Record<string, CurrencySettings>>;
}

/** One problem in a configuration document; `path` names items by their key, e.g. `meters.input_tokens.unit`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export type CatalogErrorCode =
  /** The catalog document is malformed or inconsistent. */
  | 'invalid_catalog'
  /** The tenant seed file is malformed or refers to unknown plans or entitlements. */
  | 'invalid_tenant_seed'
  /** A stored tenant profile is malformed. */
  | 'invalid_tenant_profile'
  /** A tenant's plan is not in the catalog. */
  | 'unknown_plan';

const TITLES: Record<CatalogErrorCode, string> = {
  invalid_catalog: 'invalid catalog',
  invalid_tenant_seed: 'invalid tenant seed',
  invalid_tenant_profile: 'invalid tenant profile',
  unknown_plan: 'unknown plan',
};

/** Formats issues as `path: message` lines. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
    .join('\n');
}

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  readonly code: CatalogErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(code: CatalogErrorCode, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const title = TITLES[code];
    const message =
      issues.length === 1
        ? `${title}: ${formatIssues(issues)}`
        : `${title} (${issues.length} problems):\n${formatIssues(issues)}`;
    super(message, options);
    this.code = code;
    this.issues = issues;
  }
}
