import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CounterItemTooLarge,
  type CounterWrite,
  type UsageCounterStore,
  type WriteOutcome,
} from '../../../shared/metering/ports.js';
import { EMITTED, pendingAttribute } from '../../../shared/metering/write-counters.js';
import {
  describeValue,
  ExpressionBuilder,
  quantityValue,
  scalarValue,
  snapshotOf,
} from './attribute-values.js';

/** DynamoDB's refusal of an update that would grow an item past 400 KB. */
const ITEM_TOO_LARGE = /item size.*exceeded the maximum allowed size/i;

/**
 * Counter items in the usage table. Marshals the domain's `CounterWrite` into one conditional
 * `UpdateItem`; on a refused condition returns the item as it was (ALL_OLD), so the domain can
 * re-aggregate without a read.
 */
export class DynamoDbUsageCounterStore implements UsageCounterStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async write(write: CounterWrite): Promise<WriteOutcome> {
    const x = new ExpressionBuilder();
    const sets: string[] = [];
    const adds: string[] = [];
    const conditions: string[] = [];
    for (const [name, value] of Object.entries(write.describe)) {
      sets.push(`${x.name(name)} = ${x.value(describeValue(value))}`);
    }
    for (const mark of write.marks) {
      const n = x.name(mark.attribute);
      conditions.push(`(attribute_not_exists(${n}) OR ${n} < ${x.value({ S: mark.below })})`);
      sets.push(`${n} = ${x.value({ S: mark.set })}`);
    }
    for (const [name, value] of write.set) sets.push(`${x.name(name)} = ${x.value(scalarValue(value))}`);
    for (const [name, amount] of write.add) adds.push(`${x.name(name)} ${x.value(quantityValue(amount))}`);
    for (const [name, values] of write.addToSet) {
      if (values.length > 0) adds.push(`${x.name(name)} ${x.value({ SS: [...values] })}`);
    }
    const { greaterThan, equals, atMost } = write.guards;
    if (greaterThan) {
      const n = x.name(greaterThan.attribute);
      conditions.push(`(attribute_not_exists(${n}) OR ${n} < ${x.value(scalarValue(greaterThan.value))})`);
    }
    for (const guard of equals ?? []) {
      const n = x.name(guard.attribute);
      conditions.push(
        guard.equals === undefined
          ? `attribute_not_exists(${n})`
          : `${n} = ${x.value(quantityValue(guard.equals))}`,
      );
    }
    if (atMost) {
      const n = x.name(atMost.attribute);
      conditions.push(`(attribute_not_exists(${n}) OR ${n} <= ${x.value(quantityValue(atMost.value))})`);
    }
    const input: UpdateItemCommandInput = {
      TableName: this.tableName,
      Key: { pk: { S: write.pk }, sk: { S: write.sk } },
      UpdateExpression: [`SET ${sets.join(', ')}`, adds.length > 0 ? `ADD ${adds.join(', ')}` : '']
        .filter(Boolean)
        .join(' '),
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
    return this.#update(input);
  }

  async claimThresholds(
    pk: string,
    sk: string,
    percents: readonly number[],
    claim: string,
  ): Promise<WriteOutcome> {
    const x = new ExpressionBuilder();
    const emitted = x.name(EMITTED);
    const claimValue = x.value({ S: claim });
    const sets: string[] = [];
    const conditions = ['attribute_exists(pk)'];
    for (const percent of percents) {
      const attribute = x.name(pendingAttribute(percent));
      sets.push(`${attribute} = ${claimValue}`);
      conditions.push(
        `attribute_not_exists(${attribute})`,
        `NOT contains(${emitted}, ${x.value({ N: String(percent) })})`,
      );
    }
    return this.#update({
      TableName: this.tableName,
      Key: { pk: { S: pk }, sk: { S: sk } },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  }

  async completeThresholds(pk: string, sk: string, percents: readonly number[]): Promise<void> {
    const x = new ExpressionBuilder();
    const removes = percents.map((percent) => x.name(pendingAttribute(percent)));
    await this.#update({
      TableName: this.tableName,
      Key: { pk: { S: pk }, sk: { S: sk } },
      UpdateExpression: `ADD ${x.name(EMITTED)} ${x.value({ NS: percents.map(String) })} REMOVE ${removes.join(', ')}`,
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
    });
  }

  async #update(input: UpdateItemCommandInput): Promise<WriteOutcome> {
    try {
      const result = await this.client.send(new UpdateItemCommand(input));
      return { ok: true, after: snapshotOf(result.Attributes) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { ok: false, current: snapshotOf(error.Item) };
      }
      if (error instanceof Error && ITEM_TOO_LARGE.test(error.message)) {
        throw new CounterItemTooLarge(`${input.Key?.pk?.S} ${input.Key?.sk?.S}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
