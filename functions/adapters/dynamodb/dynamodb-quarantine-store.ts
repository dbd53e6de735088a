import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { QuarantineEntry, QuarantineStore } from '../../../shared/metering/ports.js';
import type { QuarantineMarker } from '../../../shared/quarantine/redrive.js';
import type { BlobStore } from '../blob/blob-store.js';

/** Bytes up to this size stay in the item; larger ones go to the blob store. */
export const INLINE_BYTES_LIMIT = 64 * 1024;
const ITEMS_PER_BATCH = 25;
const MAX_RETRIES = 6;

/** What identifies an entry: a stored entry (`QuarantinedItem`) has these fields too. */
export type QuarantineKeyFields = Pick<
  QuarantineEntry,
  'tenant' | 'receivedAt' | 'shardId' | 'sequenceNumber' | 'subIndex' | 'eventIndex'
>;

export function quarantineSk(entry: QuarantineKeyFields): string {
  return `${entry.receivedAt}#${entry.shardId}#${entry.sequenceNumber}#${entry.subIndex}#${entry.eventIndex}`;
}

function quarantineKey(entry: QuarantineKeyFields): Record<string, AttributeValue> {
  return { pk: { S: `Q#${entry.tenant}` }, sk: { S: quarantineSk(entry) } };
}

/**
 * The quarantine index (a table) with the original bytes inline or in the blob store. Keys are
 * deterministic, so a retried batch rewrites the same items instead of adding new ones.
 */
export class DynamoDbQuarantineStore implements QuarantineStore, QuarantineMarker {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly blobs: BlobStore,
  ) {}

  async put(entries: readonly QuarantineEntry[]): Promise<Array<{ ok: boolean; error?: unknown }>> {
    const results: Array<{ ok: boolean; error?: unknown }> = entries.map(() => ({ ok: true }));
    const items: Array<{ index: number; request: WriteRequest }> = [];
    await Promise.all(
      entries.map(async (entry, index) => {
        try {
          items.push({ index, request: { PutRequest: { Item: await this.#item(entry) } } });
        } catch (error) {
          results[index] = { ok: false, error };
        }
      }),
    );
    for (let i = 0; i < items.length; i += ITEMS_PER_BATCH) {
      const chunk = items.slice(i, i + ITEMS_PER_BATCH);
      const error = await this.#write(chunk.map((c) => c.request));
      if (error !== undefined) for (const c of chunk) results[c.index] = { ok: false, error };
    }
    return results;
  }

  /**
   * Sets `redrivenAt` on the entry, on condition that it exists (an entry that has gone is
   * not recreated as a stub): false when it does not.
   */
  async markRedriven(entry: QuarantineKeyFields, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: quarantineKey(entry),
          UpdateExpression: 'SET redrivenAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': { S: at } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #item(entry: QuarantineEntry): Promise<Record<string, AttributeValue>> {
    const sk = quarantineSk(entry);
    const item: Record<string, AttributeValue> = {
      ...quarantineKey(entry),
      reason: { S: entry.reason },
      message: { S: entry.message },
      tenant: { S: entry.tenant },
      partitionKey: { S: entry.partitionKey },
      shardId: { S: entry.shardId },
      sequenceNumber: { S: entry.sequenceNumber },
      subIndex: { N: String(entry.subIndex) },
      eventIndex: { N: String(entry.eventIndex) },
      receivedAt: { S: entry.receivedAt },
      size: { N: String(entry.bytes.byteLength) },
    };
    if (entry.field !== undefined) item.field = { S: entry.field };
    if (entry.eventId !== undefined) item.eventId = { S: entry.eventId };
    if (entry.eventType !== undefined) item.eventType = { S: entry.eventType };
    if (entry.bytes.byteLength <= INLINE_BYTES_LIMIT) {
      item.bytes = { B: entry.bytes };
    } else {
      const blobKey = `quarantine/${encodeURIComponent(entry.tenant)}/${encodeURIComponent(sk)}`;
      await this.blobs.put(blobKey, entry.bytes);
      item.blobKey = { S: blobKey };
    }
    return item;
  }

  async #write(requests: WriteRequest[]): Promise<unknown> {
    let todo = requests;
    let lastError: unknown;
    for (let attempt = 0; todo.length > 0; attempt += 1) {
      if (attempt > MAX_RETRIES) return lastError ?? new Error(`${todo.length} quarantine items unprocessed`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      try {
        const result = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: todo } }),
        );
        todo = result.UnprocessedItems?.[this.tableName] ?? [];
      } catch (error) {
        lastError = error;
      }
    }
    return undefined;
  }
}
