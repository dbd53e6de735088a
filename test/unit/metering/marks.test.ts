import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAboveMark, markOf } from '../../../shared/metering/marks.js';

describe('marks', () => {
  it('order as the sequence numbers they encode, whatever their lengths', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 60n }),
        fc.bigInt({ min: 0n, max: 10n ** 60n }),
        (a, b) => {
          expect(markOf(String(a)) < markOf(String(b))).toBe(a < b);
        },
      ),
    );
  });

  it('count a record above a missing mark, and not at or below its own', () => {
    const mark = markOf('49590338271490256608559692538361571095921575989136588801');
    expect(isAboveMark(mark, undefined)).toBe(true);
    expect(isAboveMark(mark, mark)).toBe(false);
    expect(isAboveMark(markOf('9'), markOf('10'))).toBe(false);
  });

  it('rejects text that is not a sequence number', () => {
    expect(() => markOf('12a')).toThrow(RangeError);
  });
});
