import { describe, expect, it } from 'vitest';
import { quantityOf } from '../../../shared/decimal/quantity.js';
import { priceFlatFee } from '../../../shared/pricing/flat-fee.js';
import type { FlatFee } from '../../../shared/pricing/price-component.js';
import { money } from './pricing-factory.js';

const platform: FlatFee = { key: 'platform', name: 'Pro platform fee', amount: money('49.00') };

describe('priceFlatFee', () => {
  it('charges the whole fee for a whole period, as one unit', () => {
    expect(priceFlatFee(platform)).toEqual({
      key: 'fee:platform',
      description: 'Pro platform fee',
      quantity: quantityOf(1),
      amount: money('49'),
    });
  });

  it.each([
    // $49 × 30/30 = $49 (the whole period reads as unprorated)
    [30n, 30n, '49', 'Pro platform fee'],
    // $49 × 10/30 = $16.333…, rounded half-up at 10^-24
    [10n, 30n, '16.333333333333333333333333', 'Pro platform fee (10 of 30 days)'],
    // $49 × 20/30 = $32.666…, the 25th digit rounds up
    [20n, 30n, '32.666666666666666666666667', 'Pro platform fee (20 of 30 days)'],
    // $49 × 14/28 = $24.50
    [14n, 28n, '24.5', 'Pro platform fee (14 of 28 days)'],
    // $49 × 0/31 = $0
    [0n, 31n, '0', 'Pro platform fee (0 of 31 days)'],
  ])('prorates %i of %i days to $%s', (days, ofDays, expected, description) => {
    expect(priceFlatFee(platform, { days, ofDays })).toMatchObject({ amount: money(expected), description });
  });
});
