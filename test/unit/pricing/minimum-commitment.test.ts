import { describe, expect, it } from 'vitest';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { trueUp } from '../../../shared/pricing/minimum-commitment.js';
import type { MinimumCommitment } from '../../../shared/pricing/price-component.js';
import { money } from './pricing-factory.js';

const commitment: MinimumCommitment = { amount: money('100.00'), name: 'Pro minimum commitment' };

describe('trueUp', () => {
  it.each([
    // $100 − $0 = $100
    ['0', '100'],
    // $100 − $62.50 = $37.50
    ['62.5', '37.5'],
    // $100 − $99.999999 = $0.000001 (precise: rounding comes later)
    ['99.999999', '0.000001'],
  ])('adds the shortfall when usage charges are $%s: $%s', (usage, expected) => {
    expect(trueUp(commitment, money(usage))).toEqual({
      key: 'minimum-commitment',
      description: 'Pro minimum commitment — true-up',
      quantity: quantityOf(1),
      amount: money(expected),
    });
  });

  it.each(['100', '150.25'])('adds nothing when usage charges of $%s meet the commitment', (usage) => {
    expect(trueUp(commitment, money(usage))).toBeUndefined();
  });

  it('has a default description', () => {
    expect(trueUp({ amount: money('5') }, 0n)?.description).toBe('Minimum commitment — true-up');
  });
});
