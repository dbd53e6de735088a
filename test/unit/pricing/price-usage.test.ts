import { describe, expect, it } from 'vitest';
import type { UsagePrice } from '../../../shared/pricing/price-component.js';
import { priceUsage } from '../../../shared/pricing/price-usage.js';
import { grouped, money, perUnit, sumAmounts, units } from './pricing-factory.js';

const base = { key: 'tokens', meter: 'input_tokens', name: 'Input tokens' } as const;
const usage = grouped([{ model: 'gpt-4o' }, '1500'], [{ model: 'claude-haiku' }, '500']);

describe('priceUsage', () => {
  it.each<[string, UsagePrice, string[], string]>([
    // 2,000 × $0.001 = $2
    ['per_unit', { ...base, type: 'per_unit', unitPrice: perUnit('0.001') }, ['tokens'], '2'],
    // 1,000 × $0.002 + 1,000 × $0.001 = $3
    [
      'graduated',
      {
        ...base,
        type: 'graduated',
        tiers: [{ upTo: units('1000'), unitPrice: perUnit('0.002') }, { unitPrice: perUnit('0.001') }],
      },
      ['tokens:tier1', 'tokens:tier2'],
      '3',
    ],
    // 2,000 × $0.001 (tier 2) = $2
    [
      'volume',
      {
        ...base,
        type: 'volume',
        tiers: [{ upTo: units('1000'), unitPrice: perUnit('0.002') }, { unitPrice: perUnit('0.001') }],
      },
      ['tokens'],
      '2',
    ],
    // ceil(2,000 / 1,500) = 2 × $1 = $2
    [
      'package',
      { ...base, type: 'package', packageSize: units('1500'), packagePrice: money('1') },
      ['tokens'],
      '2',
    ],
    // 1,000 included; 1,000 × $0.01 = $10
    [
      'allowance',
      { ...base, type: 'allowance', included: units('1000'), unitPrice: perUnit('0.01') },
      ['tokens:included', 'tokens:overage'],
      '10',
    ],
    // 500 × $0.004 (claude-haiku) + 1,500 × $0.002 (gpt-4o) = $2 + $3 = $5
    [
      'rate_card',
      {
        ...base,
        type: 'rate_card',
        dimension: 'model',
        rates: { 'gpt-4o': perUnit('0.002'), 'claude-haiku': perUnit('0.004') },
      },
      ['tokens:claude-haiku', 'tokens:gpt-4o'],
      '5',
    ],
  ])('dispatches a %s price to its model', (_, price, keys, expected) => {
    const lines = priceUsage(price, usage);
    expect(lines.map((l) => l.key)).toEqual(keys);
    expect(sumAmounts(lines)).toBe(money(expected));
    expect(new Set(lines.map((l) => l.meter))).toEqual(new Set(['input_tokens']));
  });
});
