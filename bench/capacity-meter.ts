import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Consumed capacity of every call made through one DynamoDB client. */
export interface CapacityTotals {
  writeUnits: number;
  readUnits: number;
  requests: number;
}

interface Consumed {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);

/**
 * Adds `ReturnConsumedCapacity: TOTAL` to every call and sums what DynamoDB reports. Two rules
 * fill what DynamoDB Local leaves out, as AWS bills them: a refused conditional write costs one
 * write unit (items here are under 1 KB), and a PartiQL batch statement costs one write unit.
 * The same meter wraps both consumers of the benchmark.
 */
export function meterCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = { writeUnits: 0, readUnits: 0, requests: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? '';
      if (!command.startsWith('Create') && !command.startsWith('Describe') && !command.startsWith('List')) {
        input.ReturnConsumedCapacity ??= 'TOTAL';
      }
      totals.requests += 1;
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: Consumed | Consumed[]; Responses?: unknown[] };
        const consumed = output.ConsumedCapacity;
        const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
        const units = list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        if (command === 'BatchExecuteStatementCommand' && units === 0) {
          totals.writeUnits += (input.Statements as unknown[]).length;
        } else if (READS.has(command)) {
          totals.readUnits += units;
        } else {
          totals.writeUnits += units;
        }
        return result;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') totals.writeUnits += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'tollgateCapacityMeter' },
  );
  return totals;
}
