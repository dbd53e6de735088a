/**
 * The zod schema of the catalog document (schemaVersion 1). Checks that span items (unique
 * keys, references to meters) are in `load-catalog.ts`; issue paths in `config-issues.ts`.
 */
import * as z from 'zod';
import { parseQuantity, type Quantity, quantityFromNumber } from '../decimal/quantity.js';
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
  PROPERTY_NAME_PATTERN,
} from './catalog.js';

// ---------------------------------------------------------------------------------------------
// Limits

export type LimitParseResult =
  | { readonly ok: true; readonly value: Quantity }
  | { readonly ok: false; readonly message: string };

const NOT_A_LIMIT = 'must be a decimal ≥ 0';

/** Reads a limit written as a decimal string (`"0.25"`) or a number, exactly. */
export function parseLimit(value: unknown): LimitParseResult {
  if (value === undefined) return { ok: false, message: 'required' };
  if (typeof value !== 'string' && typeof value !== 'number') return { ok: false, message: NOT_A_LIMIT };
  const parsed = typeof value === 'string' ? parseQuantity(value) : quantityFromNumber(value);
  if (parsed.ok) return parsed;
  switch (parsed.failure) {
    case 'not_a_number':
    case 'negative':
    case 'not_finite':
      return { ok: false, message: NOT_A_LIMIT };
    case 'too_many_digits':
      return {
        ok: false,
        message:
          typeof value === 'number'
            ? 'has more digits than a number holds exactly; write it as a quoted decimal string'
            : 'must have at most 18 significant digits',
      };
    case 'too_precise':
      return { ok: false, message: 'must have at most 12 decimal places' };
    case 'too_large':
      return { ok: false, message: 'must be at most 10^18' };
  }
}

export const limitSchema = z.unknown().transform((value, ctx): Quantity => {
  const parsed = parseLimit(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.message, input: value });
    return z.NEVER;
  }
  return parsed.value;
});

// ---------------------------------------------------------------------------------------------
// Document schema

function text(max: number) {
  return z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
}

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
export const propertyNameSchema = z
  .string()
  .regex(PROPERTY_NAME_PATTERN, 'must be a property name: letters, digits, _, . and -, ≤ 64 characters');

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
});

export const catalogDocumentSchema = z.strictObject({
  schemaVersion: z.literal(CATALOG_SCHEMA_VERSION),
  meters: z.array(meterSchema),
  plans: z.array(planSchema),
});

export type CatalogDocument = z.output<typeof catalogDocumentSchema>;
