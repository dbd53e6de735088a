import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MoneyError } from '../../../shared/money/money.js';
import { currencyForPlan, type PlanBilling } from '../../../shared/pricing/plan-billing.js';
import { planBillingSchema, planBillingToDocument } from '../../../shared/pricing/plan-billing-schema.js';
import { money, perUnit, units } from './pricing-factory.js';

const YAML = `
currency: USD
fees:
  - { key: platform, name: Pro platform fee, amount: "49.00" }
prices:
  - { meter: input_tokens, type: rate_card, dimension: model, rates: { gpt-4o: "0.0000025" }, default: "0.000002" }
  - { key: gpu, meter: gpu_seconds, type: graduated, tiers: [ { upTo: 3600, unitPrice: "0.001" }, { unitPrice: "0.0008", flatFee: "5" } ] }
  - { meter: inference_calls, type: package, packageSize: 1000, packagePrice: "0.50" }
  - { meter: output_tokens, type: allowance, included: 1000000, unitPrice: "0.00001" }
  - { meter: storage_gb, type: per_unit, unitPrice: 0.02 }
  - { meter: cached_tokens, type: volume, tiers: [ { upTo: "0.5", unitPrice: "1" }, { unitPrice: "0.5" } ] }
minimumCommitment: { amount: "100.00" }
discounts:
  - { key: launch, name: Launch discount, percent: "12.5" }
  - { key: loyalty, name: Loyalty, amount: 5 }
`;

const expected: PlanBilling = {
  currency: 'USD',
  cadence: 'monthly',
  anchor: 'calendar',
  trialDays: 0,
  fees: [{ key: 'platform', name: 'Pro platform fee', amount: money('49') }],
  prices: [
    {
      key: 'input_tokens',
      meter: 'input_tokens',
      type: 'rate_card',
      dimension: 'model',
      rates: { 'gpt-4o': perUnit('0.0000025') },
      defaultUnitPrice: perUnit('0.000002'),
    },
    {
      key: 'gpu',
      meter: 'gpu_seconds',
      type: 'graduated',
      tiers: [
        { upTo: units('3600'), unitPrice: perUnit('0.001') },
        { unitPrice: perUnit('0.0008'), flatFee: money('5') },
      ],
    },
    {
      key: 'inference_calls',
      meter: 'inference_calls',
      type: 'package',
      packageSize: units('1000'),
      packagePrice: money('0.5'),
    },
    {
      key: 'output_tokens',
      meter: 'output_tokens',
      type: 'allowance',
      included: units('1000000'),
      unitPrice: perUnit('0.00001'),
    },
    { key: 'storage_gb', meter: 'storage_gb', type: 'per_unit', unitPrice: perUnit('0.02') },
    {
      key: 'cached_tokens',
      meter: 'cached_tokens',
      type: 'volume',
      tiers: [{ upTo: units('0.5'), unitPrice: perUnit('1') }, { unitPrice: perUnit('0.5') }],
    },
  ],
  minimumCommitment: { amount: money('100') },
  discounts: [
    // 12.5% = 125,000 parts per million
    { key: 'launch', name: 'Launch discount', kind: 'percent', partsPerMillion: 125_000n },
    { key: 'loyalty', name: 'Loyalty', kind: 'amount', amount: money('5') },
  ],
};

describe('planBillingSchema', () => {
  it('reads the billing section exactly, filling in defaults and price keys', () => {
    expect(planBillingSchema.parse(parse(YAML))).toEqual(expected);
  });

  it('reads only a currency as a plan that bills nothing', () => {
    expect(planBillingSchema.parse({ currency: 'EUR' })).toEqual({
      currency: 'EUR',
      cadence: 'monthly',
      anchor: 'calendar',
      trialDays: 0,
      fees: [],
      prices: [],
      discounts: [],
    });
  });

  it('round-trips through planBillingToDocument, with every bigint as a decimal string', () => {
    const document = planBillingToDocument(expected);
    const json = JSON.stringify(document);
    expect(json).toContain('"rates":{"gpt-4o":"0.0000025"}');
    expect(json).toContain('"percent":"12.5"');
    expect(json).toContain('"packagePrice":"0.5"');
    expect(planBillingSchema.parse(JSON.parse(json))).toEqual(expected);
  });
});

describe('currencyForPlan', () => {
  it('rounds half-up unless the catalog overrides the currency', () => {
    expect(currencyForPlan({}, { currency: 'USD' })).toEqual({
      code: 'USD',
      minorUnits: 2,
      rounding: 'half_up',
    });
    const catalog = { currencies: { JPY: { rounding: 'half_even' as const } } };
    expect(currencyForPlan(catalog, { currency: 'JPY' })).toEqual({
      code: 'JPY',
      minorUnits: 0,
      rounding: 'half_even',
    });
    expect(currencyForPlan(catalog, { currency: 'KWD' })).toEqual({
      code: 'KWD',
      minorUnits: 3,
      rounding: 'half_up',
    });
  });

  it('throws unknown_currency for a currency Tollgate does not know', () => {
    expect(() => currencyForPlan({}, { currency: 'XYZ' })).toThrow(MoneyError);
  });
});
