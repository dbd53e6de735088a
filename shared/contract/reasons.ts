/**
 * Quarantine reason codes: the machine-readable answer to "why was this not counted?".
 *
 * Codes are stable snake_case strings stored with every quarantined item (see
 * docs/data-model.md) and returned by the API; clients switch on them. Add codes, never rename.
 */
export const QUARANTINE_REASONS = [
  // Record level: the bytes of a Kinesis (sub)record could not be turned into events.
  'empty_record',
  'invalid_encoding',
  'invalid_json',
  'decompression_failed',
  'payload_too_large',
  'invalid_aggregate',
  'invalid_envelope',
  'not_an_event',
  // Event level: one event breaks the contract (shared/contract/usage-event.ts).
  'missing_field',
  'invalid_field',
  'invalid_number',
  'time_out_of_range',
  // Engine level: a valid event that cannot be counted yet; re-drive it after the fix.
  'unknown_tenant',
  'unmetered_type',
  'tenant_suspended',
  'unknown_plan',
] as const;

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** One line per reason, for docs, the API and the CLI. */
export const QUARANTINE_REASON_DESCRIPTIONS: Readonly<Record<QuarantineReason, string>> = {
  empty_record: 'The record carried no bytes.',
  invalid_encoding: 'The record (after gunzip) is not valid UTF-8.',
  invalid_json: 'The record is not valid JSON.',
  decompression_failed: 'The record starts with the gzip magic bytes but could not be gunzipped.',
  payload_too_large: 'The record, once decompressed, is larger than the limit.',
  invalid_aggregate: 'The record has the KPL magic bytes but is not a valid KPL aggregated record.',
  invalid_envelope:
    'The record is an object with "envelopeId" but not a valid {envelopeId, events} envelope.',
  not_an_event: 'The JSON is neither an event object, an array of events, nor an envelope.',
  missing_field: 'A required event field is absent.',
  invalid_field: 'An event field has the wrong type, length or format.',
  invalid_number: 'A numeric value is negative, not finite, too large or has too many digits.',
  time_out_of_range: 'The event time is more than 35 days in the past or 5 minutes in the future.',
  unknown_tenant: 'The event subject names a tenant that has not been set up.',
  unmetered_type: 'No meter selects events of this type.',
  tenant_suspended: 'The tenant is suspended.',
  unknown_plan: "The tenant's plan is not in the active catalog.",
};

const REASON_SET: ReadonlySet<string> = new Set(QUARANTINE_REASONS);

export function isQuarantineReason(value: string): value is QuarantineReason {
  return REASON_SET.has(value);
}
