/**
 * The zod schema of a plan's `billing` section in the catalog, and its inverse
 * (`planBillingToDocument`) for the canonical JSON. Money is written in major units as decimal
 * strings or numbers (`"0.0000025"`, `49`): unit prices and amounts with at most 12 decimal
 * places, read exactly. Quantities (`upTo`, `included`, `packageSize`) are read like catalog
 * limits. Checks across items (meters, dimensions, unique keys, tier order) are in
 * `check-plan-billing.ts`.
 */
import * as z from 'zod';
import { limitSchema, parseLimit, propertyNameSchema, textSchema } from '../catalog/field-schemas.js';
import { formatQuantity } from '../decimal/quantity.js';
import {
  formatPrecise,
  formatUnitPrice,
  isKnownCurrency,
  PRICE_SCALE,
  type PreciseAmount,
  ROUNDING_MODES,
  type UnitPrice,
  unitPriceAmount,
} from '../money/money.js';
import { BILLING_ANCHORS, BILLING_CADENCES, MAX_TRIAL_DAYS, type PlanBilling } from './plan-billing.js';
import type { Discount, PriceTier, UsagePrice } from './price-component.js';

/** Keys of prices, fees and discounts: they name invoice lines. */
export const BILLING_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
const billingKeySchema = z
  .string()
  .regex(
    BILLING_KEY_PATTERN,
    'must be lowercase letters, digits, _ and -, start with a letter, ≤ 64 characters',
  );

export const currencyCodeSchema = z.string().superRefine((code, ctx) => {
  if (!isKnownCurrency(code)) {
    ctx.addIssue({ code: 'custom', message: `must be a known ISO 4217 currency code, not "${code}"` });
  }
});

/** A price per unit in major units, ≥ 0, at most 12 decimal places. */
export const unitPriceSchema = z.unknown().transform((value, ctx): UnitPrice => {
  const parsed = parseLimit(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.message, input: value });
    return z.NEVER;
  }
  // A Quantity and a UnitPrice have the same scale (10^-12).
  return parsed.value;
});

/** An amount in major units (`"49.00"`), ≥ 0, at most 12 decimal places, as a precise amount. */
export const amountSchema = unitPriceSchema.transform((value): PreciseAmount => unitPriceAmount(value));

const PERCENT_ONE = 10n ** BigInt(PRICE_SCALE);
const PERCENT_DECIMALS = 4;

/** A percent `0 < p ≤ 100` with at most 4 decimals, as parts per million (`"12.5"` → 125000). */
export const percentSchema = unitPriceSchema.transform((value, ctx): bigint => {
  const step = 10n ** BigInt(PRICE_SCALE - PERCENT_DECIMALS);
  if (value % step !== 0n) {
    ctx.addIssue({ code: 'custom', message: `must have at most ${PERCENT_DECIMALS} decimal places` });
    return z.NEVER;
  }
  if (value <= 0n || value > 100n * PERCENT_ONE) {
    ctx.addIssue({ code: 'custom', message: 'must be a percent greater than 0 and at most 100' });
    return z.NEVER;
  }
  return value / step;
});

const tierSchema = z.strictObject({
  upTo: limitSchema.optional(),
  unitPrice: unitPriceSchema,
  flatFee: amountSchema.optional(),
});

const tiersSchema = z.array(tierSchema).min(1, 'must list at least one tier');

const priceBase = {
  key: billingKeySchema.optional(),
  meter: z.string().min(1, 'must not be empty'),
  name: textSchema(128).optional(),
};

const usagePriceDocumentSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...priceBase, type: z.literal('per_unit'), unitPrice: unitPriceSchema }),
  z.strictObject({ ...priceBase, type: z.literal('graduated'), tiers: tiersSchema }),
  z.strictObject({ ...priceBase, type: z.literal('volume'), tiers: tiersSchema }),
  z.strictObject({
    ...priceBase,
    type: z.literal('package'),
    packageSize: limitSchema,
    packagePrice: amountSchema,
  }),
  z.strictObject({
    ...priceBase,
    type: z.literal('allowance'),
    included: limitSchema,
    unitPrice: unitPriceSchema,
  }),
  z.strictObject({
    ...priceBase,
    type: z.literal('rate_card'),
    dimension: propertyNameSchema,
    rates: z.record(
      z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
      unitPriceSchema,
    ),
    default: unitPriceSchema.optional(),
  }),
]);

type UsagePriceDocument = z.output<typeof usagePriceDocumentSchema>;
type TierDocument = z.output<typeof tierSchema>;

function toTier(tier: TierDocument): PriceTier {
  return {
    ...(tier.upTo === undefined ? {} : { upTo: tier.upTo }),
    unitPrice: tier.unitPrice,
    ...(tier.flatFee === undefined ? {} : { flatFee: tier.flatFee }),
  };
}

function toUsagePrice(price: UsagePriceDocument): UsagePrice {
  const base = {
    key: price.key ?? price.meter,
    meter: price.meter,
    ...(price.name === undefined ? {} : { name: price.name }),
  };
  switch (price.type) {
    case 'per_unit':
      return { ...base, type: price.type, unitPrice: price.unitPrice };
    case 'graduated':
    case 'volume':
      return { ...base, type: price.type, tiers: price.tiers.map(toTier) };
    case 'package':
      return { ...base, type: price.type, packageSize: price.packageSize, packagePrice: price.packagePrice };
    case 'allowance':
      return { ...base, type: price.type, included: price.included, unitPrice: price.unitPrice };
    case 'rate_card':
      return {
        ...base,
        type: price.type,
        dimension: price.dimension,
        rates: { ...price.rates },
        ...(price.default === undefined ? {} : { defaultUnitPrice: price.default }),
      };
  }
}

/** A usage price; `key` defaults to the meter key. */
export const usagePriceSchema = usagePriceDocumentSchema.transform(toUsagePrice);

export const flatFeeSchema = z.strictObject({
  key: billingKeySchema,
  name: textSchema(128),
  amount: amountSchema,
});

export const discountSchema = z
  .strictObject({
    key: billingKeySchema,
    name: textSchema(128),
    percent: percentSchema.optional(),
    amount: amountSchema.optional(),
  })
  .superRefine((discount, ctx) => {
    if ((discount.percent === undefined) === (discount.amount === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must have exactly one of percent and amount' });
    }
  })
  .transform((discount): Discount => {
    const base = { key: discount.key, name: discount.name };
    return discount.percent !== undefined
      ? { ...base, kind: 'percent', partsPerMillion: discount.percent }
      : { ...base, kind: 'amount', amount: discount.amount ?? 0n };
  });

export const minimumCommitmentSchema = z.strictObject({
  amount: amountSchema,
  name: textSchema(128).optional(),
});

/** A plan's `billing` section → `PlanBilling`. */
export const planBillingSchema = z
  .strictObject({
    currency: currencyCodeSchema,
    cadence: z.enum(BILLING_CADENCES).default('monthly'),
    anchor: z.enum(BILLING_ANCHORS).default('calendar'),
    trialDays: z
      .number()
      .int('must be a whole number of days')
      .min(0, `must be between 0 and ${MAX_TRIAL_DAYS} days`)
      .max(MAX_TRIAL_DAYS, `must be between 0 and ${MAX_TRIAL_DAYS} days`)
      .default(0),
    fees: z.array(flatFeeSchema).default([]),
    prices: z.array(usagePriceSchema).default([]),
    minimumCommitment: minimumCommitmentSchema.optional(),
    discounts: z.array(discountSchema).default([]),
  })
  .transform(
    (billing): PlanBilling => ({
      currency: billing.currency,
      cadence: billing.cadence,
      anchor: billing.anchor,
      trialDays: billing.trialDays,
      fees: billing.fees,
      prices: billing.prices,
      ...(billing.minimumCommitment === undefined
        ? {}
        : {
            minimumCommitment: {
              amount: billing.minimumCommitment.amount,
              ...(billing.minimumCommitment.name === undefined
                ? {}
                : { name: billing.minimumCommitment.name }),
            },
          }),
      discounts: billing.discounts,
    }),
  );

/** The catalog's top-level `currencies`: rounding overrides per ISO 4217 code. */
export const currencySettingsSchema = z.record(
  currencyCodeSchema,
  z.strictObject({ rounding: z.enum(ROUNDING_MODES) }),
);

// ---------------------------------------------------------------------------------------------
// Back to a document

const amountText = (amount: PreciseAmount): string => formatPrecise(amount);

function tierToDocument(tier: PriceTier): Record<string, unknown> {
  return {
    ...(tier.upTo === undefined ? {} : { upTo: formatQuantity(tier.upTo) }),
    unitPrice: formatUnitPrice(tier.unitPrice),
    ...(tier.flatFee === undefined ? {} : { flatFee: amountText(tier.flatFee) }),
  };
}

function priceToDocument(price: UsagePrice): Record<string, unknown> {
  const base = {
    key: price.key,
    meter: price.meter,
    ...(price.name === undefined ? {} : { name: price.name }),
    type: price.type,
  };
  switch (price.type) {
    case 'per_unit':
      return { ...base, unitPrice: formatUnitPrice(price.unitPrice) };
    case 'graduated':
    case 'volume':
      return { ...base, tiers: price.tiers.map(tierToDocument) };
    case 'package':
      return {
        ...base,
        packageSize: formatQuantity(price.packageSize),
        packagePrice: amountText(price.packagePrice),
      };
    case 'allowance':
      return {
        ...base,
        included: formatQuantity(price.included),
        unitPrice: formatUnitPrice(price.unitPrice),
      };
    case 'rate_card':
      return {
        ...base,
        dimension: price.dimension,
        rates: Object.fromEntries(
          Object.entries(price.rates).map(([value, rate]) => [value, formatUnitPrice(rate)]),
        ),
        ...(price.defaultUnitPrice === undefined ? {} : { default: formatUnitPrice(price.defaultUnitPrice) }),
      };
  }
}

function discountToDocument(discount: Discount): Record<string, unknown> {
  const base = { key: discount.key, name: discount.name };
  return discount.kind === 'percent'
    ? // parts per million → percent: ppm × 10^8 is the percent at scale 10^-12.
      { ...base, percent: formatQuantity(discount.partsPerMillion * 10n ** 8n) }
    : { ...base, amount: amountText(discount.amount) };
}

/**
 * The billing section as a plain document that `planBillingSchema` reads back to an equal
 * `PlanBilling`: every bigint as a canonical decimal string, defaults written out.
 */
export function planBillingToDocument(billing: PlanBilling): Record<string, unknown> {
  return {
    currency: billing.currency,
    cadence: billing.cadence,
    anchor: billing.anchor,
    trialDays: billing.trialDays,
    fees: billing.fees.map((fee) => ({ key: fee.key, name: fee.name, amount: amountText(fee.amount) })),
    prices: billing.prices.map(priceToDocument),
    ...(billing.minimumCommitment === undefined
      ? {}
      : {
          minimumCommitment: {
            amount: amountText(billing.minimumCommitment.amount),
            ...(billing.minimumCommitment.name === undefined ? {} : { name: billing.minimumCommitment.name }),
          },
        }),
    discounts: billing.discounts.map(discountToDocument),
  };
}
