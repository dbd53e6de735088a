/**
 * zod schemas of single fields shared by the catalog document and the plans' billing sections
 * (`shared/pricing/plan-billing-schema.ts`): limits and other exact quantities, property names,
 * text. Kept apart from `catalog-schema.ts` so that the billing schema can use them without an
 * import cycle; `catalog-schema.ts` re-exports them.
 */
import * as z from 'zod';
import { parseQuantity, type Quantity, quantityFromNumber } from '../decimal/quantity.js';
import { PROPERTY_NAME_PATTERN } from './catalog.js';

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

/** A trimmed, non-empty string of at most `max` characters. */
export function textSchema(max: number) {
  return z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
}

export const propertyNameSchema = z
  .string()
  .regex(PROPERTY_NAME_PATTERN, 'must be a property name: letters, digits, _, . and -, ≤ 64 characters');
