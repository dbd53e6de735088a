/**
 * Starts DynamoDB Local and the Kinesis emulator once for the integration project, in parallel,
 * and provides their endpoints to the test files (`inject('dynamodbEndpoint')`). If either cannot
 * start, setup throws: the integration tests fail, they never skip.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../functions/local/emulators/dynamodb-local.js';
import type { LocalEmulator } from '../../functions/local/emulators/emulator-process.js';
import { startKinesisLocal } from '../../functions/local/emulators/kinesis-local.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamodb, kinesis] = await Promise.allSettled([startDynamoDbLocal(), startKinesisLocal()]);
  const started = [dynamodb, kinesis].flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  if (dynamodb.status === 'rejected' || kinesis.status === 'rejected') {
    await stopAll(started);
    const reasons = [dynamodb, kinesis].flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    throw new AggregateError(
      reasons,
      `Integration emulators could not start:\n${reasons.map((reason) => String(reason)).join('\n')}`,
    );
  }
  project.provide('dynamodbEndpoint', dynamodb.value.endpoint);
  project.provide('kinesisEndpoint', kinesis.value.endpoint);
  return () => stopAll(started);
}

async function stopAll(emulators: readonly LocalEmulator[]): Promise<void> {
  await Promise.all(emulators.map((emulator) => emulator.stop()));
}
