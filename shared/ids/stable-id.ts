/**
 * Deterministic ids: the same parts always give the same id, so every run, retry and worker that
 * computes the id of one thing (an invoice's tenant-period, an alert's incident start) agrees
 * without asking anyone. `prefix_` + 26 Crockford base32 characters (130 bits) of the sha256 of
 * the parts joined by NUL. Pure.
 */
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function stableId(prefix: string, ...parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return `${prefix}_${out}`;
}

/** The pattern of `stableId(prefix, …)`. */
export function stableIdPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`);
}
