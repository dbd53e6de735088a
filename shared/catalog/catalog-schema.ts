/**
 * The zod schema of the catalog document (schemaVersion 1). Checks that span items (unique
 * keys, references to meters) are in `load-catalog.ts`; issue paths in `config-issues.ts`. A
 * plan's `billing` section is read by `shared/pricing/plan-billing-schema.ts`.
 */
import * as z from 'zod';
import { currencySettingsSchema, planBillingSchema } from '../pricing/plan-billing-schema.js';
import {
  AGGREGATIONS,
  CATALOG_SCHEMA_VERSION,
  DEFAULT_THRESHOLDS,
  ENFORCEMENT_MODES,
  ENTITLEMENT_KEY_PATTERN,
  ENTITLEMENT_PERIODS,
  EVENT_TYPE_PATTERN,
  MAX_GROUP_BY,
  METER_KEY_PATTERN,
  PLAN_KEY_PATTERN,
} from './catalog.js';
import { limitSchema, propertyNameSchema, textSchema } from './field-schemas.js';

export { type LimitParseResult, limitSchema, parseLimit, propertyNameSchema } from './field-schemas.js';

// ---------------------------------------------------------------------------------------------
// Document schema

const text = textSchema;

const meterKeySchema = z
  .string()
  .regex(METER_KEY_PATTERN, 'must be lowercase letters, digits and _, start with a letter, ≤ 64 characters');
const planKeySchema = z
  .string()
  .regex(
    PLAN_KEY_PATTERN,
    'must be lowercase letters, digits, _ and -, start with a letter, ≤ 64 characters',
  );
const entitlementKeySchema = z
  .string()
  .regex(
    ENTITLEMENT_KEY_PATTERN,
    'must be lowercase letters, digits, _ and -, start with a letter, ≤ 64 characters',
  );

function findDuplicates<T>(values: readonly T[]): { index: number; value: T }[] {
  const seen = new Set<T>();
  const duplicates: { index: number; value: T }[] = [];
  values.forEach((value, index) => {
    if (seen.has(value)) duplicates.push({ index, value });
    seen.add(value);
  });
  return duplicates;
}

/** Each value that occurs more than once, with every index it occurs at. */
export function duplicatePositions(values: readonly string[]): [value: string, indexes: number[]][] {
  const positions = new Map<string, number[]>();
  values.forEach((value, index) => {
    positions.set(value, [...(positions.get(value) ?? []), index]);
  });
  return [...positions].filter(([, indexes]) => indexes.length > 1);
}

export const meterSchema = z
  .strictObject({
    key: meterKeySchema,
    name: text(128),
    unit: text(64),
    description: text(1024).optional(),
    eventType: z.string().regex(EVENT_TYPE_PATTERN, 'must be a CloudEvents type such as "llm.completion"'),
    aggregation: z.enum(AGGREGATIONS),
    valueProperty: propertyNameSchema.optional(),
    groupBy: z
      .array(propertyNameSchema)
      .max(MAX_GROUP_BY, `must list at most ${MAX_GROUP_BY} dimensions`)
      .default([]),
  })
  .superRefine((meter, ctx) => {
    if (meter.aggregation === 'COUNT' && meter.valueProperty !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['valueProperty'],
        message: 'not allowed for COUNT (it counts events)',
      });
    }
    if (meter.aggregation !== 'COUNT' && meter.valueProperty === undefined) {
      ctx.addIssue({ code: 'custom', path: ['valueProperty'], message: `required for ${meter.aggregation}` });
    }
    for (const { index, value } of findDuplicates(meter.groupBy)) {
      ctx.addIssue({ code: 'custom', path: ['groupBy', index], message: `duplicate dimension "${value}"` });
    }
  });

const thresholdSchema = z
  .number()
  .int('must be a whole percent')
  .min(1, 'must be a percent between 1 and 1000')
  .max(1000, 'must be a percent between 1 and 1000');

export const thresholdsSchema = z.array(thresholdSchema).superRefine((thresholds, ctx) => {
  for (const { index, value } of findDuplicates(thresholds)) {
    ctx.addIssue({ code: 'custom', path: [index], message: `duplicate threshold ${value}` });
  }
});

export const entitlementSchema = z.strictObject({
  key: entitlementKeySchema.optional(),
  meter: z.string().min(1, 'must not be empty'),
  limit: limitSchema,
  period: z.enum(ENTITLEMENT_PERIODS),
  mode: z.enum(ENFORCEMENT_MODES),
  thresholds: thresholdsSchema.default([...DEFAULT_THRESHOLDS]),
  scope: propertyNameSchema.optional(),
});

export const planSchema = z.strictObject({
  key: planKeySchema,
  name: text(128),
  description: text(1024).optional(),
  entitlements: z.array(entitlementSchema).default([]),
  billing: planBillingSchema.optional(),
});

export const catalogDocumentSchema = z.strictObject({
  schemaVersion: z.literal(CATALOG_SCHEMA_VERSION),
  meters: z.array(meterSchema),
  plans: z.array(planSchema),
  currencies: currencySettingsSchema.optional(),
});

export type CatalogDocument = z.output<typeof catalogDocumentSchema>;
