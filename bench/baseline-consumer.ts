import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';

export const BASELINE_IDEMPOTENCY_TABLE = 'bench-baseline-idempotency';
export const BASELINE_COUNTER_TABLE = 'bench-baseline-counters';

interface BaselineEvent {
  id: string;
  subject: string;
  time: string;
  data: Record<string, string | number>;
}

/**
 * The pattern AWS recommends, from the real libraries: Powertools batch processing (partial
 * batch responses), Powertools idempotency per event (keyed by subject and id), and one
 * `UpdateItem ADD` per event on an hourly counter item.
 */
export function createBaselineConsumer(client: DynamoDBClient) {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: BASELINE_IDEMPOTENCY_TABLE,
    awsSdkV3Client: client,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[subject, id]',
    expiresAfterSeconds: 40 * 86_400,
  });
  const countEvent = makeIdempotent(
    async (event: BaselineEvent) => {
      const hour = new Date(event.time);
      hour.setUTCMinutes(0, 0, 0);
      const { model, workspace, project, agent } = event.data;
      await client.send(
        new UpdateItemCommand({
          TableName: BASELINE_COUNTER_TABLE,
          Key: {
            pk: { S: `${event.subject}#llm.completion` },
            sk: { S: `${hour.toISOString()}#${model}#${workspace}#${project}#${agent}` },
          },
          UpdateExpression: 'ADD input_tokens :i, output_tokens :o, cached_tokens :c',
          ExpressionAttributeValues: {
            ':i': { N: String(event.data.input_tokens) },
            ':o': { N: String(event.data.output_tokens) },
            ':c': { N: String(event.data.cached_tokens) },
          },
        }),
      );
      return { counted: true };
    },
    { persistenceStore, config },
  );
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const recordHandler = async (record: KinesisStreamRecord) => {
    const events = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as BaselineEvent[];
    for (const event of events) await countEvent(event);
  };
  return async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}
