import { describe, expect, it } from 'vitest';
import {
  isQuarantineReason,
  QUARANTINE_REASON_DESCRIPTIONS,
  QUARANTINE_REASONS,
} from '../../../shared/contract/reasons.js';

describe('quarantine reasons', () => {
  it('are unique snake_case codes', () => {
    expect(new Set(QUARANTINE_REASONS).size).toBe(QUARANTINE_REASONS.length);
    for (const reason of QUARANTINE_REASONS) expect(reason).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it('each have a one-line description, and nothing else has one', () => {
    expect(Object.keys(QUARANTINE_REASON_DESCRIPTIONS).sort()).toEqual([...QUARANTINE_REASONS].sort());
    for (const description of Object.values(QUARANTINE_REASON_DESCRIPTIONS)) {
      expect(description).toMatch(/^[A-Z][^\n]+\.$/);
    }
  });

  it('are recognised by isQuarantineReason, and other strings are not', () => {
    expect(isQuarantineReason('invalid_number')).toBe(true);
    expect(isQuarantineReason('Invalid_Number')).toBe(false);
    expect(isQuarantineReason('toString')).toBe(false);
  });
});
