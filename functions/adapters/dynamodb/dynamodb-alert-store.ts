import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { Alert } from '../../../shared/alerts/alert.js';
import type { AlertListQuery, AlertPage, AlertStore } from '../../../shared/alerts/ports.js';
import { decodeKeyCursor, encodeKeyCursor, listingLimit } from './key-cursor.js';

type Item = Record<string, AttributeValue>;

const alertKey = (id: string): Item => ({ pk: { S: `A#${id}` }, sk: { S: 'A' } });
const incidentKey = (key: string): Item => ({ pk: { S: `INC#${key}` }, sk: { S: 'INC' } });

function alertItem(alert: Alert): Item {
  return {
    ...alertKey(alert.id),
    tenant: { S: alert.tenant },
    state: { S: alert.state },
    startedAt: { S: alert.startedAt },
    version: { N: String(alert.version) },
    document: { S: JSON.stringify(alert) },
  };
}

function alertOf(item: Item): Alert {
  return JSON.parse(item.document?.S ?? '{}') as Alert;
}

/**
 * Alerts in the alerts table (docs/data-model.md):
 * - alert `A#{id}` / `A`: the alert as JSON in `document`, with `tenant`, `state`, `startedAt`
 *   for the `by-tenant` and `by-state` indexes and `version` for optimistic concurrency;
 * - incident `INC#{incidentKey}` / `INC`: `alertId` of its current (or last) alert and `open`.
 *   Opening writes both in one transaction, conditioned on the incident having no open alert,
 *   so two detector runs never open two alerts for one incident. Nothing is ever deleted.
 */
export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async current(key: string): Promise<Alert | undefined> {
    const incident = await this.#get(incidentKey(key));
    const id = incident?.alertId?.S;
    return id === undefined ? undefined : this.get(id);
  }

  async get(id: string): Promise<Alert | undefined> {
    const item = await this.#get(alertKey(id));
    return item === undefined ? undefined : alertOf(item);
  }

  async open(alert: Alert): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...incidentKey(alert.incidentKey), alertId: { S: alert.id }, open: { BOOL: true } },
                ConditionExpression: 'attribute_not_exists(pk) OR #open = :false',
                ExpressionAttributeNames: { '#open': 'open' },
                ExpressionAttributeValues: { ':false': { BOOL: false } },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: alertItem(alert),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async update(alert: Alert): Promise<boolean> {
    const put = {
      TableName: this.tableName,
      Item: alertItem(alert),
      ConditionExpression: '#version = :previous',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':previous': { N: String(alert.version - 1) } },
    };
    try {
      if (alert.state === 'resolved') {
        await this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: put },
              {
                Update: {
                  TableName: this.tableName,
                  Key: incidentKey(alert.incidentKey),
                  UpdateExpression: 'SET #open = :false',
                  ConditionExpression: '#alertId = :id',
                  ExpressionAttributeNames: { '#open': 'open', '#alertId': 'alertId' },
                  ExpressionAttributeValues: { ':false': { BOOL: false }, ':id': { S: alert.id } },
                },
              },
            ],
          }),
        );
      } else {
        await this.client.send(new PutItemCommand(put));
      }
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async list(query: AlertListQuery): Promise<AlertPage> {
    const limit = listingLimit(query.limit);
    const byTenant = query.tenant !== undefined;
    const index = byTenant ? 'by-tenant' : 'by-state';
    const partition = byTenant
      ? { name: 'tenant', value: query.tenant ?? '' }
      : { name: 'state', value: query.state ?? 'open' };
    let startKey =
      query.cursor === undefined
        ? undefined
        : decodeKeyCursor(
            query.cursor,
            ['pk', 'sk', partition.name, 'startedAt'],
            (key) => key[partition.name] === partition.value,
          );
    const items: Item[] = [];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: '#p = :p',
          ...(byTenant && query.state !== undefined
            ? {
                FilterExpression: '#state = :state',
                ExpressionAttributeNames: { '#p': partition.name, '#state': 'state' },
              }
            : { ExpressionAttributeNames: { '#p': partition.name } }),
          ExpressionAttributeValues: {
            ':p': { S: partition.value },
            ...(byTenant && query.state !== undefined ? { ':state': { S: query.state } } : {}),
          },
          ScanIndexForward: false,
          Limit: limit + 1,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (items.length <= limit && startKey !== undefined);
    const alerts = items.slice(0, limit).map(alertOf);
    const last = items.length > limit ? items[limit - 1] : undefined;
    if (last === undefined) return { alerts };
    return {
      alerts,
      cursor: encodeKeyCursor({
        pk: last.pk?.S ?? '',
        sk: last.sk?.S ?? '',
        [partition.name]: last[partition.name]?.S ?? '',
        startedAt: last.startedAt?.S ?? '',
      }),
    };
  }

  async #get(key: Item): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}

function isConditionFailure(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}
