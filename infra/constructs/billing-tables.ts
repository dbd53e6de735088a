import { type RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  type KeyAttribute,
  type KeyType,
  TABLE_IDS,
  TABLES,
  type TableDefinition,
  type TableId,
} from '../../shared/tables/table-definitions.js';

export interface BillingTablesProps {
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** Refuse `DeleteTable` (including from CloudFormation) until it is switched off. */
  readonly deletionProtection: boolean;
}

const ATTRIBUTE_TYPES: Readonly<Record<KeyType, dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

/** Environment variable that carries a table's name to the functions, e.g. `TOLLGATE_USAGE_TABLE`. */
export function tableNameVariable(id: TableId): string {
  return `TOLLGATE_${id.toUpperCase()}_TABLE`;
}

/**
 * Every table in `shared/tables/table-definitions.ts`, built from that one definition: keys,
 * TTL and indexes are never restated here. CloudFormation names the tables, so several
 * stacks can share an account; the functions learn the names from their environment.
 */
export class BillingTables extends Construct {
  readonly byId: Readonly<Record<TableId, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: BillingTablesProps) {
    super(scope, id);
    const byId: Partial<Record<TableId, dynamodb.Table>> = {};
    for (const tableId of TABLE_IDS) {
      byId[tableId] = this.createTable(TABLES[tableId], props);
    }
    this.byId = byId as Record<TableId, dynamodb.Table>;
  }

  /** `{ TOLLGATE_USAGE_TABLE: <name>, ... }` for a function's environment. */
  nameVariables(): Record<string, string> {
    return Object.fromEntries(
      TABLE_IDS.map((tableId) => [tableNameVariable(tableId), this.byId[tableId].tableName]),
    );
  }

  private createTable(definition: TableDefinition, props: BillingTablesProps): dynamodb.Table {
    const table = new dynamodb.Table(this, pascalCase(definition.id), {
      partitionKey: toAttribute(definition.partitionKey),
      ...(definition.sortKey === undefined ? {} : { sortKey: toAttribute(definition.sortKey) }),
      ...(definition.timeToLiveAttribute === undefined
        ? {}
        : { timeToLiveAttribute: definition.timeToLiveAttribute }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    for (const index of definition.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: toAttribute(index.partitionKey),
        ...(index.sortKey === undefined ? {} : { sortKey: toAttribute(index.sortKey) }),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    Tags.of(table).add('tollgate:table', definition.id);
    return table;
  }
}

function toAttribute(attribute: KeyAttribute): dynamodb.Attribute {
  return { name: attribute.name, type: ATTRIBUTE_TYPES[attribute.type] };
}

function pascalCase(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}
