import { describe, expect, it } from 'vitest';
import { priceAllowance } from '../../../shared/pricing/allowance.js';
import type { AllowancePrice } from '../../../shared/pricing/price-component.js';
import { money, perUnit, sumAmounts, total, units } from './pricing-factory.js';

const output: AllowancePrice = {
  key: 'output_tokens',
  meter: 'output_tokens',
  name: 'Output tokens',
  type: 'allowance',
  included: units('1000000'),
  unitPrice: perUnit('0.00001'),
};

type Row = [key: string, quantity: string, amount: string];

describe('priceAllowance', () => {
  it.each<[string, string, Row[]]>([
    // nothing used: one zero line so the invoice shows the meter
    ['0', '1000000', [['output_tokens:included', '0', '0']]],
    // 400,000 inside the 1,000,000 allowance: $0
    ['400000', '1000000', [['output_tokens:included', '400000', '0']]],
    // exactly the allowance: $0, no overage line
    ['1000000', '1000000', [['output_tokens:included', '1000000', '0']]],
    // 1,000,000 included at $0; 250,000 over × $0.00001 = $2.50
    [
      '1250000',
      '1000000',
      [
        ['output_tokens:included', '1000000', '0'],
        ['output_tokens:overage', '250000', '2.5'],
      ],
    ],
    // no allowance: 10 × $0.00001 = $0.0001, all overage
    ['10', '0', [['output_tokens:overage', '10', '0.0001']]],
  ])('prices %s units with %s included', (quantity, included, expected) => {
    const lines = priceAllowance({ ...output, included: units(included) }, total(quantity));
    expect(lines.map((l) => [l.key, l.quantity, l.amount])).toEqual(
      expected.map(([key, q, amount]) => [key, units(q), money(amount)]),
    );
  });

  it('prices the included line at zero per unit and the overage at the unit price', () => {
    const [included, overage] = priceAllowance(output, total('1500000'));
    expect(included).toMatchObject({
      description: 'Output tokens — included (1,000,000 included)',
      unitPrice: 0n,
      meter: 'output_tokens',
    });
    expect(overage).toMatchObject({
      description: 'Output tokens — overage above 1,000,000',
      unitPrice: perUnit('0.00001'),
    });
    // 500,000 × $0.00001 = $5
    expect(sumAmounts([included!, overage!])).toBe(money('5'));
  });
});
