import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { CreditGrant, CreditStore } from '../../../shared/invoicing/ports.js';

type Item = Record<string, AttributeValue>;

const grantPk = (tenant: string) => `C#${tenant}`;
const GRANT_SK_PREFIX = 'G#';

/** The key of a credit grant in the invoices table; the invoice store debits and refunds it. */
export function creditGrantKey(tenant: string, grantId: string): Item {
  return { pk: { S: grantPk(tenant) }, sk: { S: `${GRANT_SK_PREFIX}${grantId}` } };
}

/** A grant as stored in `document`: the grant with its bigint amounts as decimal strings. */
interface GrantDocument {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly currency: string;
  readonly amountMinor: string;
  readonly remainingMinor: string;
  readonly priority: number;
  readonly effectiveAt: string;
  readonly expiresAt?: string;
  readonly createdAt: string;
}

function grantItem(grant: CreditGrant): Item {
  const document: GrantDocument = {
    id: grant.id,
    tenant: grant.tenant,
    name: grant.name,
    currency: grant.currency,
    amountMinor: grant.amountMinor.toString(),
    remainingMinor: grant.remainingMinor.toString(),
    priority: grant.priority,
    effectiveAt: grant.effectiveAt,
    ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
    createdAt: grant.createdAt,
  };
  return {
    ...creditGrantKey(grant.tenant, grant.id),
    document: { S: JSON.stringify(document) },
    remaining: { N: grant.remainingMinor.toString() },
    amount: { N: grant.amountMinor.toString() },
  };
}

/** Minor units stored by this adapter; anything else is a corrupt item, not a zero. */
function minorOf(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^-?\d+$/.test(text))
    throw new Error(`credit grant: ${what} is not an integer: ${text}`);
  return BigInt(text);
}

function grantOf(item: Item): CreditGrant {
  const where = `${item.pk?.S}/${item.sk?.S}`;
  let document: Partial<GrantDocument>;
  try {
    document = JSON.parse(item.document?.S ?? '') as Partial<GrantDocument>;
  } catch (error) {
    throw new Error(`credit grant ${where}: document is not JSON`, { cause: error });
  }
  const { id, tenant, name, currency, priority, effectiveAt, expiresAt, createdAt } = document;
  if (
    typeof id !== 'string' ||
    typeof tenant !== 'string' ||
    typeof name !== 'string' ||
    typeof currency !== 'string' ||
    typeof priority !== 'number' ||
    typeof effectiveAt !== 'string' ||
    typeof createdAt !== 'string' ||
    (expiresAt !== undefined && typeof expiresAt !== 'string')
  ) {
    throw new Error(`credit grant ${where}: document lacks a field of CreditGrant`);
  }
  return {
    id,
    tenant,
    name,
    currency,
    amountMinor: minorOf(item.amount?.N, `${where} amount`),
    // The live balance is the attribute that finalization debits, not the document's copy.
    remainingMinor: minorOf(item.remaining?.N, `${where} remaining`),
    priority,
    effectiveAt,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    createdAt,
  };
}

/**
 * Credit grants in the invoices table, one item per grant: `C#{tenant}` / `G#{grantId}`, with
 * the grant as JSON in `document` and its live balance in `remaining` (N, minor units), which
 * `DynamoDbInvoiceStore` debits and refunds in the transactions that finalize and void invoices.
 */
export class DynamoDbCreditStore implements CreditStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async createGrant(grant: CreditGrant): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: grantItem(grant),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listGrants(tenant: string): Promise<CreditGrant[]> {
    const grants: CreditGrant[] = [];
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
          ExpressionAttributeValues: { ':pk': { S: grantPk(tenant) }, ':sk': { S: GRANT_SK_PREFIX } },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) grants.push(grantOf(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return grants;
  }
}
