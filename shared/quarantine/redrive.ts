/**
 * Re-driving quarantined entries: their original bytes go back on the stream, one record per
 * entry with the entry's original partition key, and the consumer files them again — counted
 * once (it deduplicates by subject and id) or, if the cause remains, quarantined again as a new
 * entry. This file holds the input, its validation, the ports and the result types; the
 * orchestration is `redriveQuarantined` (redrive-quarantined.ts).
 */
import type { ConfigIssue } from '../catalog/catalog.js';
import { isTenantId } from '../catalog/tenant-profile.js';
import { isQuarantineReason, type QuarantineReason } from '../contract/reasons.js';
import type { StreamWriter } from '../ingest/stream-writer.js';
import type { QuarantinedItem, QuarantineReader } from './quarantine-query.js';

export const DEFAULT_REDRIVE_LIMIT = 100;
export const MAX_REDRIVE_LIMIT = 500;

export interface RedriveInput {
  /** Only this tenant's entries. */
  readonly tenant?: string;
  /** Only entries with this reason code. */
  readonly reason?: QuarantineReason;
  /** At most this many entries (newest first), 1 to `MAX_REDRIVE_LIMIT`. */
  readonly limit: number;
  /** List what would be re-driven; put nothing, mark nothing. */
  readonly dryRun?: boolean;
  /** Also entries re-driven before (by default they are left out). */
  readonly includeRedriven?: boolean;
}

/** Reads the bytes of entries too large to be kept inline (the quarantine blob store). */
export interface QuarantineBlobReader {
  get(key: string): Promise<Uint8Array | undefined>;
}

/** Records on an entry that its bytes went back on the stream. */
export interface QuarantineMarker {
  /** Sets `redrivenAt`; false when the entry no longer exists (nothing is created). */
  markRedriven(entry: QuarantinedItem, at: string): Promise<boolean>;
}

export interface RedriveDeps {
  readonly quarantine: QuarantineReader;
  readonly blobs: QuarantineBlobReader;
  readonly stream: StreamWriter;
  readonly marker: QuarantineMarker;
  /** Epoch milliseconds. */
  readonly clock: () => number;
}

/**
 * - `redriven`: the bytes are on the stream and the entry is marked `redrivenAt`;
 * - `redriven_unmarked`: the bytes are on the stream but the mark failed (the entry will be
 *   picked again by a later re-drive, which is harmless: the consumer deduplicates);
 * - `would_redrive`: a dry run;
 * - `failed`: nothing was put; `error` says why.
 */
export type RedriveStatus = 'redriven' | 'redriven_unmarked' | 'would_redrive' | 'failed';

export type RedriveErrorCode =
  /** Neither inline bytes nor a blob that still exists. */
  | 'bytes_missing'
  /** The blob store failed. */
  | 'bytes_unreadable'
  /** Bytes and partition key exceed what one Kinesis record holds (1 MiB). */
  | 'too_large'
  /** The stream refused the record after retries, or the request failed. */
  | 'put_failed'
  /** The bytes are on the stream, but `redrivenAt` could not be set. */
  | 'mark_failed';

export interface RedriveEntryResult {
  /** The entry as listed (without its bytes). */
  readonly entry: Omit<QuarantinedItem, 'bytes'>;
  readonly status: RedriveStatus;
  /** Where the record landed, when it was put. */
  readonly record?: { readonly shardId: string; readonly sequenceNumber: string };
  /** Set with `redriven`. */
  readonly redrivenAt?: string;
  readonly error?: { readonly code: RedriveErrorCode; readonly message: string };
}

export interface RedriveReport {
  readonly dryRun: boolean;
  /** Entries that matched the filters (at most `limit`). */
  readonly matched: number;
  /** Entries whose bytes are back on the stream (`redriven` and `redriven_unmarked`). */
  readonly redriven: number;
  readonly failed: number;
  /** One per matched entry, newest first. */
  readonly entries: readonly RedriveEntryResult[];
}

export type RedriveInputResult =
  | { readonly ok: true; readonly value: RedriveInput }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const FIELDS = new Set(['tenant', 'reason', 'limit', 'dryRun', 'includeRedriven']);

/**
 * Validates a loose redrive request (an API body; absent means `{}`). Each issue names its
 * property; unknown properties are issues too, so a misspelt filter never widens a re-drive.
 */
export function parseRedriveInput(body: unknown): RedriveInputResult {
  const input = body ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, issues: [{ path: 'body', message: 'must be a JSON object' }] };
  }
  const record = input as Record<string, unknown>;
  const issues: ConfigIssue[] = Object.keys(record)
    .filter((key) => !FIELDS.has(key))
    .map((key) => ({ path: key, message: 'unknown property' }));
  const { tenant, reason, limit, dryRun, includeRedriven } = record;
  if (tenant !== undefined && (typeof tenant !== 'string' || !isTenantId(tenant))) {
    issues.push({ path: 'tenant', message: 'must be 1–128 characters of A-Z a-z 0-9 . _ : @ -' });
  }
  if (reason !== undefined && (typeof reason !== 'string' || !isQuarantineReason(reason))) {
    issues.push({ path: 'reason', message: 'must be a reason code (see docs/api.md for the list)' });
  }
  if (
    limit !== undefined &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_REDRIVE_LIMIT)
  ) {
    issues.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_REDRIVE_LIMIT}` });
  }
  for (const [name, value] of [
    ['dryRun', dryRun],
    ['includeRedriven', includeRedriven],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean')
      issues.push({ path: name, message: 'must be true or false' });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      ...(tenant === undefined ? {} : { tenant: tenant as string }),
      ...(reason === undefined ? {} : { reason: reason as QuarantineReason }),
      limit: (limit as number | undefined) ?? DEFAULT_REDRIVE_LIMIT,
      ...(dryRun === undefined ? {} : { dryRun: dryRun as boolean }),
      ...(includeRedriven === undefined ? {} : { includeRedriven: includeRedriven as boolean }),
    },
  };
}
