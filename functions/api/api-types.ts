/**
 * The HTTP API's request/response model and its dependencies. One core
 * (`handleApiRequest`) serves both the API Gateway Lambda (handler.ts) and the local
 * `node:http` server (local-server.ts); each edge only translates to and from these types.
 */

import type { AlertStore } from '../../shared/alerts/ports.js';
import type { Catalog } from '../../shared/catalog/catalog.js';
import type { TenantProfile } from '../../shared/catalog/tenant-profile.js';
import type { IngestKeyLookup, IngestKeyStore } from '../../shared/ingest/ingest-keys.js';
import type { RateLimiter } from '../../shared/ingest/rate-limit.js';
import type { StreamWriter } from '../../shared/ingest/stream-writer.js';
import type { InvoicingDeps, PlannerDeps } from '../../shared/invoicing/invoicing-deps.js';
import type { InvoiceDocumentStore } from '../../shared/invoicing/ports.js';
import type { QuarantineReader } from '../../shared/quarantine/quarantine-query.js';
import type { QuarantineBlobReader, QuarantineMarker } from '../../shared/quarantine/redrive.js';
import type { UsageReader } from '../../shared/usage/ports.js';
import type {
  CatalogVersion,
  PublishResult,
  TokenRecord,
} from '../adapters/dynamodb/dynamodb-config-store.js';

export interface ApiRequest {
  /** Upper case, e.g. `GET`. */
  readonly method: string;
  /** The URL path without the query, still percent-encoded, e.g. `/v1/tenants/acme/usage`. */
  readonly path: string;
  /** Decoded query parameters; a repeated parameter is joined with `,`. */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as UTF-8 text, when there is one. */
  readonly body?: string | undefined;
  /** For logs and the 500 body, when the edge has one (the API Gateway request id). */
  readonly requestId?: string | undefined;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** UTF-8 text, or base64 of binary bytes when `isBase64Encoded` (e.g. a PDF). */
  readonly body: string;
  /** Set when `body` is base64: each edge sends the decoded bytes. */
  readonly isBase64Encoded?: boolean;
}

/** The config-table operations the API uses (`DynamoDbConfigStore` has them). */
export interface ApiConfigStore {
  publishCatalog(catalog: Catalog): Promise<PublishResult>;
  activateCatalog(version: number): Promise<void>;
  activeCatalog(): Promise<CatalogVersion | undefined>;
  catalogVersion(version: number): Promise<CatalogVersion | undefined>;
  listCatalogVersions(): Promise<
    Array<{ version: number; hash: string; publishedAt: string; active: boolean }>
  >;
  putTenant(profile: TenantProfile): Promise<{ created: boolean }>;
  getTenant(tenant: string): Promise<TenantProfile | undefined>;
  putToken(hash: string, record: TokenRecord): Promise<void>;
  getToken(hash: string): Promise<TokenRecord | undefined>;
}

/** Structured logging; never given tokens, headers or bodies. */
export interface ApiLogger {
  info(message: string, details: Readonly<Record<string, unknown>>): void;
  error(message: string, details: Readonly<Record<string, unknown>>): void;
}

export interface ApiDeps {
  readonly config: ApiConfigStore;
  readonly usage: UsageReader;
  readonly quarantine: QuarantineReader;
  /** What `POST /v1/quarantine/redrive` needs beyond the reader: bytes, the stream, the mark. */
  readonly redrive: {
    readonly blobs: QuarantineBlobReader;
    readonly stream: StreamWriter;
    readonly marker: QuarantineMarker;
  };
  /** Ingest keys in the config table, for the admin routes that create, list and revoke them. */
  readonly ingestKeys: IngestKeyStore;
  /**
   * What `POST /v1/events` needs. Absent where another function serves that route (on AWS, the
   * ingest function behind the same API), which then answers 404 here.
   */
  readonly ingest?: IngestDeps;
  /**
   * The admin bearer token, or a function that resolves it (the AWS root fetches it from
   * Secrets Manager once per container). An empty token admits no one.
   */
  readonly adminToken: string | (() => Promise<string>);
  /** Epoch milliseconds. */
  readonly clock: () => number;
  readonly logger: ApiLogger;
  /** Source of token bytes; `crypto.randomBytes` by default. */
  readonly randomBytes?: (size: number) => Uint8Array;
  /**
   * Invoices, credits and billing runs. Both composition roots set it; absent only in tests of
   * other routes, where the billing routes answer 404.
   */
  readonly billing?: BillingApiDeps;
  /** Alert history; absent in tests of other routes, where the alert routes answer 404. */
  readonly alerts?: AlertStore;
}

/** What the invoice, credit and billing-run routes need. */
export interface BillingApiDeps {
  readonly invoicing: InvoicingDeps;
  readonly documents: InvoiceDocumentStore;
  readonly planner: PlannerDeps;
  /**
   * How far past the API's clock a billing run's `asOf` may be: a day on AWS (clock skew, a
   * time zone's date), where closing an open period early would be a mistake; locally, where
   * advancing the billing clock is how a newcomer sees a period close, much further.
   */
  readonly maxAsOfAheadMs?: number;
}

/** `POST /v1/events`: authenticate an ingest key, throttle it, put its events on the stream. */
export interface IngestDeps {
  /** Finds ingest keys by hash; the AWS root caches answers for up to 60 s. */
  readonly keys: IngestKeyLookup;
  readonly stream: StreamWriter;
  readonly limiter: RateLimiter;
}

/** All the ingest function has: no admin token, no config store, no readers. */
export interface IngestApiDeps {
  readonly ingest: IngestDeps;
  readonly clock: () => number;
  readonly logger: ApiLogger;
}
