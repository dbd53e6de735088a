/**
 * Flag and argument parsers: each checks one value and throws commander's
 * `InvalidArgumentError`, which commander reports naming the flag (exit code 2).
 */
import { InvalidArgumentError } from 'commander';
import { parseLimit } from '../../shared/catalog/catalog-schema.js';
import { isTenantId } from '../../shared/catalog/tenant-profile.js';
import { isQuarantineReason, QUARANTINE_REASONS } from '../../shared/contract/reasons.js';
import { formatQuantity } from '../../shared/decimal/quantity.js';
import { isKeyId } from '../../shared/ingest/ingest-keys.js';
import { MAX_EVENTS_PER_SECOND, MAX_REQUESTS_PER_SECOND } from '../../shared/ingest/rate-limit.js';
import { MAX_QUARANTINE_LIMIT } from '../../shared/quarantine/quarantine-query.js';
import { MAX_REDRIVE_LIMIT } from '../../shared/quarantine/redrive.js';
import { isDateString } from '../../shared/time/windows.js';
import { parseQueryTime, WINDOW_SIZES } from '../../shared/usage/usage-query.js';

export function wholeNumber(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}

export function tenantId(text: string): string {
  if (!isTenantId(text)) throw new InvalidArgumentError('must be 1–128 characters of A-Z a-z 0-9 . _ : @ -.');
  return text;
}

export function queryTime(text: string): string {
  if (parseQueryTime(text.trim()) === undefined) {
    throw new InvalidArgumentError(
      'must be an RFC 3339 time with offset (2026-11-29T21:00:00Z) or a date (2026-11-29).',
    );
  }
  return text.trim();
}

export function windowSize(text: string): string {
  const upper = text.trim().toUpperCase();
  if (!(WINDOW_SIZES as readonly string[]).includes(upper))
    throw new InvalidArgumentError('must be HOUR or DAY.');
  return upper;
}

const DIMENSION = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export function dimensionList(text: string): string {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.find((name) => !DIMENSION.test(name));
  if (bad !== undefined) {
    throw new InvalidArgumentError(`must be dimension names separated by "," ("${bad}" is not one).`);
  }
  return names.join(',');
}

export function quarantineReason(text: string): string {
  if (!isQuarantineReason(text)) {
    throw new InvalidArgumentError(`must be a reason code: ${QUARANTINE_REASONS.join(', ')}.`);
  }
  return text;
}

export function billingAnchor(text: string): string {
  if (!isDateString(text)) throw new InvalidArgumentError('must be a date YYYY-MM-DD.');
  return text;
}

/** Grace period in whole hours, 0–720. */
export function graceHours(text: string): number {
  const value = Number(text);
  if (!/^\d{1,3}$/.test(text) || value > 720)
    throw new InvalidArgumentError('must be a whole number of hours from 0 to 720.');
  return value;
}

const ENTITLEMENT_KEY = /^[a-z][a-z0-9_-]{0,63}$/;

/** `key=limit`, repeatable: collects into a map of entitlement key → limit (decimal text). */
export function override(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = text.indexOf('=');
  const key = eq === -1 ? '' : text.slice(0, eq).trim();
  if (!ENTITLEMENT_KEY.test(key)) {
    throw new InvalidArgumentError('must be <entitlement-key>=<limit>, e.g. monthly-input-tokens=2000000.');
  }
  const limit = parseLimit(text.slice(eq + 1).trim());
  if (!limit.ok) throw new InvalidArgumentError(`the limit of "${key}" ${limit.message}.`);
  if (Object.hasOwn(previous, key)) throw new InvalidArgumentError(`"${key}" is given twice.`);
  return { ...previous, [key]: formatQuantity(limit.value) };
}

export function label(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 128) throw new InvalidArgumentError('must be 1–128 characters.');
  return trimmed;
}

export function catalogVersion(text: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text))
    throw new InvalidArgumentError('must be a catalog version number (1, 2, …).');
  return Number(text);
}

export function keyId(text: string): string {
  if (!isKeyId(text)) {
    throw new InvalidArgumentError('must be the 8-character id of an ingest key (tollgate keys list).');
  }
  return text;
}

export const requestsPerSecond = wholeNumber(1, MAX_REQUESTS_PER_SECOND);
export const eventsPerSecond = wholeNumber(1, MAX_EVENTS_PER_SECOND);
export const partitionKeySalt = wholeNumber(1, 1000);
export const quarantineLimit = wholeNumber(1, MAX_QUARANTINE_LIMIT);
export const redriveLimit = wholeNumber(1, MAX_REDRIVE_LIMIT);

const CURSOR = /^[A-Za-z0-9_-]{1,2048}$/;

export function cursor(text: string): string {
  if (!CURSOR.test(text)) throw new InvalidArgumentError('must be a nextCursor printed by a previous page.');
  return text;
}
