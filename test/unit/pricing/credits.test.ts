import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyCredits,
  type CreditGrantBalance,
  creditBalance,
  orderGrants,
} from '../../../shared/pricing/credits.js';
import { thrownCode } from './pricing-factory.js';

const PERIOD_END = '2026-03-01T00:00:00.000Z';
const invoice = (totalMinor: bigint, currency = 'USD') => ({ currency, periodEnd: PERIOD_END, totalMinor });

function grant(
  id: string,
  remainingMinor: bigint,
  overrides: Partial<CreditGrantBalance> = {},
): CreditGrantBalance {
  return {
    id,
    name: `Grant ${id}`,
    currency: 'USD',
    remainingMinor,
    priority: 10,
    effectiveAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('applyCredits', () => {
  it.each<[string, CreditGrantBalance[], bigint, [string, bigint][], bigint]>([
    // $50.00 of a $120.00 invoice: all of it
    ['one grant smaller than the total', [grant('a', 5000n)], 12000n, [['a', 5000n]], 5000n],
    // $200.00 grant on a $120.00 invoice: only $120.00
    ['one grant larger than the total', [grant('a', 20000n)], 12000n, [['a', 12000n]], 12000n],
    // priority 1 first ($30.00), then priority 10 ($90.00 of its $100.00)
    [
      'lower priority first',
      [grant('b', 10000n), grant('a', 3000n, { priority: 1 })],
      12000n,
      [
        ['a', 3000n],
        ['b', 9000n],
      ],
      12000n,
    ],
    // same priority: the one expiring sooner first, no expiry last
    [
      'earliest expiry first',
      [
        grant('never', 10000n),
        grant('late', 10000n, { expiresAt: '2026-12-31T00:00:00Z' }),
        grant('soon', 5000n, { expiresAt: '2026-03-01T00:00:00Z' }),
      ],
      12000n,
      [
        ['soon', 5000n],
        ['late', 7000n],
      ],
      12000n,
    ],
    // same priority and expiry: by id
    [
      'then by id',
      [grant('b', 100n), grant('a', 100n)],
      150n,
      [
        ['a', 100n],
        ['b', 50n],
      ],
      150n,
    ],
    // EUR grant, grant with nothing left, not yet effective at period end, expired before it
    [
      'only eligible grants',
      [
        grant('eur', 5000n, { currency: 'EUR' }),
        grant('empty', 0n),
        grant('future', 5000n, { effectiveAt: PERIOD_END }),
        grant('expired', 5000n, { expiresAt: '2026-02-28T23:59:59.999Z' }),
        grant('ok', 700n),
      ],
      12000n,
      [['ok', 700n]],
      700n,
    ],
    // a zero or negative total takes no credit
    ['a zero total', [grant('a', 5000n)], 0n, [], 0n],
    ['a negative total', [grant('a', 5000n)], -300n, [], 0n],
  ])('%s', (_, grants, totalMinor, expected, applied) => {
    const result = applyCredits(grants, invoice(totalMinor));
    expect(result.applications.map((a) => [a.grantId, a.amountMinor])).toEqual(expected);
    expect(result.appliedMinor).toBe(applied);
  });

  it('names each application after its grant', () => {
    expect(applyCredits([grant('g1', 100n)], invoice(50n)).applications).toEqual([
      { grantId: 'g1', name: 'Grant g1', amountMinor: 50n },
    ]);
  });

  it('rejects a timestamp that is not ISO-8601 with invalid_timestamp', () => {
    expect(thrownCode(() => applyCredits([grant('a', 1n, { effectiveAt: 'yesterday' })], invoice(5n)))).toBe(
      'invalid_timestamp',
    );
  });

  it('never applies more than the total or a grant’s balance, and never a negative amount', () => {
    const arbitraryGrant = fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      name: fc.constant('g'),
      currency: fc.constantFrom('USD', 'EUR'),
      remainingMinor: fc.bigInt({ min: -100n, max: 100_000n }),
      priority: fc.integer({ min: 0, max: 3 }),
      effectiveAt: fc.constantFrom('2026-01-01T00:00:00Z', PERIOD_END),
      expiresAt: fc.option(fc.constantFrom('2026-02-15T00:00:00Z', PERIOD_END, '2027-01-01T00:00:00Z'), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryGrant, { maxLength: 8 }),
        fc.bigInt({ min: -1000n, max: 200_000n }),
        (raw, total) => {
          const grants = raw.map(
            ({ expiresAt, ...rest }, i): CreditGrantBalance => ({
              ...rest,
              id: `${rest.id}-${i}`,
              ...(expiresAt === undefined ? {} : { expiresAt }),
            }),
          );
          const { applications, appliedMinor } = applyCredits(grants, invoice(total));
          expect(appliedMinor).toBe(applications.reduce((sum, a) => sum + a.amountMinor, 0n));
          expect(appliedMinor).toBeGreaterThanOrEqual(0n);
          expect(appliedMinor).toBeLessThanOrEqual(total > 0n ? total : 0n);
          for (const application of applications) {
            const source = grants.find((g) => g.id === application.grantId);
            expect(application.amountMinor).toBeGreaterThan(0n);
            expect(application.amountMinor).toBeLessThanOrEqual(source?.remainingMinor ?? 0n);
            expect(source?.currency).toBe('USD');
          }
          expect(new Set(applications.map((a) => a.grantId)).size).toBe(applications.length);
        },
      ),
    );
  });
});

describe('orderGrants', () => {
  it('orders by priority, then expiry (none last), then id', () => {
    const grants = [
      grant('z', 1n, { priority: 2 }),
      grant('y', 1n, { priority: 1 }),
      grant('x', 1n, { priority: 1, expiresAt: '2026-06-01T00:00:00Z' }),
      grant('w', 1n, { priority: 1, expiresAt: '2026-05-01T00:00:00+02:00' }),
    ];
    expect(orderGrants(grants).map((g) => g.id)).toEqual(['w', 'x', 'y', 'z']);
  });
});

describe('creditBalance', () => {
  it('sums per currency the grants effective and not expired at that instant', () => {
    const grants = [
      grant('a', 1000n),
      grant('b', 250n, { expiresAt: '2026-02-01T00:00:00Z' }),
      grant('c', 500n, { expiresAt: '2026-01-15T00:00:00Z' }),
      grant('d', 900n, { effectiveAt: '2026-02-01T00:00:00Z' }),
      grant('e', 300n, { currency: 'EUR' }),
      grant('f', 0n, { currency: 'GBP' }),
    ];
    // USD: a $10.00 + b $2.50 (c expired on the 15th, d not yet effective); EUR: e €3.00
    expect(creditBalance(grants, '2026-01-20T00:00:00Z')).toEqual({ USD: 1250n, EUR: 300n });
    // at b's expiry instant it no longer counts; d starts counting
    expect(creditBalance(grants, '2026-02-01T00:00:00Z')).toEqual({ USD: 1900n, EUR: 300n });
    expect(creditBalance(grants, '2025-12-31T00:00:00Z')).toEqual({});
  });
});
