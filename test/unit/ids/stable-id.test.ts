import { describe, expect, it } from 'vitest';
import { ALERT_ID_PATTERN, alertIdOf } from '../../../shared/alerts/incident.js';
import { stableId, stableIdPattern } from '../../../shared/ids/stable-id.js';
import { INVOICE_ID_PATTERN, invoiceIdOf } from '../../../shared/invoicing/invoice.js';

describe('stable ids', () => {
  it('give the same id for the same parts, and a different one when any part differs', () => {
    expect(stableId('in', 'acme', '2026-11-01')).toBe(stableId('in', 'acme', '2026-11-01'));
    expect(stableId('in', 'acme', '2026-11-01')).not.toBe(stableId('in', 'acme', '2026-12-01'));
    // The separator keeps parts apart: ("ab", "c") is not ("a", "bc").
    expect(stableId('in', 'ab', 'c')).not.toBe(stableId('in', 'a', 'bc'));
    expect(stableId('al', 'x')).toMatch(stableIdPattern('al'));
  });

  it('keep the invoice ids already stored: an id computed once must never change', () => {
    // Invoices are found by this id; a different algorithm would bill a period twice.
    expect(invoiceIdOf('acme', '2026-11-01T00:00:00.000Z')).toBe('in_sj3gxd6ystng1xkac2fasfyhff');
    expect(invoiceIdOf('acme', '2026-11-01T00:00:00.000Z')).toMatch(INVOICE_ID_PATTERN);
    expect(alertIdOf('acme|usage_spike|llm.completion|', '2026-11-08T00:00:00.000Z')).toMatch(
      ALERT_ID_PATTERN,
    );
  });
});
