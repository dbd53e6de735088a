import { describe, expect, it } from 'vitest';
import type { RateCardPrice } from '../../../shared/pricing/price-component.js';
import { priceRateCard } from '../../../shared/pricing/rate-card.js';
import { grouped, money, perUnit, units } from './pricing-factory.js';

const input: RateCardPrice = {
  key: 'input_tokens',
  meter: 'input_tokens',
  name: 'Input tokens',
  type: 'rate_card',
  dimension: 'model',
  rates: { 'gpt-4o': perUnit('0.0000025'), 'gpt-4o-mini': perUnit('0.00000015') },
  defaultUnitPrice: perUnit('0.000003'),
};

const usage = grouped(
  [{ model: 'gpt-4o', workspace: 'a' }, '1000000'],
  [{ model: 'gpt-4o-mini', workspace: 'a' }, '2000000'],
  [{ model: 'gpt-4o', workspace: 'b' }, '500000'],
  [{ model: 'llama-3', workspace: 'a' }, '100'],
);

describe('priceRateCard', () => {
  it('prices each model’s total at its rate, sorted by model', () => {
    expect(priceRateCard(input, usage)).toEqual([
      {
        key: 'input_tokens:gpt-4o',
        description: 'Input tokens — gpt-4o',
        meter: 'input_tokens',
        group: { model: 'gpt-4o' },
        // 1,000,000 + 500,000 across workspaces
        quantity: units('1500000'),
        unitPrice: perUnit('0.0000025'),
        // 1,500,000 × $0.0000025 = $3.75
        amount: money('3.75'),
      },
      {
        key: 'input_tokens:gpt-4o-mini',
        description: 'Input tokens — gpt-4o-mini',
        meter: 'input_tokens',
        group: { model: 'gpt-4o-mini' },
        quantity: units('2000000'),
        unitPrice: perUnit('0.00000015'),
        // 2,000,000 × $0.00000015 = $0.30
        amount: money('0.3'),
      },
      {
        key: 'input_tokens:llama-3',
        description: 'Input tokens — llama-3',
        meter: 'input_tokens',
        group: { model: 'llama-3' },
        quantity: units('100'),
        unitPrice: perUnit('0.000003'),
        // no rate: the default, 100 × $0.000003 = $0.0003
        amount: money('0.0003'),
      },
    ]);
  });

  it('prices a value with neither a rate nor a default at zero and flags it unpriced', () => {
    const { defaultUnitPrice: _, ...noDefault } = input;
    const llama = priceRateCard(noDefault, usage).find((line) => line.key === 'input_tokens:llama-3');
    expect(llama).toEqual({
      key: 'input_tokens:llama-3',
      description: 'Input tokens — llama-3 (no price)',
      meter: 'input_tokens',
      group: { model: 'llama-3' },
      quantity: units('100'),
      amount: 0n,
      unpriced: true,
    });
  });

  it('does not mistake inherited object properties for rates', () => {
    const { defaultUnitPrice: _, ...noDefault } = input;
    const [line] = priceRateCard(noDefault, grouped([{ model: 'constructor' }, '5']));
    expect(line).toMatchObject({ key: 'input_tokens:constructor', amount: 0n, unpriced: true });
  });

  it('counts usage without the dimension under the empty value', () => {
    const [line] = priceRateCard(input, grouped([{ workspace: 'a' }, '10'], [{ model: '' }, '5']));
    // 15 × $0.000003 (default) = $0.000045
    expect(line).toMatchObject({
      key: 'input_tokens:',
      description: 'Input tokens — no model',
      group: { model: '' },
      amount: money('0.000045'),
    });
  });

  it('returns no lines without usage, and skips values whose total is zero', () => {
    expect(priceRateCard(input, [])).toEqual([]);
    expect(priceRateCard(input, grouped([{ model: 'gpt-4o' }, '0']))).toEqual([]);
  });
});
