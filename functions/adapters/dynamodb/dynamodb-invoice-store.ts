import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Invoice, InvoiceDocuments } from '../../../shared/invoicing/invoice.js';
import type {
  CreditDebit,
  FinalizeOutcome,
  InvoicePage,
  InvoiceStore,
} from '../../../shared/invoicing/ports.js';
import { creditGrantKey } from './dynamodb-credit-store.js';
import { decodeKeyCursor, encodeKeyCursor, listingLimit } from './key-cursor.js';

type Item = Record<string, AttributeValue>;

export const BY_TENANT_INDEX = 'by-tenant';
/** TransactWriteItems takes 100 items: finalizing spends two on the invoice and the sequence. */
export const MAX_DEBITS_PER_FINALIZE = 98;
/** Voiding spends one on the invoice. */
export const MAX_REFUNDS_PER_VOID = 99;
/** Attempts of `markDelivered`'s read-modify-write when the invoice changes in between. */
const DELIVERY_ATTEMPTS = 3;
/** Attempts of a transaction cancelled only by conflicts with concurrent transactions. */
const CONFLICT_ATTEMPTS = 4;

const invoiceKey = (id: string): Item => ({ pk: { S: `I#${id}` }, sk: { S: 'I' } });
const sequenceKey = (tenant: string): Item => ({ pk: { S: `SEQ#${tenant}` }, sk: { S: 'SEQ' } });

function invoiceItem(invoice: Invoice, updatedAt: string): Item {
  return {
    ...invoiceKey(invoice.id),
    tenant: { S: invoice.tenant },
    periodStart: { S: invoice.periodStart },
    status: { S: invoice.status },
    ...(invoice.number === undefined ? {} : { number: { S: invoice.number } }),
    ...(invoice.sequence === undefined ? {} : { sequence: { N: String(invoice.sequence) } }),
    document: { S: JSON.stringify(invoice) },
    updatedAt: { S: updatedAt },
  };
}

/** The invoice is `document`; the other attributes are copies for conditions and the index. */
function invoiceOf(item: Item): Invoice {
  let document: unknown;
  try {
    document = JSON.parse(item.document?.S ?? '');
  } catch (error) {
    throw new Error(`invoice item ${item.pk?.S}: document is not JSON`, { cause: error });
  }
  const { id, tenant, status } = (document ?? {}) as Partial<Record<string, unknown>>;
  if (typeof id !== 'string' || typeof tenant !== 'string' || typeof status !== 'string') {
    throw new Error(`invoice item ${item.pk?.S}: document is not an invoice`);
  }
  return document as Invoice;
}

const cursorOf = (item: Item) =>
  encodeKeyCursor({
    pk: item.pk?.S ?? '',
    sk: item.sk?.S ?? '',
    tenant: item.tenant?.S ?? '',
    periodStart: item.periodStart?.S ?? '',
  });

/** One update per grant (a transaction may touch an item once): amounts of the same grant add up. */
function perGrant(changes: readonly CreditDebit[], what: string): CreditDebit[] {
  const merged = new Map<string, CreditDebit>();
  for (const change of changes) {
    if (change.amountMinor <= 0n) {
      throw new RangeError(
        `${what} of grant ${change.grantId}: amountMinor must be > 0, not ${change.amountMinor}`,
      );
    }
    const id = `${change.tenant}\u0000${change.grantId}`;
    const seen = merged.get(id);
    merged.set(
      id,
      seen === undefined ? change : { ...seen, amountMinor: seen.amountMinor + change.amountMinor },
    );
  }
  return [...merged.values()];
}

/** The cancellation code of each transaction item, in order; undefined when the write succeeded. */
type CancellationCodes = readonly (string | undefined)[];

/**
 * Invoices, the per-tenant invoice number sequence, and (through `DynamoDbCreditStore`'s key)
 * credit balances, in the invoices table:
 *
 * - invoice `I#{id}` / `I`: the whole invoice as JSON in `document` (the source of truth), with
 *   `tenant` and `periodStart` for the `by-tenant` index and `status`, `number`, `sequence`,
 *   `updatedAt` for conditions;
 * - sequence `SEQ#{tenant}` / `SEQ`: `next` N, the sequence of the next finalized invoice
 *   (no item: 1).
 *
 * Finalizing and voiding are single transactions, so a number is never skipped or taken twice
 * and a credit is never spent without its invoice.
 */
export class DynamoDbInvoiceStore implements InvoiceStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(id: string): Promise<Invoice | undefined> {
    const item = await this.#getItem(invoiceKey(id));
    return item === undefined ? undefined : invoiceOf(item);
  }

  async listByTenant(
    tenant: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<InvoicePage> {
    const limit = listingLimit(options.limit);
    let startKey =
      options.cursor === undefined
        ? undefined
        : decodeKeyCursor(
            options.cursor,
            ['pk', 'sk', 'tenant', 'periodStart'],
            (key) => key.tenant === tenant && key.sk === 'I' && key.pk?.startsWith('I#') === true,
          );
    // One more than the page, so that a cursor is given only when another page exists.
    const items: Item[] = [];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_TENANT_INDEX,
          KeyConditionExpression: '#tenant = :tenant',
          ExpressionAttributeNames: { '#tenant': 'tenant' },
          ExpressionAttributeValues: { ':tenant': { S: tenant } },
          ScanIndexForward: false,
          Limit: limit + 1 - items.length,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length <= limit);
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      invoices: page.map(invoiceOf),
      ...(items.length > limit && last !== undefined ? { cursor: cursorOf(last) } : {}),
    };
  }

  async putDraft(invoice: Invoice): Promise<boolean> {
    if (invoice.status !== 'draft') {
      throw new RangeError(`putDraft: invoice ${invoice.id} is ${invoice.status}, not a draft`);
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: invoiceItem(invoice, this.now().toISOString()),
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :draft',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':draft': { S: 'draft' } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async nextSequence(tenant: string): Promise<number> {
    const item = await this.#getItem(sequenceKey(tenant));
    return item?.next?.N === undefined ? 1 : Number(item.next.N);
  }

  async finalize(invoice: Invoice, debits: readonly CreditDebit[]): Promise<FinalizeOutcome> {
    const sequence = invoice.sequence;
    if (
      invoice.status !== 'finalized' ||
      sequence === undefined ||
      !Number.isSafeInteger(sequence) ||
      sequence < 1
    ) {
      throw new RangeError(
        `finalize: invoice ${invoice.id} must be finalized with a sequence ≥ 1 (is ${invoice.status}, sequence ${sequence})`,
      );
    }
    const grants = perGrant(debits, 'debit');
    if (grants.length > MAX_DEBITS_PER_FINALIZE) {
      throw new RangeError(
        `finalize: invoice ${invoice.id} debits ${grants.length} credit grants; one transaction holds at most ${MAX_DEBITS_PER_FINALIZE}`,
      );
    }
    const codes = await this.#transact([
      {
        Put: {
          TableName: this.tableName,
          Item: invoiceItem(invoice, this.now().toISOString()),
          ConditionExpression: '#status = :draft',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':draft': { S: 'draft' } },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: sequenceKey(invoice.tenant),
          UpdateExpression: 'SET #next = :after',
          ConditionExpression: sequence === 1 ? 'attribute_not_exists(pk)' : '#next = :sequence',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: {
            ':after': { N: String(sequence + 1) },
            ...(sequence === 1 ? {} : { ':sequence': { N: String(sequence) } }),
          },
        },
      },
      ...grants.map(
        (debit): TransactWriteItem => ({
          Update: {
            TableName: this.tableName,
            Key: creditGrantKey(debit.tenant, debit.grantId),
            UpdateExpression: 'SET #remaining = #remaining - :amount',
            ConditionExpression: '#remaining >= :amount',
            ExpressionAttributeNames: { '#remaining': 'remaining' },
            ExpressionAttributeValues: { ':amount': { N: debit.amountMinor.toString() } },
          },
        }),
      ),
    ]);
    if (codes === undefined) return { ok: true };
    if (codes[0] === 'ConditionalCheckFailed') return { ok: false, reason: 'not_draft' };
    if (codes[1] === 'ConditionalCheckFailed') return { ok: false, reason: 'sequence_taken' };
    return { ok: false, reason: 'credit_changed' };
  }

  async voidInvoice(invoice: Invoice, refunds: readonly CreditDebit[]): Promise<boolean> {
    if (invoice.status !== 'void') {
      throw new RangeError(`voidInvoice: invoice ${invoice.id} is ${invoice.status}, not void`);
    }
    const grants = perGrant(refunds, 'refund');
    if (grants.length > MAX_REFUNDS_PER_VOID) {
      throw new RangeError(
        `voidInvoice: invoice ${invoice.id} refunds ${grants.length} credit grants; one transaction holds at most ${MAX_REFUNDS_PER_VOID}`,
      );
    }
    const codes = await this.#transact([
      {
        Put: {
          TableName: this.tableName,
          Item: invoiceItem(invoice, this.now().toISOString()),
          ConditionExpression: '#status = :finalized',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':finalized': { S: 'finalized' } },
        },
      },
      ...grants.map(
        (refund): TransactWriteItem => ({
          Update: {
            TableName: this.tableName,
            Key: creditGrantKey(refund.tenant, refund.grantId),
            UpdateExpression: 'ADD #remaining :amount',
            // A refund never creates a grant: a missing one is a broken reference, not a balance.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#remaining': 'remaining' },
            ExpressionAttributeValues: { ':amount': { N: refund.amountMinor.toString() } },
          },
        }),
      ),
    ]);
    if (codes === undefined) return true;
    if (codes[0] === 'ConditionalCheckFailed') return false;
    const missing = grants.filter((_, index) => codes[index + 1] === 'ConditionalCheckFailed');
    throw new Error(
      `voidInvoice: invoice ${invoice.id} refunds credit grants that do not exist: ${missing
        .map((grant) => `${grant.tenant}/${grant.grantId}`)
        .join(', ')}`,
    );
  }

  async markDelivered(id: string, documents: InvoiceDocuments, publishedAt: string): Promise<void> {
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS; attempt += 1) {
      const item = await this.#getItem(invoiceKey(id));
      if (item === undefined) throw new Error(`markDelivered: invoice ${id} does not exist`);
      const delivered: Invoice = { ...invoiceOf(item), documents, publishedAt };
      const seen = item.updatedAt?.S;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: invoiceKey(id),
            UpdateExpression: 'SET #document = :document, #updatedAt = :now',
            // The status too: two writes within one millisecond leave `updatedAt` as it was.
            ConditionExpression: `${seen === undefined ? 'attribute_not_exists(#updatedAt)' : '#updatedAt = :seen'} AND #status = :status`,
            ExpressionAttributeNames: {
              '#document': 'document',
              '#updatedAt': 'updatedAt',
              '#status': 'status',
            },
            ExpressionAttributeValues: {
              ':document': { S: JSON.stringify(delivered) },
              ':now': { S: this.now().toISOString() },
              ':status': item.status ?? { S: '' },
              ...(seen === undefined ? {} : { ':seen': { S: seen } }),
            },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(
      `markDelivered: invoice ${id} changed during each of ${DELIVERY_ATTEMPTS} attempts to record its delivery`,
    );
  }

  /**
   * Runs the transaction. Returns undefined when it committed, or each item's cancellation code
   * when a condition failed. A cancellation by conflicting transactions alone is retried.
   */
  async #transact(items: TransactWriteItem[]): Promise<CancellationCodes | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return undefined;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) =>
          reason.Code === 'None' ? undefined : reason.Code,
        );
        if (codes.includes('ConditionalCheckFailed')) return codes;
        const conflictOnly = codes.every((code) => code === undefined || code === 'TransactionConflict');
        if (!conflictOnly || !codes.includes('TransactionConflict') || attempt >= CONFLICT_ATTEMPTS)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 10));
      }
    }
  }

  async #getItem(key: Item): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}
