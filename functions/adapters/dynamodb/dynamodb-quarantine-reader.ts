import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { QUARANTINE_REASONS } from '../../../shared/contract/reasons.js';
import {
  type QuarantinedItem,
  type QuarantineListQuery,
  type QuarantinePage,
  QuarantineQueryError,
  type QuarantineReader,
} from '../../../shared/quarantine/quarantine-query.js';

type Item = Record<string, AttributeValue>;

/** The position after which a page starts: the last item returned, in (sk, pk) descending order. */
interface Position {
  readonly sk: string;
  readonly pk: string;
}

interface CursorBody extends Position {
  readonly v: 1;
  readonly t: string | null;
  readonly r: string | null;
}

export const BY_REASON_INDEX = 'by-reason';
/** Filter for `excludeRedriven`: the entry was never put back on the stream. */
const NOT_REDRIVEN = 'attribute_not_exists(redrivenAt)';

function encodeCursor(query: QuarantineListQuery, position: Position): string {
  const body: CursorBody = { v: 1, t: query.tenant ?? null, r: query.reason ?? null, ...position };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

function decodeCursor(query: QuarantineListQuery, cursor: string): Position {
  const invalid = () =>
    new QuarantineQueryError(
      'invalid_cursor',
      'cursor',
      'cursor: not a nextCursor of this listing (same tenant and reason)',
    );
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null) throw invalid();
  const { v, t, r, sk, pk } = body as Record<string, unknown>;
  if (v !== 1 || typeof sk !== 'string' || typeof pk !== 'string') throw invalid();
  if (t !== (query.tenant ?? null) || r !== (query.reason ?? null)) throw invalid();
  return { sk, pk };
}

/** Newest first: by sort key (it starts with the receive time), then partition key, descending. */
function compareNewestFirst(a: Position, b: Position): number {
  if (a.sk !== b.sk) return a.sk > b.sk ? -1 : 1;
  return a.pk > b.pk ? -1 : a.pk < b.pk ? 1 : 0;
}

function positionOf(item: Item): Position {
  return { sk: item.sk?.S ?? '', pk: item.pk?.S ?? '' };
}

export function quarantinedItemOf(item: Item): QuarantinedItem {
  const optional = (name: 'field' | 'eventId' | 'eventType' | 'blobKey' | 'redrivenAt') =>
    item[name]?.S === undefined ? {} : { [name]: item[name].S };
  return {
    tenant: item.tenant?.S ?? '',
    reason: item.reason?.S ?? '',
    message: item.message?.S ?? '',
    ...optional('field'),
    ...optional('eventId'),
    ...optional('eventType'),
    receivedAt: item.receivedAt?.S ?? '',
    partitionKey: item.partitionKey?.S ?? '',
    shardId: item.shardId?.S ?? '',
    sequenceNumber: item.sequenceNumber?.S ?? '',
    subIndex: Number(item.subIndex?.N ?? '0'),
    eventIndex: Number(item.eventIndex?.N ?? '0'),
    size: Number(item.size?.N ?? '0'),
    ...(item.bytes?.B === undefined ? {} : { bytes: item.bytes.B }),
    ...optional('blobKey'),
    ...optional('redrivenAt'),
  };
}

interface SourceResult {
  readonly items: Item[];
  /** False when the source has nothing beyond `items`. */
  readonly more: boolean;
}

/**
 * Lists the quarantine table newest first: a tenant's items from its partition (`Q#{tenant}`,
 * filtered by reason when both are given), a reason's from the `by-reason` index, and with
 * neither, every reason's partition of the index merged. The cursor is the (sort key,
 * partition key) of the last item returned, bound to the tenant and reason of the listing.
 */
export class DynamoDbQuarantineReader implements QuarantineReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async list(query: QuarantineListQuery): Promise<QuarantinePage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query, query.cursor);
    const need = query.limit + 1;
    const sources: Promise<SourceResult>[] =
      query.tenant !== undefined
        ? [this.#byTenant(query.tenant, query.reason, after, need, query.excludeRedriven === true)]
        : (query.reason === undefined ? QUARANTINE_REASONS : [query.reason]).map((reason) =>
            this.#byReason(reason, after, need, query.excludeRedriven === true),
          );
    const results = await Promise.all(sources);
    const items = results
      .flatMap((r) => r.items)
      .sort((a, b) => compareNewestFirst(positionOf(a), positionOf(b)));
    const page = items.slice(0, query.limit);
    const more = items.length > query.limit || results.some((r) => r.more);
    const last = page[page.length - 1];
    return {
      entries: page.map(quarantinedItemOf),
      ...(more && last !== undefined ? { nextCursor: encodeCursor(query, positionOf(last)) } : {}),
    };
  }

  #byTenant(
    tenant: string,
    reason: string | undefined,
    after: Position | undefined,
    need: number,
    excludeRedriven: boolean,
  ) {
    const values: Item = { ':pk': { S: `Q#${tenant}` } };
    if (after !== undefined) values[':sk'] = { S: after.sk };
    if (reason !== undefined) values[':reason'] = { S: reason };
    const filter = [
      ...(reason === undefined ? [] : ['reason = :reason']),
      ...(excludeRedriven ? [NOT_REDRIVEN] : []),
    ];
    return this.#collect(
      {
        KeyConditionExpression: after === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :sk',
        ...(filter.length === 0 ? {} : { FilterExpression: filter.join(' AND ') }),
        ExpressionAttributeValues: values,
      },
      () => true,
      need,
    );
  }

  #byReason(reason: string, after: Position | undefined, need: number, excludeRedriven: boolean) {
    const values: Item = { ':reason': { S: reason } };
    if (after !== undefined) values[':sk'] = { S: after.sk };
    return this.#collect(
      {
        IndexName: BY_REASON_INDEX,
        // `<=` and the check below: items that share the cursor's sort key are ordered by pk.
        KeyConditionExpression: after === undefined ? 'reason = :reason' : 'reason = :reason AND sk <= :sk',
        ...(excludeRedriven ? { FilterExpression: NOT_REDRIVEN } : {}),
        ExpressionAttributeValues: values,
      },
      (item) => after === undefined || compareNewestFirst(positionOf(item), after) > 0,
      need,
    );
  }

  async #collect(
    input: {
      IndexName?: string;
      KeyConditionExpression: string;
      FilterExpression?: string;
      ExpressionAttributeValues: Item;
    },
    keep: (item: Item) => boolean,
    need: number,
  ): Promise<SourceResult> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...input,
          ScanIndexForward: false,
          Limit: need,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      items.push(...(page.Items ?? []).filter(keep));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < need);
    return { items, more: startKey !== undefined };
  }
}
