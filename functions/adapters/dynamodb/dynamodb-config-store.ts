import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { Catalog } from '../../../shared/catalog/catalog.js';
import { canonicalCatalogJson, catalogHash, parseCatalog } from '../../../shared/catalog/load-catalog.js';
import { parseTenantProfile, type TenantProfile } from '../../../shared/catalog/tenant-profile.js';
import { formatQuantity } from '../../../shared/decimal/quantity.js';
import { decodeKeyCursor, encodeKeyCursor, listingLimit } from './key-cursor.js';

const CATALOG_PK = 'CATALOG';
const ACTIVE_SK = 'ACTIVE';
const versionSk = (version: number) => `VERSION#${String(version).padStart(6, '0')}`;
const tenantPk = (tenant: string) => `TENANT#${tenant}`;
const PROFILE_SK = 'PROFILE';

export interface CatalogVersion {
  readonly version: number;
  readonly hash: string;
  readonly publishedAt: string;
  readonly catalog: Catalog;
}

export interface PublishResult {
  readonly version: number;
  readonly hash: string;
  /** False when the active version already had this content. */
  readonly created: boolean;
}

export type TokenRole = 'admin' | 'tenant';

export interface TokenRecord {
  readonly role: TokenRole;
  readonly tenant?: string;
  readonly label: string;
  readonly createdAt: string;
}

function profileItem(profile: TenantProfile, now: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: tenantPk(profile.tenant) },
    sk: { S: PROFILE_SK },
    tenant: { S: profile.tenant },
    plan: { S: profile.plan },
    status: { S: profile.status },
    updatedAt: { S: now },
  };
  if (profile.billingAnchor !== undefined) item.billingAnchor = { S: profile.billingAnchor };
  if (profile.billingStart !== undefined) item.billingStart = { S: profile.billingStart };
  if (profile.graceHours !== undefined) item.graceHours = { N: String(profile.graceHours) };
  if (profile.spendAlerts !== undefined)
    item.spendAlerts = { L: profile.spendAlerts.map((amount) => ({ S: amount })) };
  if (profile.planHistory !== undefined) {
    item.planHistory = {
      L: profile.planHistory.map((change) => ({ M: { plan: { S: change.plan }, from: { S: change.from } } })),
    };
  }
  if (profile.overrides !== undefined) {
    const overrides: Record<string, AttributeValue> = {};
    for (const [key, override] of Object.entries(profile.overrides)) {
      overrides[key] = { M: { limit: { N: formatQuantity(override.limit) } } };
    }
    item.overrides = { M: overrides };
  }
  return item;
}

function profileOf(item: Record<string, AttributeValue>): TenantProfile {
  const overrides: Record<string, { limit: string }> = {};
  for (const [key, value] of Object.entries(item.overrides?.M ?? {})) {
    overrides[key] = { limit: value.M?.limit?.N ?? '' };
  }
  return parseTenantProfile({
    tenant: item.tenant?.S,
    plan: item.plan?.S,
    status: item.status?.S,
    ...(item.billingAnchor?.S === undefined ? {} : { billingAnchor: item.billingAnchor.S }),
    ...(item.billingStart?.S === undefined ? {} : { billingStart: item.billingStart.S }),
    ...(item.graceHours?.N === undefined ? {} : { graceHours: Number(item.graceHours.N) }),
    ...(item.spendAlerts?.L === undefined ? {} : { spendAlerts: item.spendAlerts.L.map((entry) => entry.S) }),
    ...(item.planHistory?.L === undefined
      ? {}
      : {
          planHistory: item.planHistory.L.map((entry) => ({
            plan: entry.M?.plan?.S,
            from: entry.M?.from?.S,
          })),
        }),
    ...(item.overrides === undefined ? {} : { overrides }),
  });
}

/** The config table: catalog versions and the active pointer, tenant profiles, API tokens. */
export class DynamoDbConfigStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores `catalog` as a new version and activates it, unless it is the active one already. */
  async publishCatalog(catalog: Catalog): Promise<PublishResult> {
    const hash = catalogHash(catalog);
    const active = await this.#get(CATALOG_PK, ACTIVE_SK);
    if (active?.hash?.S === hash) return { version: Number(active.version?.N), hash, created: false };
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const latest = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': { S: CATALOG_PK }, ':v': { S: 'VERSION#' } },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const version = Number(latest.Items?.[0]?.version?.N ?? '0') + 1;
      const publishedAt = this.now().toISOString();
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: { S: CATALOG_PK },
              sk: { S: versionSk(version) },
              version: { N: String(version) },
              hash: { S: hash },
              document: { S: canonicalCatalogJson(catalog) },
              publishedAt: { S: publishedAt },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue;
        throw error;
      }
      await this.activateCatalog(version);
      return { version, hash, created: true };
    }
    throw new Error('catalog publish: too many concurrent publishers, try again');
  }

  /** Makes a stored version the active one (also a rollback). */
  async activateCatalog(version: number): Promise<void> {
    const item = await this.#get(CATALOG_PK, versionSk(version));
    if (item === undefined) throw new RangeError(`catalog version ${version} does not exist`);
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: CATALOG_PK },
          sk: { S: ACTIVE_SK },
          version: { N: String(version) },
          hash: { S: item.hash?.S ?? '' },
          activatedAt: { S: this.now().toISOString() },
        },
      }),
    );
  }

  async activeCatalog(): Promise<CatalogVersion | undefined> {
    const active = await this.#get(CATALOG_PK, ACTIVE_SK);
    if (active === undefined) return undefined;
    return this.catalogVersion(Number(active.version?.N));
  }

  async catalogVersion(version: number): Promise<CatalogVersion | undefined> {
    const item = await this.#get(CATALOG_PK, versionSk(version));
    if (item === undefined) return undefined;
    return {
      version,
      hash: item.hash?.S ?? '',
      publishedAt: item.publishedAt?.S ?? '',
      catalog: parseCatalog(JSON.parse(item.document?.S ?? '{}')),
    };
  }

  async listCatalogVersions(): Promise<
    Array<{ version: number; hash: string; publishedAt: string; active: boolean }>
  > {
    const [result, active] = await Promise.all([
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
          ExpressionAttributeValues: { ':pk': { S: CATALOG_PK }, ':v': { S: 'VERSION#' } },
          ProjectionExpression: 'version, #h, publishedAt',
          ExpressionAttributeNames: { '#h': 'hash' },
        }),
      ),
      this.#get(CATALOG_PK, ACTIVE_SK),
    ]);
    return (result.Items ?? []).map((item) => ({
      version: Number(item.version?.N),
      hash: item.hash?.S ?? '',
      publishedAt: item.publishedAt?.S ?? '',
      active: item.version?.N === active?.version?.N,
    }));
  }

  async putTenant(profile: TenantProfile): Promise<{ created: boolean }> {
    const now = this.now().toISOString();
    const item = profileItem(profile, now);
    const existing = await this.#get(tenantPk(profile.tenant), PROFILE_SK);
    item.createdAt = existing?.createdAt ?? { S: now };
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item }));
    return { created: existing === undefined };
  }

  async getTenant(tenant: string): Promise<TenantProfile | undefined> {
    const item = await this.#get(tenantPk(tenant), PROFILE_SK, true);
    return item === undefined ? undefined : profileOf(item);
  }

  async getTenants(tenants: readonly string[]): Promise<Map<string, TenantProfile>> {
    const found = new Map<string, TenantProfile>();
    for (let i = 0; i < tenants.length; i += 100) {
      let keys: Record<string, AttributeValue>[] = tenants
        .slice(i, i + 100)
        .map((t) => ({ pk: { S: tenantPk(t) }, sk: { S: PROFILE_SK } }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt > 8) throw new Error('tenant lookup: unprocessed keys after retries');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const result = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const profile = profileOf(item);
          found.set(profile.tenant, profile);
        }
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  /**
   * Every tenant profile, a page at a time (a Scan, in the table's order, not by name). The
   * cursor is the key of the last profile returned; a malformed profile throws, as in
   * `getTenant`. Throws `ListingError` for a cursor it did not give or a limit out of range.
   */
  async listTenantProfiles(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ profiles: TenantProfile[]; cursor?: string }> {
    const limit = listingLimit(options.limit);
    let startKey =
      options.cursor === undefined
        ? undefined
        : decodeKeyCursor(
            options.cursor,
            ['pk', 'sk'],
            (key) => key.sk === PROFILE_SK && key.pk?.startsWith(tenantPk('')) === true,
          );
    // One more than the page, so that a cursor is given only when another page exists.
    const items: Record<string, AttributeValue>[] = [];
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'sk = :profile',
          ExpressionAttributeValues: { ':profile': { S: PROFILE_SK } },
          ConsistentRead: true,
          // Limit counts items read before the filter; other kinds of item share the table.
          Limit: Math.max(limit + 1, 100),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length <= limit);
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      profiles: page.map(profileOf),
      ...(items.length > limit && last !== undefined
        ? { cursor: encodeKeyCursor({ pk: last.pk?.S ?? '', sk: last.sk?.S ?? '' }) }
        : {}),
    };
  }

  async putToken(hash: string, record: TokenRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: `TOKEN#${hash}` },
          sk: { S: 'TOKEN' },
          role: { S: record.role },
          label: { S: record.label },
          createdAt: { S: record.createdAt },
          ...(record.tenant === undefined ? {} : { tenant: { S: record.tenant } }),
        },
      }),
    );
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    const item = await this.#get(`TOKEN#${hash}`, 'TOKEN', true);
    if (item === undefined) return undefined;
    const role = item.role?.S === 'admin' ? 'admin' : 'tenant';
    return {
      role,
      label: item.label?.S ?? '',
      createdAt: item.createdAt?.S ?? '',
      ...(item.tenant?.S === undefined ? {} : { tenant: item.tenant.S }),
    };
  }

  async #get(pk: string, sk: string, consistent = true): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConsistentRead: consistent,
      }),
    );
    return result.Item;
  }
}
