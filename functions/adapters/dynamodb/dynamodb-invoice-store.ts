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
/** Attempts of a transaction cancelled only by conflicts with concurrent transactions. */
const CONFLICT_ATTEMPTS = 4;

const invoiceKey = (id: string): Item => ({ pk: { S: `I#${id}` }, sk: { S: 'I' } });
/** The delivery record beside an invoice: small, so recording delivery never rewrites the invoice. */
const deliveryKey = (id: string): Item => ({ pk: { S: `I#${id}` }, sk: { S: 'D' } });
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
 * - delivery `I#{id}` / `D`: `documents` S (JSON of the document keys) and `publishedAt` S,
 *   written once the documents are stored and `invoice.finalized` is published. A small item of
 *   its own: recording delivery on the invoice item would rewrite (and bill) the whole document
 *   and its index copy again. `get` reads both with one Query.
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
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `I#${id}` } },
        ConsistentRead: true,
      }),
    );
    const item = Items.find((candidate) => candidate.sk?.S === 'I');
    if (item === undefined) return undefined;
    const invoice = invoiceOf(item);
    const delivery = Items.find((candidate) => candidate.sk?.S === 'D');
    if (delivery?.documents?.S === undefined || delivery.publishedAt?.S === undefined) return invoice;
    return {
      ...invoice,
      documents: JSON.parse(delivery.documents.S) as InvoiceDocuments,
      publishedAt: delivery.publishedAt.S,
    };
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
          // A draft, or nothing yet: a job finalizing after the grace period writes no draft first.
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :draft',
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
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...deliveryKey(id),
            documents: { S: JSON.stringify(documents) },
            publishedAt: { S: publishedAt },
          },
          // The first record stands. (No check that the invoice exists: a condition on the
          // invoice item in a transaction would be billed as a write of the whole invoice.)
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Delivered before (a redelivered job): the first record stands.
      return;
    }
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
