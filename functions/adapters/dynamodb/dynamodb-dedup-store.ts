import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  BatchGetItemCommand,
  type BatchStatementRequest,
  type BatchStatementResponse,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ClaimOutcome, ClaimRequest, DedupStore } from '../../../shared/metering/ports.js';

/** PartiQL batches hold at most 25 statements; BatchGetItem at most 100 keys. */
const STATEMENTS_PER_BATCH = 25;
const KEYS_PER_GET = 100;
const MAX_RETRIES = 6;

/** Statement error codes that mean "try again", not "already claimed". */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflict',
]);

export interface DynamoDbDedupStoreOptions {
  readonly concurrency?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Claim markers written as PartiQL `INSERT`s in batches of 25. Each statement is its own
 * conditional write (an INSERT fails with `DuplicateItem` when the key exists), so a batch
 * costs one write unit per marker like a conditional `PutItem`, in 1/25th of the requests.
 * Markers found to exist are read back (consistently) to tell a retry of the claiming record
 * from a true duplicate.
 */
export class DynamoDbDedupStore implements DedupStore {
  readonly #concurrency: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbDedupStoreOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 16;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async claim(requests: readonly ClaimRequest[]): Promise<ClaimOutcome[]> {
    const outcomes: ClaimOutcome[] = new Array(requests.length);
    const existing: number[] = [];
    const chunks: number[][] = [];
    for (let i = 0; i < requests.length; i += STATEMENTS_PER_BATCH) {
      chunks.push(
        Array.from({ length: Math.min(STATEMENTS_PER_BATCH, requests.length - i) }, (_, k) => i + k),
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        await this.#insert(requests, chunk, outcomes, existing);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, chunks.length) }, worker));
    if (existing.length > 0) await this.#readHolders(requests, existing, outcomes);
    return outcomes;
  }

  async #insert(
    requests: readonly ClaimRequest[],
    indexes: number[],
    outcomes: ClaimOutcome[],
    existing: number[],
  ): Promise<void> {
    let todo = indexes;
    for (let attempt = 0; todo.length > 0; attempt += 1) {
      const statements: BatchStatementRequest[] = todo.map((i) => {
        const r = requests[i]!;
        return {
          Statement: `INSERT INTO "${this.tableName}" VALUE {'pk': ?, 'by': ?, 'ttl': ?}`,
          Parameters: [{ S: r.key }, { S: r.by }, { N: String(r.expiresAtEpochSeconds) }],
        };
      });
      let responses: BatchStatementResponse[];
      try {
        const result = await this.client.send(new BatchExecuteStatementCommand({ Statements: statements }));
        responses = result.Responses ?? [];
      } catch (error) {
        if (attempt >= MAX_RETRIES) {
          for (const i of todo) outcomes[i] = { status: 'failed', error };
          return;
        }
        await this.#sleep(backoff(attempt));
        continue;
      }
      const retry: number[] = [];
      todo.forEach((i, k) => {
        const error = responses[k]?.Error;
        if (error === undefined) outcomes[i] = { status: 'claimed' };
        else if (error.Code === 'DuplicateItem' || error.Code === 'ConditionalCheckFailed') existing.push(i);
        else if (RETRYABLE.has(error.Code ?? '') && attempt < MAX_RETRIES) retry.push(i);
        else
          outcomes[i] = {
            status: 'failed',
            error: new Error(`claim ${requests[i]!.key}: ${error.Code} ${error.Message ?? ''}`),
          };
      });
      todo = retry;
      if (todo.length > 0) await this.#sleep(backoff(attempt));
    }
  }

  async #readHolders(
    requests: readonly ClaimRequest[],
    indexes: number[],
    outcomes: ClaimOutcome[],
  ): Promise<void> {
    for (let i = 0; i < indexes.length; i += KEYS_PER_GET) {
      const chunk = indexes.slice(i, i + KEYS_PER_GET);
      const byKey = new Map<string, number>(chunk.map((index) => [requests[index]!.key, index]));
      let keys: Record<string, AttributeValue>[] = [...byKey.keys()].map((key) => ({ pk: { S: key } }));
      for (let attempt = 0; keys.length > 0 && attempt <= MAX_RETRIES; attempt += 1) {
        if (attempt > 0) await this.#sleep(backoff(attempt));
        try {
          const result = await this.client.send(
            new BatchGetItemCommand({
              RequestItems: {
                [this.tableName]: {
                  Keys: keys,
                  ConsistentRead: true,
                  ProjectionExpression: 'pk, #by',
                  ExpressionAttributeNames: { '#by': 'by' },
                },
              },
            }),
          );
          for (const item of result.Responses?.[this.tableName] ?? []) {
            const index = byKey.get(item.pk?.S ?? '');
            if (index !== undefined) outcomes[index] = { status: 'held', by: item.by?.S ?? '' };
          }
          keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        } catch {
          // retried with backoff; after the last attempt the claim is reported as failed
        }
      }
      for (const index of chunk) {
        // A marker that existed and then vanished can only have expired: claim it again next time.
        outcomes[index] ??= {
          status: 'failed',
          error: new Error(`claim ${requests[index]!.key}: holder unreadable`),
        };
      }
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
}
