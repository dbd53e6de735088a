import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isBlocked,
  reachedThresholds,
  splitUsage,
  thresholdsToClaim,
} from '../../../shared/metering/entitlement-split.js';

describe('splitUsage', () => {
  it.each([
    // used, delta, limit, mode → included, overage, rejected
    [0n, 100n, 1000n, 'hard', 100n, 0n, 0n], // all fits
    [950n, 100n, 1000n, 'hard', 50n, 0n, 50n], // 1000 − 950 = 50 fits, 100 − 50 = 50 rejected
    [950n, 100n, 1000n, 'soft', 50n, 50n, 0n], // the same 50 above the limit is overage
    [1000n, 10n, 1000n, 'hard', 0n, 0n, 10n], // at the limit: everything rejected
    [1200n, 10n, 1000n, 'soft', 0n, 10n, 0n], // limit lowered below used: all overage
    [0n, 5n, 0n, 'hard', 0n, 0n, 5n], // a zero limit blocks everything
  ] as const)(
    'used %s + %s against %s (%s) → %s included, %s overage, %s rejected',
    (used, delta, limit, mode, included, overage, rejected) => {
      expect(splitUsage(used, delta, limit, mode)).toEqual({ included, overage, rejected });
    },
  );

  it('gives the same totals whether a batch is split as a whole or event by event', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 1000n }), { maxLength: 30 }),
        fc.bigInt({ min: 0n, max: 5000n }),
        fc.constantFrom('hard' as const, 'soft' as const),
        (deltas, limit, mode) => {
          let used = 0n;
          let over = 0n;
          for (const delta of deltas) {
            const split = splitUsage(used, delta, limit, mode);
            used += split.included;
            over += split.overage + split.rejected;
          }
          const total = deltas.reduce((a, b) => a + b, 0n);
          const whole = splitUsage(0n, total, limit, mode);
          expect([used, over]).toEqual([whole.included, whole.overage + whole.rejected]);
          expect(used <= limit).toBe(true);
        },
      ),
    );
  });
});

describe('thresholds', () => {
  const totals = (used: bigint, overage = 0n, rejected = 0n) => ({ used, overage, rejected });

  it('reaches a percent when demand meets that share of the limit', () => {
    // 800 of 1000 is 80 %: 50 and 80 reached, 100 not
    expect(reachedThresholds(totals(800n), 1000n, [50, 80, 100])).toEqual([50, 80]);
    // a hard cap: 1000 used + 600 rejected is 160 % of demand
    expect(reachedThresholds(totals(1000n, 0n, 600n), 1000n, [50, 100, 150])).toEqual([50, 100, 150]);
    expect(reachedThresholds(totals(0n), 1000n, [50])).toEqual([]);
  });

  it('claims only percents not already emitted or claimed', () => {
    expect(thresholdsToClaim(totals(1000n), 1000n, [50, 80, 100], new Set([50]))).toEqual([80, 100]);
  });

  it('blocks a hard entitlement once used meets its limit, never a soft one', () => {
    expect(isBlocked('hard', 1000n, 1000n)).toBe(true);
    expect(isBlocked('hard', 999n, 1000n)).toBe(false);
    expect(isBlocked('soft', 5000n, 1000n)).toBe(false);
  });
});
