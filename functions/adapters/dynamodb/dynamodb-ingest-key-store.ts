import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { IngestKey, IngestKeyLimits, IngestKeyStore } from '../../../shared/ingest/ingest-keys.js';
import { ITEM_KEY_PREFIXES } from '../../../shared/tables/table-definitions.js';

/** Found by its hash when a request is authenticated (the only item the ingest function reads). */
const authKey = (hash: string) => ({
  pk: { S: `${ITEM_KEY_PREFIXES.ingestKey}${hash}` },
  sk: { S: 'INGESTKEY' },
});
/** Listed under the tenant; holds the hash, so that revoking reaches the item above. */
const listingKey = (tenant: string, keyId: string) => ({
  pk: { S: `TENANT#${tenant}` },
  sk: { S: `INGESTKEY#${keyId}` },
});

function attributesOf(key: IngestKey): Record<string, AttributeValue> {
  return {
    keyId: { S: key.keyId },
    tenant: { S: key.tenant },
    label: { S: key.label },
    createdAt: { S: key.createdAt },
    ...(key.revokedAt === undefined ? {} : { revokedAt: { S: key.revokedAt } }),
    ...(key.limits.requestsPerSecond === undefined
      ? {}
      : { requestsPerSecond: { N: String(key.limits.requestsPerSecond) } }),
    ...(key.limits.eventsPerSecond === undefined
      ? {}
      : { eventsPerSecond: { N: String(key.limits.eventsPerSecond) } }),
  };
}

function keyOf(item: Record<string, AttributeValue>): IngestKey {
  const limits: { requestsPerSecond?: number; eventsPerSecond?: number } = {};
  if (item.requestsPerSecond?.N !== undefined) limits.requestsPerSecond = Number(item.requestsPerSecond.N);
  if (item.eventsPerSecond?.N !== undefined) limits.eventsPerSecond = Number(item.eventsPerSecond.N);
  return {
    keyId: item.keyId?.S ?? '',
    tenant: item.tenant?.S ?? '',
    label: item.label?.S ?? '',
    createdAt: item.createdAt?.S ?? '',
    ...(item.revokedAt?.S === undefined ? {} : { revokedAt: item.revokedAt.S }),
    limits: limits as IngestKeyLimits,
  };
}

function conditionFailed(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/**
 * Ingest keys in the config table, as two items written together (TransactWriteItems): the
 * authentication item `INGESTKEY#{sha256}` / `INGESTKEY`, and the listing item
 * `TENANT#{tenant}` / `INGESTKEY#{keyId}` that also holds the hash. Neither holds the key.
 */
export class DynamoDbIngestKeyStore implements IngestKeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async createIngestKey(hash: string, key: IngestKey): Promise<boolean> {
    const attributes = attributesOf(key);
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...authKey(hash), ...attributes },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...listingKey(key.tenant, key.keyId), ...attributes, hash: { S: hash } },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getIngestKey(hash: string): Promise<IngestKey | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: authKey(hash), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : keyOf(Item);
  }

  async listIngestKeys(tenant: string): Promise<IngestKey[]> {
    const keys: IngestKey[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenant}` }, ':sk': { S: 'INGESTKEY#' } },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) keys.push(keyOf(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return keys;
  }

  async revokeIngestKey(tenant: string, keyId: string, at: string): Promise<IngestKey | undefined> {
    const listing = await this.#listing(tenant, keyId);
    if (listing === undefined) return undefined;
    const current = keyOf(listing);
    if (current.revokedAt !== undefined) return current;
    const hash = listing.hash?.S ?? '';
    const revoke = {
      UpdateExpression: 'SET revokedAt = :at',
      ExpressionAttributeValues: { ':at': { S: at } },
    };
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: authKey(hash),
                ...revoke,
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: listingKey(tenant, keyId),
                ...revoke,
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      // Revoked meanwhile (keep that time), or an authentication item that is gone: then the
      // key cannot authenticate anyway, and the listing records the revocation alone.
      const again = await this.#listing(tenant, keyId);
      if (again === undefined) return undefined;
      if (again.revokedAt?.S !== undefined) return keyOf(again);
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: listingKey(tenant, keyId),
          ...revoke,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    }
    return { ...current, revokedAt: at };
  }

  async #listing(tenant: string, keyId: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: listingKey(tenant, keyId), ConsistentRead: true }),
    );
    return Item;
  }
}
