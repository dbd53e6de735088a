/**
 * Loading the catalog: text (YAML or JSON) → document → validated, frozen `Catalog`; and its
 * canonical JSON form and hash, which version it when it is published to the stack.
 */
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { formatQuantity } from '../decimal/quantity.js';
import { checkPlanBilling } from '../pricing/check-plan-billing.js';
import type { PlanBilling } from '../pricing/plan-billing.js';
import { planBillingToDocument } from '../pricing/plan-billing-schema.js';
import {
  CATALOG_SCHEMA_VERSION,
  type Catalog,
  CatalogError,
  type CatalogErrorCode,
  type ConfigIssue,
  type Entitlement,
  LIMITABLE_AGGREGATIONS,
  type Meter,
  type Plan,
} from './catalog.js';
import { type CatalogDocument, catalogDocumentSchema, duplicatePositions } from './catalog-schema.js';
import { configErrorMap, toConfigIssues } from './config-issues.js';

export type ConfigFormat = 'yaml' | 'json';

/** List items in the catalog are named by `key`; an entitlement without one by its `meter`. */
const CATALOG_LABEL_KEYS = ['key', 'meter'] as const;

/**
 * Parses YAML or JSON text into a plain document. Syntax errors throw `CatalogError` with
 * `code`, naming the line and column.
 */
export function parseConfigText(text: string, format: ConfigFormat, code: CatalogErrorCode): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CatalogError(code, [{ path: '', message: `JSON syntax error: ${message}` }], {
        cause: error,
      });
    }
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new CatalogError(
      code,
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return {
          path: '',
          message: `YAML syntax error at line ${at.line}, column ${at.col}: ${error.message}`,
        };
      }),
      { cause: document.errors[0] },
    );
  }
  try {
    return document.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CatalogError(code, [{ path: '', message: `YAML error: ${message}` }], { cause: error });
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function toMeter(meter: CatalogDocument['meters'][number]): Meter {
  const base = {
    key: meter.key,
    name: meter.name,
    unit: meter.unit,
    ...(meter.description === undefined ? {} : { description: meter.description }),
    eventType: meter.eventType,
    groupBy: [...meter.groupBy],
  };
  if (meter.aggregation === 'COUNT') return { ...base, aggregation: 'COUNT' };
  if (meter.valueProperty === undefined) {
    throw new Error(`unreachable: meterSchema requires valueProperty for ${meter.aggregation}`);
  }
  return { ...base, aggregation: meter.aggregation, valueProperty: meter.valueProperty };
}

function toEntitlement(entitlement: CatalogDocument['plans'][number]['entitlements'][number]): Entitlement {
  return {
    key: entitlement.key ?? entitlement.meter,
    meter: entitlement.meter,
    limit: entitlement.limit,
    period: entitlement.period,
    mode: entitlement.mode,
    thresholds: [...entitlement.thresholds].sort((a, b) => a - b),
    ...(entitlement.scope === undefined ? {} : { scope: entitlement.scope }),
  };
}

/** Fills in each price's `name` from its meter's name, when it has none and the meter exists. */
function withMeterNames(billing: PlanBilling, meters: readonly Meter[]): PlanBilling {
  const names = new Map(meters.map((meter) => [meter.key, meter.name]));
  return {
    ...billing,
    prices: billing.prices.map((price) => {
      const name = price.name ?? names.get(price.meter);
      return name === undefined ? price : { ...price, name };
    }),
  };
}

function toPlan(plan: CatalogDocument['plans'][number], meters: readonly Meter[]): Plan {
  return {
    key: plan.key,
    name: plan.name,
    ...(plan.description === undefined ? {} : { description: plan.description }),
    entitlements: plan.entitlements.map(toEntitlement),
    ...(plan.billing === undefined ? {} : { billing: withMeterNames(plan.billing, meters) }),
  };
}

function duplicateIssues(kind: string, listPath: string, keys: readonly string[]): ConfigIssue[] {
  return duplicatePositions(keys).map(([key, indexes]) => ({
    path: `${listPath}.${key}`,
    message: `duplicate ${kind} key "${key}" (${indexes.map((i) => `${listPath}[${i}]`).join(', ')})`,
  }));
}

/**
 * Checks that hold across items: unique keys, entitlements and prices referring to real meters
 * and dimensions (`checkPlanBilling` for each plan's billing).
 */
function checkReferences(catalog: Catalog): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  issues.push(
    ...duplicateIssues(
      'meter',
      'meters',
      catalog.meters.map((meter) => meter.key),
    ),
  );
  issues.push(
    ...duplicateIssues(
      'plan',
      'plans',
      catalog.plans.map((plan) => plan.key),
    ),
  );
  const meters = new Map(catalog.meters.map((meter) => [meter.key, meter]));
  for (const plan of catalog.plans) {
    const listPath = `plans.${plan.key}.entitlements`;
    const duplicates = duplicateIssues(
      'entitlement',
      listPath,
      plan.entitlements.map((e) => e.key),
    );
    issues.push(
      ...duplicates.map((issue) => ({
        ...issue,
        message: `${issue.message}; an entitlement without a key takes its meter's key`,
      })),
    );
    for (const entitlement of plan.entitlements) {
      const path = `${listPath}.${entitlement.key}`;
      const meter = meters.get(entitlement.meter);
      if (meter === undefined) {
        issues.push({ path: `${path}.meter`, message: `unknown meter "${entitlement.meter}"` });
      } else if (!LIMITABLE_AGGREGATIONS.has(meter.aggregation)) {
        issues.push({
          path: `${path}.meter`,
          message: `meter "${meter.key}" is ${meter.aggregation}; an entitlement can only limit a SUM or COUNT meter`,
        });
      } else if (entitlement.scope !== undefined && !meter.groupBy.includes(entitlement.scope)) {
        const dimensions = meter.groupBy.length === 0 ? 'none' : meter.groupBy.join(', ');
        issues.push({
          path: `${path}.scope`,
          message: `"${entitlement.scope}" is not a groupBy dimension of meter "${meter.key}" (dimensions: ${dimensions})`,
        });
      }
    }
    if (plan.billing !== undefined) {
      issues.push(...checkPlanBilling(plan.billing, catalog.meters, `plans.${plan.key}.billing`));
    }
  }
  return issues;
}

/**
 * Validates a catalog document (already parsed from YAML or JSON) and returns the frozen
 * catalog. Throws `CatalogError` (`invalid_catalog`) listing every problem, each named by its
 * path with list items named by key.
 */
export function parseCatalog(document: unknown): Catalog {
  const result = catalogDocumentSchema.safeParse(document, { error: configErrorMap });
  if (!result.success) {
    throw new CatalogError(
      'invalid_catalog',
      toConfigIssues(result.error.issues, document, catalogDocumentSchema, CATALOG_LABEL_KEYS),
    );
  }
  const meters = result.data.meters.map(toMeter);
  const catalog: Catalog = {
    schemaVersion: CATALOG_SCHEMA_VERSION,
    meters,
    plans: result.data.plans.map((plan) => toPlan(plan, meters)),
    ...(result.data.currencies === undefined ? {} : { currencies: { ...result.data.currencies } }),
  };
  const issues = checkReferences(catalog);
  if (issues.length > 0) throw new CatalogError('invalid_catalog', issues);
  return deepFreeze(catalog);
}

/** Parses catalog text in YAML or JSON; syntax and validation errors throw `CatalogError`. */
export function loadCatalogText(text: string, format: ConfigFormat): Catalog {
  return parseCatalog(parseConfigText(text, format, 'invalid_catalog'));
}

/**
 * The catalog as a plain JSON document that `parseCatalog` accepts and reads back to an equal
 * catalog: no bigints (limits, prices, amounts and quantities as canonical decimal strings).
 */
export function catalogToDocument(catalog: Catalog): unknown {
  return {
    schemaVersion: catalog.schemaVersion,
    meters: catalog.meters.map((meter) => ({ ...meter, groupBy: [...meter.groupBy] })),
    plans: catalog.plans.map((plan) => ({
      ...plan,
      entitlements: plan.entitlements.map((entitlement) => ({
        ...entitlement,
        limit: formatQuantity(entitlement.limit),
        thresholds: [...entitlement.thresholds],
      })),
      ...(plan.billing === undefined ? {} : { billing: planBillingToDocument(plan.billing) }),
    })),
    ...(catalog.currencies === undefined
      ? {}
      : {
          currencies: Object.fromEntries(
            Object.entries(catalog.currencies).map(([code, settings]) => [code, { ...settings }]),
          ),
        }),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * The catalog's canonical JSON: object keys sorted, defaults filled in (entitlement keys,
 * thresholds, price keys and names, billing defaults), limits and money as canonical decimal
 * strings, no whitespace. Two documents that mean the
 * same catalog, in YAML or JSON, in any key order, give the same text. List order is kept.
 */
export function canonicalCatalogJson(catalog: Catalog): string {
  return JSON.stringify(sortKeys(catalogToDocument(catalog)));
}

/** sha256 (hex) of the canonical JSON: the catalog's content version. */
export function catalogHash(catalog: Catalog): string {
  return createHash('sha256').update(canonicalCatalogJson(catalog), 'utf8').digest('hex');
}
