import { expect } from 'vitest';
import type {
  CatalogVersion,
  PublishResult,
  TokenRecord,
} from '../../../functions/adapters/dynamodb/dynamodb-config-store.js';
import type { ApiConfigStore, ApiDeps, ApiRequest, ApiResponse } from '../../../functions/api/api-types.js';
import { sha256Hex } from '../../../functions/api/auth.js';
import { handleApiRequest } from '../../../functions/api/handle-api-request.js';
import type { Catalog } from '../../../shared/catalog/catalog.js';
import { catalogHash } from '../../../shared/catalog/load-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import type {
  QuarantinedItem,
  QuarantineListQuery,
  QuarantinePage,
  QuarantineReader,
} from '../../../shared/quarantine/quarantine-query.js';
import type { QuarantineMarker } from '../../../shared/quarantine/redrive.js';
import type {
  EntitlementPeriodKey,
  EntitlementRow,
  RollupRow,
  UsageReader,
} from '../../../shared/usage/ports.js';
import { InMemoryIngestKeyStore, ScriptedRateLimiter } from '../../support/in-memory-ingest.js';
import { FakeStreamWriter, InMemoryBlobs } from '../../support/in-memory-quarantine.js';

/** The config table in memory, with the semantics of `DynamoDbConfigStore`. */
export class InMemoryConfigStore implements ApiConfigStore {
  readonly versions = new Map<number, CatalogVersion>();
  active: number | undefined;
  readonly tenants = new Map<string, TenantProfile>();
  /** By sha256 hex, as the table keys them. */
  readonly tokens = new Map<string, TokenRecord>();

  async publishCatalog(catalog: Catalog): Promise<PublishResult> {
    const hash = catalogHash(catalog);
    const current = this.active === undefined ? undefined : this.versions.get(this.active);
    if (current?.hash === hash) return { version: current.version, hash, created: false };
    const version = this.versions.size + 1;
    this.versions.set(version, { version, hash, publishedAt: '2026-11-01T00:00:00.000Z', catalog });
    this.active = version;
    return { version, hash, created: true };
  }

  async activateCatalog(version: number): Promise<void> {
    if (!this.versions.has(version)) throw new RangeError(`catalog version ${version} does not exist`);
    this.active = version;
  }

  async activeCatalog() {
    return this.active === undefined ? undefined : this.versions.get(this.active);
  }

  async catalogVersion(version: number) {
    return this.versions.get(version);
  }

  async listCatalogVersions() {
    return [...this.versions.values()].map(({ version, hash, publishedAt }) => ({
      version,
      hash,
      publishedAt,
      active: version === this.active,
    }));
  }

  async putTenant(profile: TenantProfile) {
    const created = !this.tenants.has(profile.tenant);
    this.tenants.set(profile.tenant, profile);
    return { created };
  }

  async getTenant(tenant: string) {
    return this.tenants.get(tenant);
  }

  async putToken(hash: string, record: TokenRecord) {
    this.tokens.set(hash, record);
  }

  async getToken(hash: string) {
    return this.tokens.get(hash);
  }
}

export class FakeUsageReader implements UsageReader {
  rollups: RollupRow[] = [];
  entitlements: EntitlementRow[] = [];
  readonly rollupCalls: unknown[][] = [];
  readonly entitlementCalls: Array<[string, readonly EntitlementPeriodKey[] | undefined]> = [];
  failWith: Error | undefined;

  async rollupRows(tenant: string, rollupId: string, fromIso: string, toIso: string) {
    if (this.failWith !== undefined) throw this.failWith;
    this.rollupCalls.push([tenant, rollupId, fromIso, toIso]);
    return this.rollups;
  }

  async entitlementRows(tenant: string, periods?: readonly EntitlementPeriodKey[]) {
    if (this.failWith !== undefined) throw this.failWith;
    this.entitlementCalls.push([tenant, periods]);
    return this.entitlements;
  }
}

export class FakeQuarantineReader implements QuarantineReader {
  page: QuarantinePage = { entries: [] };
  readonly queries: QuarantineListQuery[] = [];

  async list(query: QuarantineListQuery) {
    this.queries.push(query);
    return this.page;
  }
}

export class RecordingMarker implements QuarantineMarker {
  readonly marked: Array<{ entry: QuarantinedItem; at: string }> = [];

  async markRedriven(entry: QuarantinedItem, at: string) {
    this.marked.push({ entry, at });
    return true;
  }
}

export const ADMIN_TOKEN = 'admin-secret-token-0123456789';
export const ACME_TOKEN = 'tg_t_acme-token-for-tests';
export const GLOBEX_TOKEN = 'tg_t_globex-token-for-tests';

export interface TestApi {
  readonly config: InMemoryConfigStore;
  readonly usage: FakeUsageReader;
  readonly quarantine: FakeQuarantineReader;
  readonly stream: FakeStreamWriter;
  readonly marker: RecordingMarker;
  readonly ingestKeys: InMemoryIngestKeyStore;
  /** The stream `POST /v1/events` puts on (re-drive has its own). */
  readonly ingestStream: FakeStreamWriter;
  readonly limiter: ScriptedRateLimiter;
  readonly logs: Array<{ level: string; message: string; details: Readonly<Record<string, unknown>> }>;
  readonly deps: ApiDeps;
  call(method: string, path: string, options?: CallOptions): Promise<TestResponse>;
}

export interface CallOptions {
  readonly token?: string | null;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestResponse extends ApiResponse {
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check
  readonly json: any;
}

export const NOW = Date.parse('2026-11-30T12:34:00.000Z');

export interface TestApiOptions {
  /** Source of token and key bytes; by default every byte is 7. */
  readonly randomBytes?: (size: number) => Uint8Array;
}

export function testApi(catalog: Catalog | undefined, options: TestApiOptions = {}): TestApi {
  const config = new InMemoryConfigStore();
  if (catalog !== undefined) void config.publishCatalog(catalog);
  config.tokens.set(sha256Hex(ACME_TOKEN), { role: 'tenant', tenant: 'acme', label: '', createdAt: '' });
  config.tokens.set(sha256Hex(GLOBEX_TOKEN), { role: 'tenant', tenant: 'globex', label: '', createdAt: '' });
  const usage = new FakeUsageReader();
  const quarantine = new FakeQuarantineReader();
  const stream = new FakeStreamWriter();
  const marker = new RecordingMarker();
  const ingestKeys = new InMemoryIngestKeyStore();
  const ingestStream = new FakeStreamWriter();
  const limiter = new ScriptedRateLimiter();
  const logs: TestApi['logs'] = [];
  const deps: ApiDeps = {
    config,
    ingestKeys,
    ingest: { keys: ingestKeys, stream: ingestStream, limiter },
    usage,
    quarantine,
    redrive: { blobs: new InMemoryBlobs(), stream, marker },
    adminToken: async () => ADMIN_TOKEN,
    clock: () => NOW,
    logger: {
      info: (message, details) => logs.push({ level: 'info', message, details }),
      error: (message, details) => logs.push({ level: 'error', message, details }),
    },
    randomBytes: options.randomBytes ?? ((size) => new Uint8Array(size).fill(7)),
  };
  return {
    config,
    usage,
    quarantine,
    stream,
    marker,
    ingestKeys,
    ingestStream,
    limiter,
    logs,
    deps,
    async call(method, path, options = {}) {
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      const request: ApiRequest = {
        method,
        path,
        query: options.query ?? {},
        headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...options.headers },
        body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      };
      const response = await handleApiRequest(request, deps);
      return { ...response, json: JSON.parse(response.body) };
    },
  };
}

/** Asserts an error response: status, code, the field it names, and a message that starts with it. */
export function expectError(response: TestResponse, status: number, code: string, field: string): void {
  expect({
    status: response.status,
    code: response.json.error?.code,
    field: response.json.error?.field,
  }).toEqual({
    status,
    code,
    field,
  });
  expect(typeof response.json.error.message).toBe('string');
  expect(response.json.error.message.length).toBeGreaterThan(0);
}
