/**
 * Ingest keys: per-tenant credentials that may only send usage events (`POST /v1/events`).
 *
 * - key: `tg_k_` + 32 random bytes in base64url (43 characters), shown once when created;
 * - hash: the sha256 (hex) of the key, the only form the config table keeps;
 * - key id: the first 8 characters after the prefix, public: it names the key in listings, in
 *   revocation and in logs, and lets a person tell which key a leaked one is;
 * - limits: optional per-key overrides of `DEFAULT_INGEST_LIMITS`.
 *
 * A revoked key stays stored (with `revokedAt`) so that listings keep its history.
 */
import * as z from 'zod';
import type { ConfigIssue } from '../catalog/catalog.js';
import {
  DEFAULT_INGEST_LIMITS,
  MAX_EVENTS_PER_SECOND,
  MAX_REQUESTS_PER_SECOND,
  type RateLimits,
} from './rate-limit.js';

export const INGEST_KEY_PREFIX = 'tg_k_';
/** Random bytes in an ingest key. */
export const INGEST_KEY_BYTES = 32;
export const KEY_ID_LENGTH = 8;

const INGEST_KEY_PATTERN = /^tg_k_[A-Za-z0-9_-]{43}$/;
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{8}$/;

/** Whether `text` has the form of an ingest key (says nothing about whether it exists). */
export function isIngestKeyFormat(text: string): boolean {
  return INGEST_KEY_PATTERN.test(text);
}

export function isKeyId(text: string): boolean {
  return KEY_ID_PATTERN.test(text);
}

/** The public id of a key: the 8 characters after `tg_k_`. */
export function keyIdOf(key: string): string {
  return key.slice(INGEST_KEY_PREFIX.length, INGEST_KEY_PREFIX.length + KEY_ID_LENGTH);
}

/** Per-key overrides of the default limits. */
export interface IngestKeyLimits {
  readonly requestsPerSecond?: number;
  readonly eventsPerSecond?: number;
}

/** An ingest key as stored, without its secret or its hash. */
export interface IngestKey {
  readonly keyId: string;
  readonly tenant: string;
  readonly label: string;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601; absent while the key is in force. */
  readonly revokedAt?: string;
  readonly limits: IngestKeyLimits;
}

/** Finds a key by the sha256 (hex) of its text: what authenticating a request needs. */
export interface IngestKeyLookup {
  getIngestKey(hash: string): Promise<IngestKey | undefined>;
}

/** The keys in the config table: what the admin routes need. */
export interface IngestKeyStore extends IngestKeyLookup {
  /** Stores a new key; false (nothing stored) when its tenant already has a key with this id. */
  createIngestKey(hash: string, key: IngestKey): Promise<boolean>;
  /** Every key of the tenant, revoked ones included. */
  listIngestKeys(tenant: string): Promise<IngestKey[]>;
  /**
   * Marks the key revoked at `at` and answers it; a key revoked before keeps its first
   * `revokedAt`. Undefined when the tenant has no key with this id.
   */
  revokeIngestKey(tenant: string, keyId: string, at: string): Promise<IngestKey | undefined>;
}

/** The limits a key is held to: its own, else the defaults. */
export function effectiveLimits(limits: IngestKeyLimits): RateLimits {
  return {
    requestsPerSecond: limits.requestsPerSecond ?? DEFAULT_INGEST_LIMITS.requestsPerSecond,
    eventsPerSecond: limits.eventsPerSecond ?? DEFAULT_INGEST_LIMITS.eventsPerSecond,
  };
}

const perSecond = (max: number) =>
  z
    .number({ error: `must be a whole number from 1 to ${max}` })
    .int(`must be a whole number from 1 to ${max}`)
    .min(1, `must be a whole number from 1 to ${max}`)
    .max(max, `must be a whole number from 1 to ${max}`)
    .optional();

const createKeySchema = z.strictObject({
  label: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .optional(),
  limits: z
    .strictObject({
      requestsPerSecond: perSecond(MAX_REQUESTS_PER_SECOND),
      eventsPerSecond: perSecond(MAX_EVENTS_PER_SECOND),
    })
    .optional(),
});

export interface CreateIngestKeyInput {
  readonly label: string;
  readonly limits: IngestKeyLimits;
}

/** The body of `POST /v1/tenants/{tenant}/keys`: `{label?, limits?: {requestsPerSecond?, eventsPerSecond?}}`. */
export function parseCreateIngestKeyInput(
  body: unknown,
):
  | { readonly ok: true; readonly value: CreateIngestKeyInput }
  | { readonly ok: false; readonly issues: ConfigIssue[] } {
  const parsed = createKeySchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => {
        const at = issue.path.join('.');
        if (issue.code === 'unrecognized_keys') {
          return {
            path: issue.keys.map((key) => (at === '' ? key : `${at}.${key}`)).join(', '),
            message: 'unknown property',
          };
        }
        return {
          path: at === '' ? 'body' : at,
          message: at === '' ? 'must be a JSON object' : issue.message,
        };
      }),
    };
  }
  const { label, limits } = parsed.data;
  return {
    ok: true,
    value: {
      label: label ?? '',
      limits: {
        ...(limits?.requestsPerSecond === undefined ? {} : { requestsPerSecond: limits.requestsPerSecond }),
        ...(limits?.eventsPerSecond === undefined ? {} : { eventsPerSecond: limits.eventsPerSecond }),
      },
    },
  };
}
