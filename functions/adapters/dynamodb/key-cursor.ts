/** Page sizes and opaque cursors of the DynamoDB listings (invoices, tenant profiles). */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ListingError } from '../../../shared/invoicing/ports.js';

type Item = Record<string, AttributeValue>;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** Validates a page size: a whole number from 1 to `MAX_LIMIT`. */
export function listingLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new ListingError(
      'invalid_limit',
      `limit: must be a whole number from 1 to ${MAX_LIMIT}, not ${limit}`,
    );
  }
  return value;
}

/** An opaque cursor: base64url of the JSON of the (string) key after which the next page starts. */
export function encodeKeyCursor(key: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key a cursor of `encodeKeyCursor` holds, as an `ExclusiveStartKey`. Throws `ListingError`
 * (`invalid_cursor`) unless it decodes to exactly `names`, all strings, and `accept` agrees.
 */
export function decodeKeyCursor(
  cursor: string,
  names: readonly string[],
  accept: (key: Readonly<Record<string, string>>) => boolean,
): Item {
  const invalid = () => new ListingError('invalid_cursor', 'cursor: not a cursor of this listing');
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid();
  const entries = Object.entries(body);
  if (
    entries.length !== names.length ||
    !names.every((name) => typeof (body as Record<string, unknown>)[name] === 'string')
  ) {
    throw invalid();
  }
  const key = body as Record<string, string>;
  if (!accept(key)) throw invalid();
  return Object.fromEntries(names.map((name) => [name, { S: key[name] ?? '' }]));
}
