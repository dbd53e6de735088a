/**
 * Listing quarantined records and events, newest first: by tenant, by reason code, or both.
 * The port (`QuarantineReader`) pages with an opaque cursor; `parseQuarantineQuery` reads the
 * loose input (query string, CLI flags) with errors naming the parameter.
 */
import { isTenantId } from '../catalog/tenant-profile.js';
import { isQuarantineReason, type QuarantineReason } from '../contract/reasons.js';

export const DEFAULT_QUARANTINE_LIMIT = 50;
export const MAX_QUARANTINE_LIMIT = 500;

export interface QuarantineListQuery {
  readonly tenant?: string;
  readonly reason?: QuarantineReason;
  /** 1 to `MAX_QUARANTINE_LIMIT`. */
  readonly limit: number;
  /** From the previous page's `nextCursor`, for the same tenant and reason. */
  readonly cursor?: string;
  /** Leave out entries already re-driven (`redrivenAt` set). */
  readonly excludeRedriven?: boolean;
}

/** One quarantined record or event, as the quarantine table holds it (docs/data-model.md). */
export interface QuarantinedItem {
  readonly tenant: string;
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly receivedAt: string;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subIndex: number;
  /** Position of the event in its record's array; -1 for a whole record. */
  readonly eventIndex: number;
  /** Size of the original bytes. */
  readonly size: number;
  /** The original bytes when kept inline (≤ 64 KiB). */
  readonly bytes?: Uint8Array;
  /** Where the blob store keeps the original bytes when they are larger. */
  readonly blobKey?: string;
  /** When the bytes were last put back on the stream (`redriveQuarantined`). */
  readonly redrivenAt?: string;
}

export interface QuarantinePage {
  readonly entries: readonly QuarantinedItem[];
  /** Present when there may be more entries. */
  readonly nextCursor?: string;
}

export interface QuarantineReader {
  /** Throws `QuarantineQueryError` (`invalid_cursor`) when the cursor is not one it gave for this query. */
  list(query: QuarantineListQuery): Promise<QuarantinePage>;
}

export type QuarantineQueryErrorCode = 'invalid_parameter' | 'invalid_cursor';

export class QuarantineQueryError extends Error {
  override readonly name = 'QuarantineQueryError';
  readonly code: QuarantineQueryErrorCode;
  readonly field: string;

  constructor(code: QuarantineQueryErrorCode, field: string, message: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export interface QuarantineQueryInput {
  readonly tenant?: string | undefined;
  readonly reason?: string | undefined;
  /** Text or a number; default `DEFAULT_QUARANTINE_LIMIT`. */
  readonly limit?: string | number | undefined;
  readonly cursor?: string | undefined;
}

const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;

/** Validates list parameters; empty text counts as absent. Throws `QuarantineQueryError`. */
export function parseQuarantineQuery(input: QuarantineQueryInput): QuarantineListQuery {
  const tenant = input.tenant === undefined || input.tenant === '' ? undefined : input.tenant;
  if (tenant !== undefined && !isTenantId(tenant)) {
    throw new QuarantineQueryError(
      'invalid_parameter',
      'tenant',
      'tenant: must be 1–128 characters of A-Z a-z 0-9 . _ : @ -',
    );
  }
  const reason = input.reason === undefined || input.reason === '' ? undefined : input.reason;
  if (reason !== undefined && !isQuarantineReason(reason)) {
    throw new QuarantineQueryError(
      'invalid_parameter',
      'reason',
      `reason: unknown reason code "${reason}" (see docs/api.md for the list)`,
    );
  }
  const limitText = input.limit === undefined || input.limit === '' ? undefined : String(input.limit).trim();
  const limit = limitText === undefined ? DEFAULT_QUARANTINE_LIMIT : Number(limitText);
  if (
    !/^\d+$/.test(limitText ?? '1') ||
    !Number.isSafeInteger(limit) ||
    limit < 1 ||
    limit > MAX_QUARANTINE_LIMIT
  ) {
    throw new QuarantineQueryError(
      'invalid_parameter',
      'limit',
      `limit: must be a whole number from 1 to ${MAX_QUARANTINE_LIMIT}, not "${limitText}"`,
    );
  }
  const cursor = input.cursor === undefined || input.cursor === '' ? undefined : input.cursor;
  if (cursor !== undefined && !CURSOR_PATTERN.test(cursor)) {
    throw new QuarantineQueryError(
      'invalid_cursor',
      'cursor',
      'cursor: must be a nextCursor from a previous page',
    );
  }
  return {
    ...(tenant === undefined ? {} : { tenant }),
    ...(reason === undefined ? {} : { reason }),
    limit,
    ...(cursor === undefined ? {} : { cursor }),
  };
}
