import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  canonicalCatalogJson,
  catalogHash,
  catalogToDocument,
  loadCatalogText,
  parseCatalog,
} from '../../../shared/catalog/load-catalog.js';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { currencyOf, roundToMinor } from '../../../shared/money/money.js';
import { currencyForPlan } from '../../../shared/pricing/plan-billing.js';
import { priceUsage } from '../../../shared/pricing/price-usage.js';
import { catalogDocument, issuesOf } from './catalog-factory.js';

type Json = Record<string, unknown>;

/** The factory catalog with a billing section on its `pro` plan. */
function billedDocument(billing: Json = {}) {
  const doc = catalogDocument() as ReturnType<typeof catalogDocument> & Json;
  doc.plans[0]!.billing = {
    currency: 'USD',
    fees: [{ key: 'platform', name: 'Pro platform fee', amount: '49.00' }],
    prices: [
      {
        meter: 'input_tokens',
        type: 'rate_card',
        dimension: 'model',
        rates: { 'gpt-4o': '0.0000025' },
        default: '0.000003',
      },
      {
        key: 'calls',
        meter: 'inference_calls',
        type: 'graduated',
        tiers: [{ upTo: 1000, unitPrice: '0' }, { unitPrice: '0.001' }],
      },
    ],
    minimumCommitment: { amount: '100.00' },
    discounts: [{ key: 'launch', name: 'Launch discount', percent: '10' }],
    ...billing,
  };
  return doc;
}

/** Edits the billing section of `doc`'s pro plan. */
function billingOf(
  doc: ReturnType<typeof billedDocument>,
): Json & { prices: Json[]; discounts: Json[]; fees: Json[] } {
  return doc.plans[0]!.billing as Json & { prices: Json[]; discounts: Json[]; fees: Json[] };
}

describe('plan billing in the catalog', () => {
  it('loads a plan’s billing, naming each price after its meter unless it has a name', () => {
    const billing = parseCatalog(billedDocument()).plans[0]?.billing;
    expect(billing).toMatchObject({
      currency: 'USD',
      cadence: 'monthly',
      anchor: 'calendar',
      trialDays: 0,
      prices: [
        { key: 'input_tokens', name: 'Input tokens', type: 'rate_card' },
        { key: 'calls', name: 'Inference calls', type: 'graduated' },
      ],
      discounts: [{ key: 'launch', kind: 'percent', partsPerMillion: 100_000n }],
    });
  });

  it('keeps a plan without billing valid: it bills nothing', () => {
    const plan = parseCatalog(catalogDocument()).plans[0];
    expect(plan).not.toHaveProperty('billing');
  });

  it('prices a MAX meter (the period’s value) like any other', () => {
    const doc = billedDocument();
    doc.meters[0]!.aggregation = 'MAX';
    doc.plans[0]!.entitlements.splice(0, 1);
    expect(parseCatalog(doc).plans[0]?.billing?.prices).toHaveLength(2);
  });

  it('reads per-currency rounding and applies it through currencyForPlan', () => {
    const doc = billedDocument({ currency: 'JPY' }) as ReturnType<typeof billedDocument> & Json;
    doc.currencies = { JPY: { rounding: 'half_even' } };
    const catalog = parseCatalog(doc);
    expect(catalog.currencies).toEqual({ JPY: { rounding: 'half_even' } });
    const billing = catalog.plans[0]?.billing;
    expect(billing && currencyForPlan(catalog, billing)).toEqual({
      code: 'JPY',
      minorUnits: 0,
      rounding: 'half_even',
    });
  });

  it.each<[string, (doc: ReturnType<typeof billedDocument> & Json) => void, string[]]>([
    [
      'an unknown meter',
      (doc) => {
        billingOf(doc).prices.push({ meter: 'gpu_seconds', type: 'per_unit', unitPrice: '0.001' });
      },
      ['plans.pro.billing.prices.gpu_seconds.meter: unknown meter "gpu_seconds"'],
    ],
    [
      'an unknown currency',
      (doc) => {
        billingOf(doc).currency = 'XYZ';
      },
      ['plans.pro.billing.currency: must be a known ISO 4217 currency code, not "XYZ"'],
    ],
    [
      'a unit price with more than 12 decimal places',
      (doc) => {
        (billingOf(doc).prices[0]!.rates as Json)['gpt-4o'] = '0.0000000000025';
      },
      ['plans.pro.billing.prices.input_tokens.rates.gpt-4o: must have at most 12 decimal places'],
    ],
    [
      'a negative fee',
      (doc) => {
        billingOf(doc).fees[0]!.amount = '-49';
      },
      ['plans.pro.billing.fees.platform.amount: must be a decimal ≥ 0'],
    ],
    [
      'an unbounded tier before the last, and a bounded last tier',
      (doc) => {
        billingOf(doc).prices[1]!.tiers = [{ unitPrice: '0' }, { upTo: 1000, unitPrice: '0.001' }];
      },
      [
        'plans.pro.billing.prices.calls.tiers[0].upTo: only the last tier may be unbounded (omit upTo on the last tier only)',
        'plans.pro.billing.prices.calls.tiers[1].upTo: the last tier must be unbounded: remove upTo (1000) or add a tier after it',
      ],
    ],
    [
      'tiers out of order',
      (doc) => {
        billingOf(doc).prices[1]!.tiers = [
          { upTo: 1000, unitPrice: '0' },
          { upTo: 1000, unitPrice: '0.001' },
          { unitPrice: '0.001' },
        ];
      },
      ["plans.pro.billing.prices.calls.tiers[1].upTo: must be greater than the previous tier's upTo (1000)"],
    ],
    [
      'no tiers',
      (doc) => {
        billingOf(doc).prices[1]!.tiers = [];
      },
      ['plans.pro.billing.prices.calls.tiers: must list at least one tier'],
    ],
    [
      'a rate card on a dimension the meter does not group by',
      (doc) => {
        billingOf(doc).prices[0]!.dimension = 'region';
      },
      [
        'plans.pro.billing.prices.input_tokens.dimension: "region" is not a groupBy dimension of meter ' +
          '"input_tokens" (dimensions: model, workspace, project, agent)',
      ],
    ],
    [
      'two prices with the same key',
      (doc) => {
        billingOf(doc).prices.push({ meter: 'input_tokens', type: 'per_unit', unitPrice: '0.000001' });
      },
      [
        'plans.pro.billing.prices.input_tokens: duplicate price key "input_tokens" ' +
          '(plans.pro.billing.prices[0], plans.pro.billing.prices[2]); ' +
          "a price without a key takes its meter's key, so give each price of one meter its own key",
      ],
    ],
    [
      'two fees and two discounts with the same key',
      (doc) => {
        billingOf(doc).fees.push({ key: 'platform', name: 'Again', amount: '1' });
        billingOf(doc).discounts.push({ key: 'launch', name: 'Again', amount: '1' });
      },
      [
        'plans.pro.billing.fees.platform: duplicate fee key "platform" (plans.pro.billing.fees[0], plans.pro.billing.fees[1])',
        'plans.pro.billing.discounts.launch: duplicate discount key "launch" ' +
          '(plans.pro.billing.discounts[0], plans.pro.billing.discounts[1])',
      ],
    ],
    [
      'unknown properties, suggesting the intended ones',
      (doc) => {
        billingOf(doc).prices[0]!.defualt = '0.1';
        billingOf(doc).currancy = 'USD';
      },
      [
        'plans.pro.billing.prices.input_tokens.defualt: unknown property (did you mean "default"?)',
        'plans.pro.billing.currancy: unknown property (did you mean "currency"?)',
      ],
    ],
    [
      'an unknown price type',
      (doc) => {
        billingOf(doc).prices[0]!.type = 'tiered';
      },
      [
        'plans.pro.billing.prices.input_tokens.type: must be one of per_unit, graduated, volume, package, ' +
          'allowance, rate_card, not "tiered"',
      ],
    ],
    [
      'a package size of zero',
      (doc) => {
        billingOf(doc).prices.push({
          key: 'packs',
          meter: 'inference_calls',
          type: 'package',
          packageSize: 0,
          packagePrice: '1',
        });
      },
      ['plans.pro.billing.prices.packs.packageSize: must be > 0'],
    ],
    [
      'bad discounts',
      (doc) => {
        billingOf(doc).discounts = [
          { key: 'a', name: 'A', percent: '0' },
          { key: 'b', name: 'B', percent: '100.5' },
          { key: 'c', name: 'C', percent: '12.34567' },
          { key: 'd', name: 'D', percent: '10', amount: '5' },
        ];
      },
      [
        'plans.pro.billing.discounts.a.percent: must be a percent greater than 0 and at most 100',
        'plans.pro.billing.discounts.b.percent: must be a percent greater than 0 and at most 100',
        'plans.pro.billing.discounts.c.percent: must have at most 4 decimal places',
        'plans.pro.billing.discounts.d: must have exactly one of percent and amount',
      ],
    ],
    [
      'a trial longer than a year, an unknown anchor and cadence',
      (doc) => {
        Object.assign(billingOf(doc), { trialDays: 400, anchor: 'weekly', cadence: 'yearly' });
      },
      [
        'plans.pro.billing.cadence: must be "monthly"',
        'plans.pro.billing.anchor: must be one of calendar, anniversary, not "weekly"',
        'plans.pro.billing.trialDays: must be between 0 and 365 days',
      ],
    ],
    [
      'currency settings for an unknown code or rounding mode',
      (doc) => {
        doc.currencies = { usd: { rounding: 'half_up' }, JPY: { rounding: 'bankers' } };
      },
      [
        'currencies.usd: must be a known ISO 4217 currency code, not "usd"',
        'currencies.JPY.rounding: must be one of half_up, half_even, down, up, not "bankers"',
      ],
    ],
  ])('rejects %s, naming the key', (_, edit, expected) => {
    const doc = billedDocument();
    edit(doc);
    expect(issuesOf(() => parseCatalog(doc))).toEqual(expected);
  });
});

describe('catalogToDocument with billing', () => {
  it('writes every bigint as a decimal string, and parses back to an equal catalog', () => {
    const doc = billedDocument() as ReturnType<typeof billedDocument> & Json;
    doc.currencies = { JPY: { rounding: 'half_even' } };
    const catalog = parseCatalog(doc);
    const document = catalogToDocument(catalog);
    const json = JSON.stringify(document);
    expect(json).toContain('"amount":"49"');
    expect(json).toContain('"rates":{"gpt-4o":"0.0000025"}');
    expect(json).toContain('"percent":"10"');
    expect(parseCatalog(document)).toEqual(catalog);
    expect(canonicalCatalogJson(parseCatalog(JSON.parse(json)))).toBe(canonicalCatalogJson(catalog));
  });

  it('gives the same hash for the same billing written in YAML with numbers or quoted decimals', () => {
    const a = billedDocument();
    const b = billedDocument({ fees: [{ key: 'platform', name: 'Pro platform fee', amount: 49 }] });
    expect(catalogHash(loadCatalogText(stringify(b), 'yaml'))).toBe(catalogHash(parseCatalog(a)));
  });

  it('changes the hash when a price changes', () => {
    const before = catalogHash(parseCatalog(billedDocument()));
    const doc = billedDocument();
    (billingOf(doc).prices[0]!.rates as Json)['gpt-4o'] = '0.0000026';
    expect(catalogHash(parseCatalog(doc))).not.toBe(before);
  });
});

describe('the shipped catalog’s billing', () => {
  const catalog = loadCatalogText(
    readFileSync(new URL('../../../config/catalog.yaml', import.meta.url), 'utf8'),
    'yaml',
  );
  const plan = (key: string) => catalog.plans.find((p) => p.key === key)?.billing;

  it('bills every plan in USD, the free plan nothing', () => {
    expect(catalog.plans.map((p) => p.billing?.currency)).toEqual(['USD', 'USD', 'USD', 'USD']);
    expect(plan('free')).toMatchObject({ fees: [], prices: [], discounts: [] });
    expect(plan('starter')?.fees.map((f) => f.amount)).toEqual([19n * 10n ** 24n]);
    expect(plan('enterprise')).toMatchObject({
      anchor: 'anniversary',
      discounts: [{ partsPerMillion: 100_000n }],
    });
  });

  it('round-trips through its canonical document', () => {
    expect(parseCatalog(catalogToDocument(catalog))).toEqual(catalog);
  });

  it('prices a pro tenant’s tokens per model', () => {
    const input = plan('pro')?.prices.find((p) => p.key === 'input_tokens');
    if (input === undefined) throw new Error('pro has no input_tokens price');
    const lines = priceUsage(input, [
      { group: { model: 'gpt-4o', workspace: 'a' }, quantity: quantityOf(1_000_000) },
      { group: { model: 'mistral-large', workspace: 'a' }, quantity: quantityOf(200_000) },
    ]);
    const usd = currencyOf('USD');
    expect(lines.map((l) => [l.key, roundToMinor(l.amount, usd)])).toEqual([
      // 1,000,000 × $0.0000025 = $2.50
      ['input_tokens:gpt-4o', 250n],
      // not on the card: 200,000 × $0.000003 (default) = $0.60
      ['input_tokens:mistral-large', 60n],
    ]);
  });
});
