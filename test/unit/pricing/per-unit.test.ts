import { describe, expect, it } from 'vitest';
import { pricePerUnit } from '../../../shared/pricing/per-unit.js';
import type { PerUnitPrice } from '../../../shared/pricing/price-component.js';
import { grouped, money, perUnit, total, units } from './pricing-factory.js';

const storage: PerUnitPrice = {
  key: 'storage_gb',
  meter: 'storage_gb',
  name: 'Storage',
  type: 'per_unit',
  unitPrice: perUnit('0.02'),
};

describe('pricePerUnit', () => {
  it.each([
    // 0 × $0.02 = $0 (the meter still shows on the invoice)
    ['0', '0.02', '0'],
    // 1,000 × $0.002 = $2
    ['1000', '0.002', '2'],
    // 1,500,000 × $0.0000025 = $3.75
    ['1500000', '0.0000025', '3.75'],
    // 0.25 × $0.02 = $0.005 (kept exact, below a cent)
    ['0.25', '0.02', '0.005'],
    // 10^12 × $0.000000000001 = $1
    ['1000000000000', '0.000000000001', '1'],
  ])('prices %s units at $%s as $%s', (quantity, price, expected) => {
    const lines = pricePerUnit({ ...storage, unitPrice: perUnit(price) }, total(quantity));
    expect(lines).toEqual([
      {
        key: 'storage_gb',
        description: 'Storage',
        meter: 'storage_gb',
        quantity: units(quantity),
        unitPrice: perUnit(price),
        amount: money(expected),
      },
    ]);
  });

  it('prices the sum over all groups', () => {
    const usage = grouped([{ workspace: 'a' }, '300'], [{ workspace: 'b' }, '700']);
    const [line] = pricePerUnit({ ...storage, unitPrice: perUnit('0.01') }, usage);
    // (300 + 700) × $0.01 = $10
    expect(line).toMatchObject({ quantity: units('1000'), amount: money('10') });
  });

  it('returns a zero line when the meter has no groups at all', () => {
    expect(pricePerUnit(storage, [])).toEqual([expect.objectContaining({ quantity: 0n, amount: 0n })]);
  });

  it('describes the line by the meter key when the price has no name', () => {
    const { name: _, ...unnamed } = storage;
    expect(pricePerUnit(unnamed, total('1'))[0]?.description).toBe('storage_gb');
  });
});
