import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type RateCost,
  type RateDecision,
  type RateLimiter,
  type RateLimits,
  rateWindowOf,
  type WindowUsage,
  windowRefusal,
  windowThresholds,
} from '../../../shared/ingest/rate-limit.js';
import { ITEM_KEY_PREFIXES } from '../../../shared/tables/table-definitions.js';

/** Window items expire this long after their window (DynamoDB deletes them within days). */
const EXPIRY_SECONDS = 60;

export interface DynamoDbRateLimiterOptions {
  /** Epoch milliseconds; `Date.now` by default. */
  readonly clock?: () => number;
}

/**
 * Fixed one-second windows shared by every container, in the dedup table: one item per subject
 * and second, `rl#{subject}#{epoch second}` with counters `r` (requests) and `e` (events) and
 * the table's `ttl`. Each request is one `UpdateItem` that ADDs its cost under a condition on
 * the limits (`windowThresholds`), so concurrent containers never overshoot; a refused write
 * changes nothing and returns the counters, which name the limit crossed. One write unit per
 * request, allowed or refused.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  readonly #clock: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbRateLimiterOptions = {},
  ) {
    this.#clock = options.clock ?? Date.now;
  }

  async take(subject: string, cost: RateCost, limits: RateLimits): Promise<RateDecision> {
    const now = this.#clock();
    const window = rateWindowOf(now);
    const max = windowThresholds(cost, limits);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: `${ITEM_KEY_PREFIXES.rateLimit}${subject}#${window.index}` } },
          UpdateExpression: 'ADD #r :r, #e :e SET #ttl = if_not_exists(#ttl, :ttl)',
          // A new window admits any one request (see shared/ingest/rate-limit.ts).
          ConditionExpression: 'attribute_not_exists(pk) OR (#r <= :maxR AND #e <= :maxE)',
          ExpressionAttributeNames: { '#r': 'r', '#e': 'e', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':r': { N: String(cost.requests) },
            ':e': { N: String(cost.events) },
            ':maxR': { N: String(max.requests) },
            ':maxE': { N: String(max.events) },
            ':ttl': { N: String(Math.ceil(window.endMs / 1000) + EXPIRY_SECONDS) },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item;
      const used: WindowUsage | undefined =
        item?.r?.N === undefined ? undefined : { requests: Number(item.r.N), events: Number(item.e?.N ?? 0) };
      return windowRefusal(used, cost, limits, now);
    }
  }
}
