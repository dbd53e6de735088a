import { type CompiledCatalog, compileCatalog } from '../../../shared/catalog/compiled-catalog.js';
import type { TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import type { IngestKey, IngestKeyLookup } from '../../../shared/ingest/ingest-keys.js';
import type { CatalogSource, TenantDirectory } from '../../../shared/metering/ports.js';
import type { DynamoDbConfigStore } from './dynamodb-config-store.js';

/**
 * The active catalog, re-read at most every `ttlMs` (a pushed catalog is in force within that
 * time, without a deploy). Compiled once per version.
 */
export class CachedCatalogSource implements CatalogSource {
  #cached: { version: number; compiled: CompiledCatalog; at: number } | undefined;

  constructor(
    private readonly store: DynamoDbConfigStore,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async current(): Promise<CompiledCatalog> {
    const now = this.clock();
    if (this.#cached !== undefined && now - this.#cached.at < this.ttlMs) return this.#cached.compiled;
    const active = await this.store.activeCatalog();
    if (active === undefined) {
      throw new Error('no catalog is active: publish one with `tollgate catalog push`');
    }
    const compiled =
      this.#cached?.version === active.version ? this.#cached.compiled : compileCatalog(active.catalog);
    this.#cached = { version: active.version, compiled, at: now };
    return compiled;
  }
}

/**
 * Tenant profiles with a short cache. Unknown tenants are not cached, so a tenant set up
 * through the API is metered from its next batch on.
 */
export class CachedTenantDirectory implements TenantDirectory {
  readonly #cache = new Map<string, { profile: TenantProfile; at: number }>();

  constructor(
    private readonly store: DynamoDbConfigStore,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async profiles(tenants: readonly string[]): Promise<ReadonlyMap<string, TenantProfile>> {
    const now = this.clock();
    const result = new Map<string, TenantProfile>();
    const missing: string[] = [];
    for (const tenant of tenants) {
      const hit = this.#cache.get(tenant);
      if (hit !== undefined && now - hit.at < this.ttlMs) result.set(tenant, hit.profile);
      else missing.push(tenant);
    }
    if (missing.length > 0) {
      for (const [tenant, profile] of await this.store.getTenants(missing)) {
        this.#cache.set(tenant, { profile, at: now });
        result.set(tenant, profile);
      }
    }
    return result;
  }
}

/**
 * Ingest keys by hash, each answer (a miss too) kept for `ttlMs`: a revoked key stops
 * authenticating within that time. At most `maxEntries` answers are kept; past that the cache
 * starts again empty, so unknown keys sent in bulk cannot grow it without bound.
 */
export class CachedIngestKeyLookup implements IngestKeyLookup {
  readonly #cache = new Map<string, { key: IngestKey | undefined; at: number }>();

  constructor(
    private readonly lookup: IngestKeyLookup,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  async getIngestKey(hash: string): Promise<IngestKey | undefined> {
    const now = this.clock();
    const hit = this.#cache.get(hash);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.key;
    const key = await this.lookup.getIngestKey(hash);
    if (this.#cache.size >= this.maxEntries) this.#cache.clear();
    this.#cache.set(hash, { key, at: now });
    return key;
  }
}
